//go:build !unix

package bm25

import (
	"os"
	"path/filepath"
	"time"
)

// lockIndex cannot lock on this system: it only opens the LOCK file, so
// one writer per index is the caller's to ensure.
func lockIndex(dir string, readOnly bool, _ time.Duration) (*os.File, error) {
	if readOnly {
		return nil, nil
	}
	return os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
}
