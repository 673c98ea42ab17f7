package embedded

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
	"regexp"
	"runtime"
	"slices"
	"unsafe"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// A snapshot file (version 9) is: the magic line; the generation of the
// log that continues it and the length of the catalog, little-endian
// uint64s; the catalog: a gob stream of the collection's [summary], then its
// documents ([catalog]); the dimension (uint32) and number (uint64) of the
// vectors; then, each section starting at a multiple of 64 bytes from the
// start of the file (zero bytes in between), the vectors as raw
// little-endian float32 in catalog order, their int8 copies, their sign
// bits (little-endian uint64, [arena.words] per vector) and their scales
// (float32); then the CRC-32C of everything before it. The aligned sections
// let a little-endian machine map the file and use them in place (see
// [mapping]), so opening computes nothing and copies no vector.
//
// A version 8 snapshot is: the magic line; the generation of the log
// that continues it and the length of the catalog, little-endian uint64s;
// the catalog: a gob stream of the collection's [summary], then its
// documents ([catalog]); the dimension (uint32) and number (uint64) of the
// vectors; the vectors as raw little-endian float32, in catalog order, read
// into memory in one go; their int8 copies and scales (float32), so that
// opening computes nothing; then the CRC-32C of everything before it. It is
// written to a temporary file, synced and renamed over the old one, so it is
// either the old state or the new one.
//
// Version 4 differs from 3 in what the catalog holds: documents carry their
// skip spans and line map (vectorstore.Document.Skip, Lines), and the
// catalog the generation below which a log is stale (LogFrom, set when
// [Store.ReplaceCollection] switched the collection). The layout is the
// same, so version 3 files are read by the same code (their documents have
// no recorded layout); the magic changed so that an older semsearch refuses
// a version 4 file instead of dropping what it does not know. Version 5
// differs from 4 only in the collection's settings, which record how it was
// embedded (vectorstore.Settings.QueryPrefix, Embedder, EmbedURL,
// EmbedDimensions): gob would let an older semsearch drop them silently, so
// the magic changed again. Version 6 differs from 5 only in documents
// carrying a PDF's page starts and an EPUB's chapters
// (vectorstore.Document.Pages, Chapters), for the same reason. Version 7
// differs from 6 only in the summary ahead of the catalog, so that listing
// collections reads a few hundred bytes of each instead of its catalog and
// vectors; an older semsearch would read the summary as its catalog. Version 8
// differs from 7 only in the catalog's Sources (what the collection was
// indexed from, vectorstore.Sources), which an older semsearch would drop
// silently. Version 9 is version 8's catalog over version 9's aligned,
// mappable sections with the sign bits (above). Version 1 and
// 2 files (the catalog followed by chromem-go's gob export) are still read;
// the first compaction rewrites them.
const (
	fileExt  = ".collection"
	magic    = "semsearch collection v9\n"
	magicV8  = "semsearch collection v8\n"
	magicV7  = "semsearch collection v7\n"
	magicV6  = "semsearch collection v6\n"
	magicV5  = "semsearch collection v5\n"
	magicV4  = "semsearch collection v4\n"
	magicV3  = "semsearch collection v3\n"
	magicV2  = "semsearch collection v2\n"
	magicV1  = "semsearch collection v1\n"
	crcBytes = 4
)

// snapshotVersion returns the version a snapshot's magic line names, 0 when
// it names none: the one place that lists the versions semsearch reads.
func snapshotVersion(head string) int {
	for v, m := range [...]string{magicV1, magicV2, magicV3, magicV4, magicV5, magicV6, magicV7, magicV8, magic} {
		if head == m {
			return v + 1
		}
	}
	return 0
}

// summaryVersion is the first version whose catalog starts with a summary.
const summaryVersion = 7

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// leftoverTemp matches the temporary files a crash can leave behind:
// snapshots (NAME.123.tmp) and logs being restarted (NAME.wal.123.tmp).
var leftoverTemp = regexp.MustCompile(`^(.+?)(\.wal)?\.[0-9]+\.tmp$`)

// snapshotSize is the size of a version 3 to 8 snapshot whose catalog is
// catLen bytes long and which holds nvec vectors of dims dimensions.
// Listing checks it too ([readSummary]).
func snapshotSize(catLen, dims, nvec uint64) uint64 {
	return uint64(len(magic)+16) + catLen + 12 + nvec*dims*5 + nvec*4 + crcBytes
}

// summary is the head of a catalog since version 7: what listing collections
// reports (Info, with its document and passage counts) and what it needs to
// tell whether the log continues this snapshot.
type summary struct {
	Info    vectorstore.Collection
	LogFrom uint64
}

type catalog struct {
	Info vectorstore.Collection
	Docs []*docEntry
	// LogFrom is the lowest generation of a log that continues this
	// snapshot: a log of an older generation belongs to the collection
	// this one replaced (see [Store.ReplaceCollection]) and is dropped,
	// not replayed. Zero (compactions, version 3 files) replays any log.
	LogFrom uint64
	// Sources are what the collection was indexed from (version 8; nil
	// before, or when none were recorded).
	Sources *vectorstore.Sources
}

// removeLeftovers deletes temporary files a crash left in the data directory.
func (s *Store) removeLeftovers() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list data directory: %w", err)
	}
	for _, e := range entries {
		if m := leftoverTemp.FindStringSubmatch(e.Name()); m != nil && vectorstore.ValidName(m[1]) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil {
				return fmt.Errorf("remove leftover temporary file: %w", err)
			}
			s.logger.Info("removed a temporary file left by a crash", "file", e.Name())
		}
	}
	return nil
}

// load reads a collection's snapshot and replays its log, or returns
// ErrNotFound when it has no snapshot. A reader (read-only store) that finds
// the log already restarted after a newer snapshot than the one it read
// (a writer compacted in between) reads both again. It stops when ctx ends,
// returning nothing (the log it may have opened is closed).
func (s *Store) load(ctx context.Context, name string) (*collection, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.loadSnapshot(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("open collection %q: %w", name, ctx.Err())
			}
			return nil, err
		}
		err = s.replay(ctx, c)
		if ctx.Err() != nil {
			if c.log != nil {
				c.log.f.Close()
			}
			return nil, fmt.Errorf("open collection %q: %w", name, ctx.Err())
		}
		if errors.Is(err, errNewerLog) && s.readOnly && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.logger.Debug("collection loaded", "collection", name, "documents", len(c.docs), "passages", c.passages)
		return c, nil
	}
}

var errNewerLog = errors.New("change log is newer than the snapshot")

func (s *Store) loadSnapshot(ctx context.Context, name string) (*collection, error) {
	s.loads.Add(1)
	if s.testHookLoad != nil {
		s.testHookLoad(ctx, name)
	}
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
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, corrupt("header", err)
	}
	var c *collection
	switch v := snapshotVersion(string(head)); {
	case string(head) == magic:
		c, err = s.readV9(ctx, f, st.Size(), corrupt)
	case v >= 3:
		c, err = s.readV3(ctx, f, st.Size(), string(head), corrupt)
	case v >= 1:
		c, err = s.readV2(f, st.Size(), v == 2, name, corrupt)
	default:
		return nil, corrupt("header", errors.New("not a semsearch collection file"))
	}
	if err != nil {
		return nil, err
	}
	if c.info.Name != name {
		return nil, corrupt("catalog", fmt.Errorf("it holds collection %q", c.info.Name))
	}
	c.snapBytes = st.Size()
	c.oldSnapshot = snapshotVersion(string(head)) < summaryVersion
	return c, nil
}

// readV3 reads a version 3 to 8 snapshot whose magic line, head, has been
// read, and computes the sign bits they do not hold.
func (s *Store) readV3(ctx context.Context, f *os.File, size int64, head string, corrupt func(string, error) error) (*collection, error) {
	br := bufio.NewReaderSize(f, 1<<20)
	crc := crc32.New(crcTable)
	crc.Write([]byte(head))
	cr := io.TeeReader(br, crc) // everything up to the stored checksum is summed
	var h [16]byte
	if _, err := io.ReadFull(cr, h[:]); err != nil {
		return nil, corrupt("header", err)
	}
	gen, catLen := binary.LittleEndian.Uint64(h[:]), binary.LittleEndian.Uint64(h[8:])
	rest := size - int64(len(magic)) - 16 - 12 - crcBytes
	if rest < 0 || catLen > uint64(rest) {
		return nil, corrupt("catalog", io.ErrUnexpectedEOF)
	}
	lr := io.LimitReader(cr, int64(catLen))
	dec := gob.NewDecoder(lr)
	if snapshotVersion(head) >= summaryVersion { // a summary, then the catalog
		var sum summary
		if err := dec.Decode(&sum); err != nil {
			return nil, corrupt("catalog", err)
		}
	}
	var cat catalog
	if err := dec.Decode(&cat); err != nil {
		return nil, corrupt("catalog", err)
	}
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, corrupt("catalog", err)
	}
	var vh [12]byte
	if _, err := io.ReadFull(cr, vh[:]); err != nil {
		return nil, corrupt("vectors", err)
	}
	dims, nvec := int(binary.LittleEndian.Uint32(vh[:])), binary.LittleEndian.Uint64(vh[4:])
	if uint64(size) != snapshotSize(catLen, uint64(dims), nvec) || (nvec > 0 && dims == 0) {
		return nil, corrupt("vectors", fmt.Errorf("file size does not match %d vectors of %d dimensions", nvec, dims))
	}
	c := newCollection(cat.Info)
	a := &c.arena
	a.dims = dims
	for left := int(nvec); left > 0; {
		if err := ctx.Err(); err != nil {
			return nil, err // nothing kept: the caller drops c
		}
		n := min(left, blockSlots)
		block := make([]float32, blockSlots*dims)
		if _, err := io.ReadFull(cr, floatBytes(block[:n*dims])); err != nil {
			return nil, corrupt("vectors", err)
		}
		fixEndian(block[:n*dims])
		a.f32 = append(a.f32, block)
		left -= n
	}
	for left := int(nvec); left > 0; {
		n := min(left, blockSlots)
		block := make([]int8, blockSlots*dims)
		if _, err := io.ReadFull(cr, int8Bytes(block[:n*dims])); err != nil {
			return nil, corrupt("vectors", err)
		}
		a.i8 = append(a.i8, block)
		left -= n
	}
	a.scale = make([]float32, nvec)
	if _, err := io.ReadFull(cr, floatBytes(a.scale)); err != nil {
		return nil, corrupt("vectors", err)
	}
	fixEndian(a.scale)
	sum := crc.Sum32()
	var stored [crcBytes]byte
	if _, err := io.ReadFull(br, stored[:]); err != nil {
		return nil, corrupt("checksum", err)
	}
	if want := binary.LittleEndian.Uint32(stored[:]); want != sum {
		return nil, corrupt("checksum", fmt.Errorf("file has CRC-32C %08x, its content %08x", want, sum))
	}
	a.n = int(nvec)
	a.computeSigns()
	if err := c.place(cat.Docs); err != nil {
		return nil, corrupt(err.what, err.err)
	}
	c.gen, c.logFrom, c.sources = gen, cat.LogFrom, cat.Sources
	return c, nil
}

// placeError says which part of a snapshot is inconsistent.
type placeError struct {
	what string
	err  error
}

// place gives the catalog's documents their slots, in catalog order: the
// arena holds their vectors in that order (a.n of them).
func (c *collection) place(docs []*docEntry) *placeError {
	a := &c.arena
	a.owner = make([]*docEntry, a.n)
	a.chunk = make([]int32, a.n)
	slot := int32(0)
	for _, e := range docs {
		if e == nil || len(e.Vectored) != len(e.Passages) {
			return &placeError{"catalog", errors.New("bad document entry")}
		}
		e.slots = make([]int32, len(e.Passages))
		for i, v := range e.Vectored {
			e.slots[i] = -1
			if !v {
				continue
			}
			if int(slot) >= a.n {
				return &placeError{"vectors", errors.New("fewer vectors than passages")}
			}
			e.slots[i] = slot
			a.owner[slot], a.chunk[slot] = e, int32(i)
			slot++
		}
		c.docs[e.Doc.ID] = e
		c.passages += len(e.Passages)
	}
	if int(slot) != a.n {
		return &placeError{"vectors", errors.New("more vectors than passages")}
	}
	a.live = a.n
	return nil
}

// mapping is a snapshot file mapped into memory (or read into it where
// mapping is not implemented), whose vector sections the arena's blocks
// alias. Its lifetime: those slices never leave the package (vectors handed
// to callers are copies, see [Store.Lookup]), and every holder of them
// holds the arena that references the mapping (queries the collection, a
// compaction its view, which copies the reference), so the mapping is
// unmapped by a cleanup once no arena references it, never while a
// slice of it may still be read.
type mapping struct {
	data []byte
}

func newMapping(data []byte) *mapping {
	m := &mapping{data: data}
	runtime.AddCleanup(m, unmapFile, data)
	return m
}

// align64 rounds n up to a multiple of 64.
func align64(n int64) int64 { return (n + 63) &^ 63 }

// v9Layout returns the offsets of the sections of a version 9 snapshot
// whose vector header ends at head, and its total size.
func v9Layout(head int64, nvec, dims uint64) (f32, i8, sign, scale, size int64) {
	words := (dims + 63) / 64
	f32 = align64(head)
	i8 = align64(f32 + int64(nvec*dims*4))
	sign = align64(i8 + int64(nvec*dims))
	scale = align64(sign + int64(nvec*words*8))
	size = scale + int64(nvec*4) + crcBytes
	return
}

// readV9 maps a version 9 snapshot and builds the collection on it: the
// full blocks of vectors alias the mapping; the last, partial one is
// copied, so that new slots go to memory of the process's own.
func (s *Store) readV9(ctx context.Context, f *os.File, size int64, corrupt func(string, error) error) (*collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, _, err := mapFile(f, size)
	if err != nil {
		return nil, corrupt("file", err)
	}
	m := newMapping(data)
	// The checksum of the whole file is computed on another core while
	// this one decodes the catalog, and checked before anything is used.
	sum := make(chan uint32, 1)
	go func() { sum <- crc32.Checksum(data[:size-crcBytes], crcTable) }()
	c, err := s.buildV9(data, size, corrupt)
	if want, got := binary.LittleEndian.Uint32(data[size-crcBytes:]), <-sum; want != got {
		return nil, corrupt("checksum", fmt.Errorf("file has CRC-32C %08x, its content %08x", want, got))
	}
	if err != nil {
		return nil, err
	}
	c.arena.mapped = m
	return c, nil
}

// buildV9 decodes the catalog of a version 9 snapshot in data and builds
// the collection on its vector sections.
func (s *Store) buildV9(data []byte, size int64, corrupt func(string, error) error) (*collection, error) {
	off := int64(len(magic))
	if size < off+16+12+crcBytes {
		return nil, corrupt("header", io.ErrUnexpectedEOF)
	}
	gen, catLen := binary.LittleEndian.Uint64(data[off:]), binary.LittleEndian.Uint64(data[off+8:])
	off += 16
	if catLen > uint64(size-off-12-crcBytes) {
		return nil, corrupt("catalog", io.ErrUnexpectedEOF)
	}
	dec := gob.NewDecoder(bytes.NewReader(data[off : off+int64(catLen)]))
	var sum summary // read by listing; the catalog repeats it
	if err := dec.Decode(&sum); err != nil {
		return nil, corrupt("catalog", err)
	}
	var cat catalog
	if err := dec.Decode(&cat); err != nil {
		return nil, corrupt("catalog", err)
	}
	off += int64(catLen)
	dims, nvec := uint64(binary.LittleEndian.Uint32(data[off:])), binary.LittleEndian.Uint64(data[off+4:])
	off += 12
	if (nvec > 0 && dims == 0) || nvec > uint64(size) || dims > uint64(size) {
		return nil, corrupt("vectors", fmt.Errorf("file size does not match %d vectors of %d dimensions", nvec, dims))
	}
	f32Off, i8Off, signOff, scaleOff, want := v9Layout(off, nvec, dims)
	if want != size {
		return nil, corrupt("vectors", fmt.Errorf("file size does not match %d vectors of %d dimensions", nvec, dims))
	}
	c := newCollection(cat.Info)
	a := &c.arena
	a.dims, a.n = int(dims), int(nvec)
	words := a.words()
	full := a.n / blockSlots
	for b := range (a.n + blockSlots - 1) / blockSlots {
		n := min(a.n-b*blockSlots, blockSlots)
		fv := unsafe.Slice((*float32)(unsafe.Pointer(&data[f32Off+int64(b*blockSlots*a.dims*4)])), n*a.dims)
		qv := unsafe.Slice((*int8)(unsafe.Pointer(&data[i8Off+int64(b*blockSlots*a.dims)])), n*a.dims)
		sv := unsafe.Slice((*uint64)(unsafe.Pointer(&data[signOff+int64(b*blockSlots*words*8)])), n*words)
		if b == full || !littleEndian {
			// A partial block (or values to convert): the process's own.
			fv = append(make([]float32, 0, blockSlots*a.dims), fv...)
			qv = append(make([]int8, 0, blockSlots*a.dims), qv...)
			sv = append(make([]uint64, 0, blockSlots*words), sv...)
			fixEndian(fv)
			fixEndianWords(sv)
			fv, qv, sv = fv[:cap(fv)], qv[:cap(qv)], sv[:cap(sv)]
		}
		a.f32 = append(a.f32, fv[:len(fv):len(fv)])
		a.i8 = append(a.i8, qv[:len(qv):len(qv)])
		a.sign = append(a.sign, sv[:len(sv):len(sv)])
	}
	a.scale = make([]float32, a.n)
	copy(floatBytes(a.scale), data[scaleOff:scaleOff+int64(4*a.n)])
	fixEndian(a.scale)
	if err := c.place(cat.Docs); err != nil {
		return nil, corrupt(err.what, err.err)
	}
	c.gen, c.logFrom, c.sources = gen, cat.LogFrom, cat.Sources
	return c, nil
}

// readV2 reads a version 1 or 2 snapshot (catalog, then chromem-go's export)
// whose magic line has been read, and moves its vectors into the arena.
func (s *Store) readV2(f *os.File, size int64, v2 bool, name string, corrupt func(string, error) error) (*collection, error) {
	end := size // of the vectors
	if v2 {
		end -= crcBytes
		if end < int64(len(magic)+8) {
			return nil, corrupt("checksum", io.ErrUnexpectedEOF)
		}
		if err := checkCRC(f, end); err != nil {
			return nil, corrupt("checksum", err)
		}
	}
	var nb [8]byte
	if _, err := f.ReadAt(nb[:], int64(len(magic))); err != nil {
		return nil, corrupt("header", err)
	}
	n := binary.LittleEndian.Uint64(nb[:])
	off := int64(len(magic) + 8)
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
	db := chromem.NewDB()
	if err := db.ImportFromReader(io.NewSectionReader(f, off, end-off), "", name); err != nil {
		return nil, corrupt("vectors", err)
	}
	old := db.GetCollection(name, noEmbedding)
	c := newCollection(cat.Info)
	ctx := context.Background()
	for _, e := range cat.Docs {
		vecs := make([][]float32, len(e.Passages))
		for i, v := range e.Vectored {
			if !v || old == nil {
				continue
			}
			d, err := old.GetByID(ctx, passageID(e.Doc.ID, i))
			if err != nil {
				return nil, corrupt("vectors", err)
			}
			vecs[i] = d.Embedding
		}
		c.applyPut(e, vecs)
	}
	return c, nil
}

// noEmbedding is given to chromem-go when reading a version 1 or 2
// snapshot, so that it never falls back to its default (OpenAI) embedding
// function: the vectors are all in the file.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("embedded: vectors must be supplied by the caller")
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

// replay applies the collection's change log to the state loaded from its
// snapshot. A writer cuts off a torn last record and keeps the log open for
// appending, creating it when missing.
func (s *Store) replay(ctx context.Context, c *collection) error {
	name := c.info.Name
	// Where the log ends as read, for listing the collection once it is
	// closed (a writer's log says it itself).
	c.logGen, c.logEnd = c.gen, int64(walHeader)
	path := s.walPath(name)
	flags := os.O_RDWR
	if s.readOnly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flags, 0)
	if errors.Is(err, os.ErrNotExist) {
		if s.readOnly {
			return nil
		}
		l, err := createLog(path, c.gen)
		if err != nil {
			return fmt.Errorf("create change log of %q: %w", name, err)
		}
		c.log = l
		return syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("open change log of %q: %w", name, err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	lr := &logReader{r: bufio.NewReaderSize(f, 1<<20), off: int64(walHeader)}
	gen, v1, err := readLogHeader(lr.r)
	switch {
	case errors.Is(err, errTorn):
		// A log cut off in its header holds nothing yet.
		if s.readOnly {
			return nil
		}
		f.Close()
		l, err := createLog(path, c.gen)
		if err != nil {
			return fmt.Errorf("create change log of %q: %w", name, err)
		}
		c.log = l
		return nil
	case err != nil:
		return fmt.Errorf("collection %q: %s: %w", name, path, err)
	case gen > c.gen:
		return fmt.Errorf("collection %q: %w (generation %d, snapshot %d)", name, errNewerLog, gen, c.gen)
	case gen < c.logFrom:
		// The log of the collection this snapshot replaced: a crash came
		// before the switch could start a new log.
		if s.readOnly {
			return nil
		}
		f.Close()
		s.logger.Info("dropping the change log of a replaced collection", "collection", name, "generation", gen)
		l, err := createLog(path, c.gen)
		if err != nil {
			return fmt.Errorf("create change log of %q: %w", name, err)
		}
		c.log = l
		return syncDir(s.dir)
	}
	if !s.readOnly && v1 {
		// From now on the log holds records an older semsearch would read
		// without their new fields: mark it so that it refuses it.
		if err := upgradeLogHeader(f); err != nil {
			return fmt.Errorf("change log of %q: %w", name, err)
		}
	}
	records := 0
	for {
		if records%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		op, p, err := lr.next()
		if err == io.EOF || errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return err
		}
		if err := c.applyRecord(op, p); err != nil {
			// A checksummed record that does not decode was written by
			// something else than this code: stop rather than guess.
			return fmt.Errorf("collection %q: replay %s: %w", name, path, err)
		}
		records++
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open change log of %q: %w", name, err)
	}
	if st.Size() > lr.off && !s.readOnly {
		s.logger.Warn("dropping a torn record at the end of the change log", "collection", name, "bytes", st.Size()-lr.off)
		if err := f.Truncate(lr.off); err != nil {
			return fmt.Errorf("cut torn record off the change log of %q: %w", name, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("cut torn record off the change log of %q: %w", name, err)
		}
	}
	if records > 0 {
		s.logger.Debug("change log replayed", "collection", name, "records", records)
	}
	c.logGen, c.logEnd = gen, lr.off
	if !s.readOnly {
		keep = true
		c.log = &logFile{f: f, size: lr.off, gen: gen}
	}
	return nil
}

// applyRecord applies one change log record in memory.
func (c *collection) applyRecord(op byte, p []byte) error {
	switch op {
	case opPut:
		var r putRecord
		raw, err := decodeRecord(p, &r)
		if err != nil {
			return err
		}
		e := r.Entry
		if e == nil || len(e.Vectored) != len(e.Passages) {
			return errors.New("bad put record")
		}
		dims := c.arena.dims
		vecs := make([][]float32, len(e.Passages))
		for i, v := range e.Vectored {
			if !v {
				continue
			}
			if dims == 0 {
				n := 0
				for _, w := range e.Vectored {
					if w {
						n++
					}
				}
				dims = len(raw) / 4 / n
			}
			if len(raw) < 4*dims {
				return errors.New("put record has fewer vectors than passages")
			}
			v := make([]float32, dims)
			copy(floatBytes(v), raw[:4*dims])
			fixEndian(v)
			raw = raw[4*dims:]
			vecs[i] = v
		}
		c.applyPut(e, vecs)
		c.info.Updated = r.Updated
	case opDelete:
		var r deleteRecord
		if _, err := decodeRecord(p, &r); err != nil {
			return err
		}
		c.applyDelete(r.IDs)
		c.info.Updated = r.Updated
	case opSources:
		var r sourcesRecord
		if _, err := decodeRecord(p, &r); err != nil {
			return err
		}
		c.sources = &r.Sources
	default:
		return fmt.Errorf("unknown log record type %d", op)
	}
	return nil
}

// writeSnapshot writes a snapshot (of the current version) of docs and
// the collection's sources, whose vectors view
// holds (the arena's blocks as they were when the snapshot was taken), to a
// synced temporary file and returns its name and size; the caller renames it
// into place. logFrom is the catalog's LogFrom.
func (s *Store) writeSnapshot(info vectorstore.Collection, sources *vectorstore.Sources, docs []*docEntry, view *arena, gen, logFrom uint64) (string, int64, error) {
	name := info.Name
	slices.SortFunc(docs, func(a, b *docEntry) int {
		if a.Doc.ID < b.Doc.ID {
			return -1
		}
		return 1
	})
	cat := catalog{Info: info, Docs: docs, LogFrom: logFrom, Sources: sources}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(&summary{Info: info, LogFrom: logFrom}); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	if err := enc.Encode(&cat); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	nvec := 0
	for _, e := range docs {
		for _, s := range e.slots {
			if s >= 0 {
				nvec++
			}
		}
	}
	tmp, err := os.CreateTemp(s.dir, name+".*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("save collection %q: %w", name, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	h := crc32.New(crcTable)
	hw := io.MultiWriter(w, h) // bufio keeps the first write error for Flush
	var hd []byte
	hd = append(hd, magic...)
	hd = binary.LittleEndian.AppendUint64(hd, gen)
	hd = binary.LittleEndian.AppendUint64(hd, uint64(buf.Len()))
	hw.Write(hd)
	hw.Write(buf.Bytes())
	var vh []byte
	vh = binary.LittleEndian.AppendUint32(vh, uint32(view.dims))
	vh = binary.LittleEndian.AppendUint64(vh, uint64(nvec))
	hw.Write(vh)
	head := int64(len(hd) + buf.Len() + len(vh))
	f32Off, i8Off, signOff, scaleOff, _ := v9Layout(head, uint64(nvec), uint64(view.dims))
	written := head
	pad := func(to int64) {
		hw.Write(make([]byte, to-written))
		written = to
	}
	each := func(write func(slot int32) []byte) {
		for _, e := range docs {
			for _, s := range e.slots {
				if s >= 0 {
					b := write(s)
					hw.Write(b)
					written += int64(len(b))
				}
			}
		}
	}
	var scratch []byte
	pad(f32Off)
	each(func(s int32) []byte {
		scratch = appendFloats(scratch[:0], view.vec(s))
		return scratch
	})
	pad(i8Off)
	each(func(s int32) []byte { return int8Bytes(view.qvec(s)) })
	pad(signOff)
	each(func(s int32) []byte {
		scratch = scratch[:0]
		for _, x := range view.signs(s) {
			scratch = binary.LittleEndian.AppendUint64(scratch, x)
		}
		return scratch
	})
	pad(scaleOff)
	each(func(s int32) []byte {
		scratch = appendFloats(scratch[:0], view.scale[s:s+1])
		return scratch
	})
	// view's blocks may alias a mapping that only view keeps alive.
	runtime.KeepAlive(view)
	w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
	err = w.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = tmp.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("save collection %q: %w", name, err)
	}
	ok = true
	return tmp.Name(), size, nil
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
