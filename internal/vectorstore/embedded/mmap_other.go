//go:build !linux

package embedded

import (
	"fmt"
	"io"
	"os"
	"unsafe"
)

// mapFile reads f into memory where mapping is not implemented (the
// layout is the same, only opening is slower); mapped is false.
func mapFile(f *os.File, size int64, _ bool) (data []byte, mapped bool, err error) {
	// uint64 elements: the buffer is 8-byte aligned, like a mapping.
	words := make([]uint64, (size+7)/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), b); err != nil {
		return nil, false, fmt.Errorf("read snapshot: %w", err)
	}
	return b, false, nil
}

func unmapFile([]byte) {}
