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
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// A snapshot file (version 10) is: the magic (24 bytes, like the magic
// lines of the earlier versions, but without their newline); the
// generation of the log that continues it and the length of the catalog,
// little-endian uint64s; the catalog: a gob stream of the collection's
// [summary] and then of its [catalog] without documents, followed by the
// documents in the binary form of [appendDocs]; the dimension (uint32) and
// number (uint64) of the vectors and the length of the catalog's gob part
// (uint64); then version 9's aligned sections (float32 vectors, int8
// copies, sign bits, scales); then the CRC-32C of each part of the file,
// in its order: everything before the float32 section (header and
// catalog), and each section with the zero bytes that follow it. Opening
// checks the first and the scales' at once (a few MB; the catalog decodes
// without reflection, see catalog.go) and the three vector sections (3.9
// GB at 1M x 768) in the background, yielding to queries (see [verifier]):
// reading them whole before the first query took longer than everything
// else opening does.
//
// A version 9 snapshot is: the magic line; the generation of the
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
	magic    = "semsearch collection v10"
	magicV9  = "semsearch collection v9\n"
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
	for v, m := range [...]string{magicV1, magicV2, magicV3, magicV4, magicV5, magicV6, magicV7, magicV8, magicV9, magic} {
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
	case v >= 9:
		c, err = s.readMapped(ctx, f, st.Size(), v, corrupt)
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
	c.snapVersion = snapshotVersion(string(head))
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
	if len(c.docs) == 0 {
		c.docs = make(map[string]*docEntry, len(docs))
	}
	var slots []int32 // carved into the documents' (see readDocs)
	slot := int32(0)
	for _, e := range docs {
		if e == nil || len(e.Vectored) != len(e.Passages) {
			return &placeError{"catalog", errors.New("bad document entry")}
		}
		if n := len(e.Passages); len(slots) < n {
			slots = make([]int32, max(n, 1<<14))
		}
		e.slots, slots = slots[:len(e.Passages):len(e.Passages)], slots[len(e.Passages):]
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
// slice of it may still be read. The background verifier of a version 10
// snapshot holds it only weakly, between chunks, so it never keeps it.
type mapping struct {
	data []byte
	// busy counts the queries reading the mapping now: the verifier
	// waits (a little) for none before each chunk.
	busy atomic.Int32
	// check is the verification of the vector sections (nil when the
	// whole file was checked at open, as for version 9).
	check *verification
}

// verification is the outcome of checking a mapped snapshot's vector
// sections against their checksums: done is closed when it ends, after err
// is set (nil when they match, errNotVerified when cut short).
type verification struct {
	done chan struct{}
	err  error
}

// errNotVerified ends a verification cut short (the store closed, or the
// mapping dropped): a compaction still waiting for it refuses to run.
var errNotVerified = errors.New("the store closed before the collection's vectors were verified")

// failed returns the verification's error once it has found damage.
func (m *mapping) failed() error {
	if m == nil || m.check == nil {
		return nil
	}
	select {
	case <-m.check.done:
		if m.check.err == errNotVerified {
			return nil
		}
		return m.check.err
	default:
		return nil
	}
}

// verified reports whether the mapping's content is known to match its
// checksums (or needs no check).
func (m *mapping) verified() bool {
	if m == nil || m.check == nil {
		return true
	}
	select {
	case <-m.check.done:
		return m.check.err == nil
	default:
		return false
	}
}

// wait waits for the verification to end and returns its error.
func (m *mapping) wait() error {
	if m == nil || m.check == nil {
		return nil
	}
	<-m.check.done
	return m.check.err
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
	return vecLayout(head, nvec, dims, crcBytes)
}

// v10Trailer is the size of a version 10 snapshot's checksums: header
// and catalog, float32, int8, sign bits, scales.
const v10Trailer = 5 * crcBytes

// vecLayout returns the offsets of the aligned sections of a snapshot
// whose vector header ends at head and whose checksums take trailer bytes,
// and its total size.
func vecLayout(head int64, nvec, dims uint64, trailer int64) (f32, i8, sign, scale, size int64) {
	words := (dims + 63) / 64
	f32 = align64(head)
	i8 = align64(f32 + int64(nvec*dims*4))
	sign = align64(i8 + int64(nvec*dims))
	scale = align64(sign + int64(nvec*words*8))
	size = scale + int64(nvec*4) + trailer
	return
}

// mappedSize returns the size of a version 9 or 10 snapshot whose catalog
// ends at catEnd and which holds nvec vectors of dims dimensions.
func mappedSize(v int, catEnd int64, nvec, dims uint64) int64 {
	if v == 9 {
		_, _, _, _, n := v9Layout(catEnd+12, nvec, dims)
		return n
	}
	_, _, _, _, n := vecLayout(catEnd+20, nvec, dims, v10Trailer)
	return n
}

// readMapped maps a version 9 or 10 snapshot and builds the collection on
// it: the full blocks of vectors alias the mapping; the last, partial one
// is copied, so that new slots go to memory of the process's own.
func (s *Store) readMapped(ctx context.Context, f *os.File, size int64, v int, corrupt func(string, error) error) (*collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v == 9 {
		// The checksum of the whole file is computed on another core
		// while this one decodes the catalog, and checked before
		// anything is used: every page is read at once, so mapping
		// them all at once (populate) costs less than a fault each.
		data, _, err := mapFile(f, size, true)
		if err != nil {
			return nil, corrupt("file", err)
		}
		m := newMapping(data)
		sum := make(chan uint32, 1)
		go func() { sum <- crc32.Checksum(data[:size-crcBytes], crcTable) }()
		c, _, err := s.buildMapped(m, size, v, corrupt)
		if want, got := binary.LittleEndian.Uint32(data[size-crcBytes:]), <-sum; want != got {
			return nil, corrupt("checksum", fmt.Errorf("file has CRC-32C %08x, its content %08x", want, got))
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	// Version 10: pages are mapped as they are first read (the first
	// query's, then the verifier's), not all before the first query.
	data, _, err := mapFile(f, size, false)
	if err != nil {
		return nil, corrupt("file", err)
	}
	m := newMapping(data)
	c, sections, err := s.buildMapped(m, size, v, corrupt)
	if err != nil {
		return nil, err
	}
	m.check = &verification{done: make(chan struct{})}
	// Close waits for it (closer): it stops at the next chunk, so that
	// nothing reads the mapping once the store is closed.
	wm, check := weak.Make(m), m.check
	s.mu.RLock() // Close closes stop under mu, then waits for closer
	select {
	case <-s.stop:
		check.err = errNotVerified
		close(check.done)
	default:
		hook := s.testHookVerify
		s.closer.Go(func() {
			if hook != nil {
				hook()
			}
			verifySections(wm, check, sections, s.stop, s.logger, corrupt)
		})
	}
	s.mu.RUnlock()
	return c, nil
}

// section is a part of a version 10 snapshot with its stored checksum.
type section struct {
	name    string
	lo, hi  int64
	want    uint32
	isFirst bool
}

func (sec section) check(data []byte) error {
	if got := crc32.Checksum(data[sec.lo:sec.hi], crcTable); got != sec.want {
		return fmt.Errorf("the %s section (bytes %d to %d) has CRC-32C %08x, the file records %08x", sec.name, sec.lo, sec.hi, got, sec.want)
	}
	return nil
}

// verifyChunk is how much of a section the verifier checks between two
// looks at whether queries are running (about 0.2 ms of one core, more
// when its pages are first mapped).
const verifyChunk = 1 << 20

// verifySections checks the vector sections of a version 10 snapshot in
// the background and records the outcome in v: a mismatch makes every
// later query of the collection fail with corrupt's error (and a
// compaction, which would otherwise write the damage into a file with
// good checksums, refuse to run), and is logged. Before each chunk it
// waits up to 20 ms for running queries to end, so it slows them little
// while still finishing under constant load (at 50 MB/s or more). It stops, leaving
// the outcome unknown, when the store closes or when the collection's arena
// no longer references the mapping (closed, replaced): it holds the mapping
// only weakly between chunks so that it never keeps 4 GB mapped by itself.
func verifySections(wm weak.Pointer[mapping], v *verification, sections []section, stop <-chan struct{}, logger *slog.Logger, corrupt func(string, error) error) {
	defer close(v.done)
	for _, sec := range sections {
		var h uint32
		for lo := sec.lo; lo < sec.hi; lo += verifyChunk {
			select {
			case <-stop:
				v.err = errNotVerified
				return
			default:
			}
			m := wm.Value()
			if m == nil {
				v.err = errNotVerified
				return
			}
			for i := 0; i < 20 && m.busy.Load() > 0; i++ {
				time.Sleep(time.Millisecond)
			}
			h = crc32.Update(h, crcTable, m.data[lo:min(lo+verifyChunk, sec.hi)])
			runtime.KeepAlive(m)
		}
		if h != sec.want {
			v.err = corrupt("vectors", fmt.Errorf("the %s section (bytes %d to %d) has CRC-32C %08x, the file records %08x", sec.name, sec.lo, sec.hi, h, sec.want))
			logger.Error("collection file is damaged: its queries fail until it is re-indexed", "error", v.err)
			return
		}
	}
}

// buildMapped decodes the catalog of a version 9 or 10 snapshot mapped in
// m and builds the collection on its vector sections. For version 10 it
// checks the checksums of the header and catalog and of the scales, and
// returns the float32, int8 and sign sections with their checksums, for
// the caller to verify.
func (s *Store) buildMapped(m *mapping, size int64, v int, corrupt func(string, error) error) (*collection, []section, error) {
	data := m.data
	off := int64(len(magic))
	vh := int64(12)
	trailer := int64(crcBytes)
	if v >= 10 {
		vh, trailer = 20, v10Trailer
	}
	if size < off+16+vh+trailer {
		return nil, nil, corrupt("header", io.ErrUnexpectedEOF)
	}
	gen, catLen := binary.LittleEndian.Uint64(data[off:]), binary.LittleEndian.Uint64(data[off+8:])
	off += 16
	if catLen > uint64(size-off-vh-trailer) {
		return nil, nil, corrupt("catalog", io.ErrUnexpectedEOF)
	}
	catOff := off
	off += int64(catLen)
	dims, nvec := uint64(binary.LittleEndian.Uint32(data[off:])), binary.LittleEndian.Uint64(data[off+4:])
	var gobLen uint64
	if v >= 10 {
		gobLen = binary.LittleEndian.Uint64(data[off+12:])
	}
	off += vh
	if (nvec > 0 && dims == 0) || nvec > uint64(size) || dims > uint64(size) || gobLen > catLen {
		return nil, nil, corrupt("vectors", fmt.Errorf("file size does not match %d vectors of %d dimensions", nvec, dims))
	}
	f32Off, i8Off, signOff, scaleOff, want := vecLayout(off, nvec, dims, trailer)
	if want != size {
		return nil, nil, corrupt("vectors", fmt.Errorf("file size does not match %d vectors of %d dimensions", nvec, dims))
	}
	var sections []section
	if v >= 10 {
		sum := func(i int) uint32 { return binary.LittleEndian.Uint32(data[size-trailer+int64(i)*crcBytes:]) }
		sections = []section{{"sign bits", signOff, scaleOff, sum(3), false}, {"int8", i8Off, signOff, sum(2), false},
			{"float32", f32Off, i8Off, sum(1), false}}
		for _, sec := range []section{{"header and catalog", 0, f32Off, sum(0), true}, {"scales", scaleOff, size - trailer, sum(4), false}} {
			if err := sec.check(data); err != nil {
				what := "checksum"
				if sec.isFirst {
					what = "catalog"
				}
				return nil, nil, corrupt(what, err)
			}
		}
	}
	var cat catalog
	if v >= 10 {
		dec := gob.NewDecoder(bytes.NewReader(data[catOff : catOff+int64(gobLen)]))
		var sum summary // read by listing; the catalog repeats it
		if err := dec.Decode(&sum); err != nil {
			return nil, nil, corrupt("catalog", err)
		}
		if err := dec.Decode(&cat); err != nil {
			return nil, nil, corrupt("catalog", err)
		}
		// The documents' strings alias a copy of theirs, not the mapping.
		docs, err := readDocs(bytes.Clone(data[catOff+int64(gobLen) : catOff+int64(catLen)]))
		if err != nil {
			return nil, nil, corrupt("catalog", err)
		}
		cat.Docs = docs
	} else {
		dec := gob.NewDecoder(bytes.NewReader(data[catOff : catOff+int64(catLen)]))
		var sum summary // read by listing; the catalog repeats it
		if err := dec.Decode(&sum); err != nil {
			return nil, nil, corrupt("catalog", err)
		}
		if err := dec.Decode(&cat); err != nil {
			return nil, nil, corrupt("catalog", err)
		}
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
		return nil, nil, corrupt(err.what, err.err)
	}
	c.gen, c.logFrom, c.sources = gen, cat.LogFrom, cat.Sources
	a.mapped = m
	return c, sections, nil
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
	case opPut, opPutDoc:
		var r putRecord
		var raw []byte
		var err error
		if op == opPut {
			raw, err = decodeRecord(p, &r)
		} else {
			r, raw, err = decodePutDoc(p)
		}
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
	case opSourcesChange:
		var r sourcesChange
		if _, err := decodeRecord(p, &r); err != nil {
			return err
		}
		var old vectorstore.Sources
		if c.sources != nil {
			old = *c.sources
		}
		src := r.apply(old)
		c.sources = &src
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
	// The documents follow the gob part in their own form (catalog.go).
	cat := catalog{Info: info, LogFrom: logFrom, Sources: sources}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(&summary{Info: info, LogFrom: logFrom}); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	if err := enc.Encode(&cat); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	gobLen := buf.Len()
	buf.Write(appendDocs(nil, docs))
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
	// Each part of the file has its checksum (see the format above).
	h := crc32.New(crcTable)
	var sums []byte
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
	vh = binary.LittleEndian.AppendUint64(vh, uint64(gobLen))
	hw.Write(vh)
	head := int64(len(hd) + buf.Len() + len(vh))
	f32Off, i8Off, signOff, scaleOff, _ := vecLayout(head, uint64(nvec), uint64(view.dims), v10Trailer)
	writeSections(hw, view, docs, head, [4]int64{f32Off, i8Off, signOff, scaleOff}, func() {
		sums = binary.LittleEndian.AppendUint32(sums, h.Sum32())
		h.Reset()
	})
	w.Write(binary.LittleEndian.AppendUint32(sums, h.Sum32()))
	size, err := finishTemp(tmp, w)
	if err != nil {
		return "", 0, fmt.Errorf("save collection %q: %w", name, err)
	}
	ok = true
	return tmp.Name(), size, nil
}

// writeSections writes, from offset written, the vector sections of docs'
// slots in view: each of offs (float32 vectors, int8 copies, sign bits,
// scales) is reached with zero bytes, endPart is called there (the part
// before it ends), and the section follows, slot by slot in docs' order.
func writeSections(hw io.Writer, view *arena, docs []*docEntry, written int64, offs [4]int64, endPart func()) {
	each := func(to int64, write func(slot int32) []byte) {
		hw.Write(make([]byte, to-written))
		written = to
		endPart()
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
	each(offs[0], func(s int32) []byte {
		scratch = appendFloats(scratch[:0], view.vec(s))
		return scratch
	})
	each(offs[1], func(s int32) []byte { return int8Bytes(view.qvec(s)) })
	each(offs[2], func(s int32) []byte {
		scratch = scratch[:0]
		for _, x := range view.signs(s) {
			scratch = binary.LittleEndian.AppendUint64(scratch, x)
		}
		return scratch
	})
	each(offs[3], func(s int32) []byte {
		scratch = appendFloats(scratch[:0], view.scale[s:s+1])
		return scratch
	})
	// view's blocks may alias a mapping that only view keeps alive.
	runtime.KeepAlive(view)
}

// finishTemp flushes w, the buffer over tmp, makes tmp durable and closes
// it, and returns its size.
func finishTemp(tmp *os.File, w *bufio.Writer) (int64, error) {
	err := w.Flush()
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
	return size, err
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
