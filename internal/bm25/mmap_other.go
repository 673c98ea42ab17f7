//go:build !unix

package bm25

import "os"

// readSegmentFile reads a segment file into memory where mapping is not
// implemented.
func readSegmentFile(path string) ([]byte, error) { return os.ReadFile(path) }

func releaseSegmentFile([]byte) {}
