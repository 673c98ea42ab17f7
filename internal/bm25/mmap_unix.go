//go:build unix

package bm25

import (
	"fmt"
	"os"
	"syscall"
)

// readSegmentFile maps a segment file into memory, read-only: its pages are
// the page cache's, shared with every process that reads the index, and
// never copied onto the heap. Segment files are never written once made,
// only removed, which leaves a mapping intact. The caller releases it with
// releaseSegmentFile once no search uses it.
func readSegmentFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size == 0 {
		return nil, nil
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("cannot map %d bytes", size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, nil
}

func releaseSegmentFile(b []byte) {
	if b != nil {
		syscall.Munmap(b)
	}
}
