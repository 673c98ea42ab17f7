//go:build unix

package bm25

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// heldByWriter reports whether another process holds the index's write lock
// (bbolt's exclusive flock on root.bolt). Its files may then be mid-write,
// so they are not checked. A reader asks once: it gives way to a writer at
// once. A writer waits up to wait for readers, which hold their shared lock
// only for one search (see [Collections]), and for a writer that is about
// to close.
func heldByWriter(dir string, readOnly bool, wait time.Duration) bool {
	f, err := os.Open(filepath.Join(dir, "store", "root.bolt"))
	if err != nil {
		return false
	}
	defer f.Close()
	how := syscall.LOCK_EX
	if readOnly {
		how, wait = syscall.LOCK_SH, 0
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			return false
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return errors.Is(err, syscall.EWOULDBLOCK)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
