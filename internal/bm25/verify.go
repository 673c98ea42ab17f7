package bm25

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// verifyFiles checks the files of the bleve index in dir that bleve would
// read without checking: each segment's CRC-32 (the last 4 bytes of a .zap
// file, over everything before them), and that root.bolt is as long as its
// valid meta page says. bleve memory-maps both; a truncated root.bolt makes
// bbolt fault (SIGSEGV, which no recover catches) and a damaged segment
// can answer searches with nothing. Checking costs one read of the index.
func verifyFiles(dir string) error {
	store := filepath.Join(dir, "store")
	entries, err := os.ReadDir(store)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("it has no store directory")
	}
	if err != nil {
		return err
	}
	sawBolt := false
	for _, e := range entries {
		p := filepath.Join(store, e.Name())
		switch {
		case e.Name() == "root.bolt":
			sawBolt = true
			if err := verifyBolt(p); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
		case strings.HasSuffix(e.Name(), ".zap"):
			if err := verifySegment(p); err != nil {
				return fmt.Errorf("%s: %w", e.Name(), err)
			}
		}
	}
	if !sawBolt {
		return fmt.Errorf("store/root.bolt is missing")
	}
	return nil
}

// zapFooterMin is the smallest zap footer: num docs, stored, fields and doc
// value offsets, chunk mode, version and CRC.
const zapFooterMin = 8 + 8 + 8 + 8 + 4 + 4 + 4

func verifySegment(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < zapFooterMin {
		return fmt.Errorf("segment of %d bytes is shorter than its footer", len(b))
	}
	if want, got := binary.BigEndian.Uint32(b[len(b)-4:]), crc32.ChecksumIEEE(b[:len(b)-4]); want != got {
		return fmt.Errorf("segment fails its checksum (CRC-32 %08x, footer says %08x)", got, want)
	}
	return nil
}

// bbolt's meta page: a 16-byte page header, then magic, version, page size
// and flags (uint32 each), the root bucket (16 bytes), the freelist page,
// the high-water page id, the transaction id and an FNV-64a checksum of
// the meta fields before it, all in the machine's (little-endian) order.
const (
	boltMagic       = 0xED0CDAED
	boltMetaStart   = 16
	boltPageSizeAt  = boltMetaStart + 8
	boltHighWaterAt = boltMetaStart + 40
	boltChecksumAt  = boltMetaStart + 56
)

func verifyBolt(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	head := make([]byte, boltChecksumAt+8)
	valid := 0
	for _, at := range []int64{0, -1} {
		off := at
		if at < 0 {
			// The second meta page follows the first, one page in.
			off = pageSize(f)
			if off <= 0 {
				continue
			}
		}
		if _, err := f.ReadAt(head, off); err != nil {
			continue
		}
		if binary.LittleEndian.Uint32(head[boltMetaStart:]) != boltMagic {
			continue
		}
		h := fnv.New64a()
		h.Write(head[boltMetaStart:boltChecksumAt])
		if h.Sum64() != binary.LittleEndian.Uint64(head[boltChecksumAt:]) {
			continue
		}
		ps := int64(binary.LittleEndian.Uint32(head[boltPageSizeAt:]))
		hw := int64(binary.LittleEndian.Uint64(head[boltHighWaterAt:]))
		if ps <= 0 || hw*ps > size {
			return fmt.Errorf("file of %d bytes is shorter than its %d pages of %d bytes (truncated)", size, hw, ps)
		}
		valid++
	}
	if valid == 0 {
		return fmt.Errorf("no valid meta page in %d bytes", size)
	}
	return nil
}

// pageSize reads the page size recorded in the first meta page, or 0.
func pageSize(f *os.File) int64 {
	b := make([]byte, 4)
	if _, err := f.ReadAt(b, boltPageSizeAt); err != nil {
		return 0
	}
	return int64(binary.LittleEndian.Uint32(b))
}
