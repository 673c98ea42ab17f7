//go:build unix

package bm25

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// heldByWriter reports whether another process holds the index's write lock
// (bbolt's exclusive flock on root.bolt). Its files may then be mid-write,
// so they are not checked.
func heldByWriter(dir string, readOnly bool) bool {
	f, err := os.Open(filepath.Join(dir, "store", "root.bolt"))
	if err != nil {
		return false
	}
	defer f.Close()
	how := syscall.LOCK_EX
	if readOnly {
		how = syscall.LOCK_SH
	}
	err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true
	}
	if err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return false
}
