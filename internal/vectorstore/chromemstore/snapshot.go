package chromemstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// A snapshot file is: the magic line, the length of the catalog as a
// little-endian uint64, the catalog (gob), chromem-go's own export of the
// collection's vectors (gob), then the CRC-32C of everything before it as a
// little-endian uint32. Keeping both in one file lets a single rename switch
// catalog and vectors together; the checksum turns damage that gob would
// decode without complaint (a flipped bit in a vector or a text, bytes
// appended) into an error. Version 1 files, without the checksum, are still
// read.
const (
	fileExt  = ".collection"
	magic    = "semsearch collection v2\n"
	magicV1  = "semsearch collection v1\n"
	crcBytes = 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type catalog struct {
	Info vectorstore.Collection
	Docs []*docEntry
}

// load reads a collection's snapshot, or returns ErrNotFound when it has none.
func (s *Store) load(name string) (*collection, error) {
	path := s.path(name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open collection %q: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open collection %q: %w", name, err)
	}
	corrupt := func(what string, err error) error {
		return fmt.Errorf("collection %q: %s is unreadable (%s): %w; delete the file and re-index", name, path, what, err)
	}
	head := make([]byte, len(magic)+8)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, corrupt("header", err)
	}
	end := st.Size() // of the vectors
	switch string(head[:len(magic)]) {
	case magic:
		end -= crcBytes
		if end < int64(len(head)) {
			return nil, corrupt("checksum", io.ErrUnexpectedEOF)
		}
		if err := checkCRC(f, end); err != nil {
			return nil, corrupt("checksum", err)
		}
	case magicV1:
	default:
		return nil, corrupt("header", errors.New("not a semsearch collection file"))
	}
	n := binary.LittleEndian.Uint64(head[len(magic):])
	off := int64(len(head))
	if n > uint64(end-off) {
		return nil, corrupt("catalog", io.ErrUnexpectedEOF)
	}
	var cat catalog
	if err := gob.NewDecoder(bufio.NewReader(io.NewSectionReader(f, off, int64(n)))).Decode(&cat); err != nil {
		return nil, corrupt("catalog", err)
	}
	if cat.Info.Name != name {
		return nil, corrupt("catalog", fmt.Errorf("it holds collection %q", cat.Info.Name))
	}
	off += int64(n)
	if err := s.db.ImportFromReader(io.NewSectionReader(f, off, end-off), "", name); err != nil {
		return nil, corrupt("vectors", err)
	}
	vecs := s.db.GetCollection(name, noEmbedding)
	if vecs == nil {
		// An empty collection exports no chromem collection.
		if vecs, err = s.db.CreateCollection(name, nil, noEmbedding); err != nil {
			return nil, fmt.Errorf("open collection %q: %w", name, err)
		}
	}
	c := &collection{info: cat.Info, docs: make(map[string]*docEntry, len(cat.Docs)), vectors: vecs}
	for _, e := range cat.Docs {
		c.docs[e.Doc.ID] = e
		c.passages += len(e.Passages)
	}
	s.logger.Debug("collection loaded", "collection", name, "documents", len(c.docs), "passages", c.passages)
	return c, nil
}

// checkCRC compares the CRC-32C of f's first n bytes with the little-endian
// uint32 stored right after them.
func checkCRC(f *os.File, n int64) error {
	h := crc32.New(crcTable)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil {
		return err
	}
	var stored [crcBytes]byte
	if _, err := f.ReadAt(stored[:], n); err != nil {
		return err
	}
	if want, got := binary.LittleEndian.Uint32(stored[:]), h.Sum32(); got != want {
		return fmt.Errorf("file has CRC-32C %08x, its content %08x", want, got)
	}
	return nil
}

// Flush implements vectorstore.Store: it writes every collection changed
// since its last flush to a temporary file, syncs it and renames it over the
// old snapshot. Queries go on while it writes; writes wait.
func (s *Store) Flush(ctx context.Context) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.mu.RLock()
	type written struct {
		c       *collection
		version uint64
	}
	var done []written
	var err error
	for name, c := range s.cols {
		if c.version == c.flushed {
			continue
		}
		if err = ctx.Err(); err != nil {
			break
		}
		if err = s.write(name, c); err != nil {
			break
		}
		done = append(done, written{c, c.version})
	}
	s.mu.RUnlock()
	if len(done) > 0 {
		s.mu.Lock()
		for _, w := range done {
			w.c.flushed = w.version
		}
		s.mu.Unlock()
		if serr := syncDir(s.dir); err == nil {
			err = serr
		}
	}
	return err
}

func (s *Store) write(name string, c *collection) error {
	cat := catalog{Info: c.snapshotInfo(), Docs: make([]*docEntry, 0, len(c.docs))}
	for _, e := range c.docs {
		cat.Docs = append(cat.Docs, e)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&cat); err != nil {
		return fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	tmp, err := os.CreateTemp(s.dir, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("save collection %q: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	h := crc32.New(crcTable)
	hw := io.MultiWriter(w, h) // bufio keeps the first write error for Flush
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(buf.Len()))
	io.WriteString(hw, magic)
	hw.Write(n[:])
	hw.Write(buf.Bytes())
	err = s.db.ExportToWriter(hw, false, "", name)
	if err == nil {
		w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(name))
	}
	if err != nil {
		return fmt.Errorf("save collection %q: %w", name, err)
	}
	s.logger.Debug("collection saved", "collection", name, "documents", len(c.docs), "passages", c.passages)
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return fmt.Errorf("sync data directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data directory: %w", err)
	}
	return nil
}
