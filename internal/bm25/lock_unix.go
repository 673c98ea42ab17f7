//go:build unix

package bm25

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockIndex takes dir's LOCK: exclusively for a writer, which waits up to
// wait for readers (they hold their shared lock only for one search, see
// [Collections]) and for a writer that is about to close; shared for a
// reader, which gives way to a writer at once. The lock lasts until the
// returned file is closed. A read-only copy without a LOCK file is read
// unlocked (nil file).
func lockIndex(dir string, readOnly bool, wait time.Duration) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	how := syscall.LOCK_EX
	var f *os.File
	var err error
	if readOnly {
		how, wait = syscall.LOCK_SH, 0
		f, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	} else {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, ErrLocked
		}
		time.Sleep(10 * time.Millisecond)
	}
}
