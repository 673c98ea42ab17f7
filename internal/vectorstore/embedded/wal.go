package embedded

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"time"
	"unsafe"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The change log. Each collection has, beside its snapshot, a log of the
// changes made since: NAME.wal holds a header (walMagic and the generation
// of the snapshot it continues, a little-endian uint64) followed by records.
// A record is its payload's length and CRC-32C (little-endian uint32s), then
// the payload: an op byte, the length of a header, the header (gob-encoded;
// for a put since log v6, written by hand, see recordPut) and, for a put,
// the passages' vectors as raw little-endian float32.
//
// A change is appended to the log (one write) before it is applied in
// memory, and [Store.Flush] syncs the log, so a durable write costs the
// change, not the collection. Opening a collection loads its snapshot and
// replays the log; the first record that is short or fails its checksum
// (a write torn by a crash) ends the log and is cut off. Replaying a record
// that the snapshot already holds changes nothing (a put replaces the whole
// document, a delete removes it), so a crash between writing a new snapshot
// and starting the log afresh loses nothing either.
const (
	walExt      = ".wal"
	walMagic    = "semsearch log v6\n"
	walMagicV5  = "semsearch log v5\n" // same layout; puts only with gob headers
	walMagicV4  = "semsearch log v4\n" // same layout; sources only replaced whole
	walMagicV3  = "semsearch log v3\n" // same layout; no sources records
	walMagicV2  = "semsearch log v2\n" // same layout; documents without Pages and Chapters
	walMagicV1  = "semsearch log v1\n" // same layout; documents without Skip and Lines either
	walHeader   = len(walMagic) + 8
	recHeader   = 8
	maxRecBytes = 1 << 30

	opPut     byte = 1
	opDelete  byte = 2
	opSources byte = 3 // the collection's sources, replaced whole (log v4)
	// opSourcesChange changes the collection's sources: the roots
	// replaced, some file reports replaced or added, some removed (log v5).
	opSourcesChange byte = 4
	// opPutDoc is a put whose header is written by hand (log v6; see
	// recordPut), not by gob: encoding a gob header (its type sent with
	// every record) cost more than the rest of a put.
	opPutDoc byte = 5
)

// errTorn reports the end of the usable log: a record cut short or damaged.
var errTorn = errors.New("torn log record")

// putRecord is the gob header of a put; the vectors of the passages marked
// in Entry.Vectored follow it, in order.
type putRecord struct {
	Entry   *docEntry
	Updated time.Time
	Counts  counts
}

type deleteRecord struct {
	IDs     []string
	Updated time.Time
	Counts  counts
}

// counts is what the collection holds once a record is applied, so that
// listing collections reads a closed collection's figures from its log's
// last record instead of replaying the log. Records written before
// semsearch recorded them lack them (Counted false); an older semsearch
// ignores them.
type counts struct {
	Counted             bool
	Documents, Passages int
}

// sourcesRecord replaces what the collection was indexed from. Updated
// and Counts are the collection's as they were (a listing reads them from
// the log's last record, whatever it is).
type sourcesRecord struct {
	Sources vectorstore.Sources
	Updated time.Time
	Counts  counts
}

// sourcesChange is what changed in the collection's sources since the
// last sources record: a watch batch records the files it looked at, not
// the whole report. Files are upserted and removed by path; the report
// stays ordered by path.
type sourcesChange struct {
	Roots   []vectorstore.SourceRoot
	Upsert  []vectorstore.FileReport
	Remove  []string
	Updated time.Time
	Counts  counts
}

// diffSources returns the change that turns old into next, and false
// when next's files are not ordered by path (as sources.Report orders
// them), which a change could not reproduce.
func diffSources(old, next vectorstore.Sources) (sourcesChange, bool) {
	if !byPath(next.Files) || !byPath(old.Files) {
		return sourcesChange{}, false
	}
	ch := sourcesChange{Roots: next.Roots}
	i, j := 0, 0
	for i < len(old.Files) || j < len(next.Files) {
		switch {
		case j == len(next.Files) || i < len(old.Files) && old.Files[i].Path < next.Files[j].Path:
			ch.Remove = append(ch.Remove, old.Files[i].Path)
			i++
		case i == len(old.Files) || next.Files[j].Path < old.Files[i].Path:
			ch.Upsert = append(ch.Upsert, next.Files[j])
			j++
		default:
			if !sameReport(old.Files[i], next.Files[j]) {
				ch.Upsert = append(ch.Upsert, next.Files[j])
			}
			i++
			j++
		}
	}
	return ch, true
}

// byPath reports whether files are in increasing order of path, each
// path once.
func byPath(files []vectorstore.FileReport) bool {
	for i := 1; i < len(files); i++ {
		if files[i-1].Path >= files[i].Path {
			return false
		}
	}
	return true
}

// sameReport reports whether two reports are equal in every field
// (TestSameReportEveryField fails when FileReport gains one this does not
// compare). It runs for every file of a watch batch's report, so it does
// not use reflection.
func sameReport(a, b vectorstore.FileReport) bool {
	return a.Path == b.Path && a.Status == b.Status && a.Reason == b.Reason && slices.Equal(a.IDs, b.IDs) &&
		a.Articles == b.Articles && a.Passages == b.Passages && a.Pages == b.Pages &&
		a.When.Equal(b.When) && a.When.Location() == b.When.Location()
}

// apply returns old with the change made, as a new value (old's slices
// may be a caller's).
func (ch sourcesChange) apply(old vectorstore.Sources) vectorstore.Sources {
	out := vectorstore.Sources{Roots: ch.Roots}
	up := ch.Upsert
	rm := ch.Remove
	for _, f := range old.Files {
		for len(up) > 0 && up[0].Path < f.Path {
			out.Files = append(out.Files, up[0])
			up = up[1:]
		}
		for len(rm) > 0 && rm[0] < f.Path {
			rm = rm[1:]
		}
		switch {
		case len(rm) > 0 && rm[0] == f.Path:
			rm = rm[1:]
		case len(up) > 0 && up[0].Path == f.Path:
			out.Files = append(out.Files, up[0])
			up = up[1:]
		default:
			out.Files = append(out.Files, f)
		}
	}
	out.Files = append(out.Files, up...)
	return out
}

// littleEndian reports whether float32 slices can be written and read as
// raw little-endian bytes as they lie in memory.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// floatBytes returns the bytes of v in memory; on a little-endian machine
// they are v's little-endian encoding.
func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// int8Bytes returns the bytes of v in memory.
func int8Bytes(v []int8) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v))
}

// appendFloats appends v as little-endian float32s.
func appendFloats(b []byte, v []float32) []byte {
	if littleEndian {
		return append(b, floatBytes(v)...)
	}
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// fixEndian turns floats read as raw little-endian bytes into native ones.
func fixEndian(v []float32) {
	if littleEndian {
		return
	}
	b := floatBytes(v)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// fixEndianWords converts little-endian uint64s read from a file in place.
func fixEndianWords(v []uint64) {
	if littleEndian || len(v) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
}

// record frames a change as a log record, its header gob-encoded.
func record(op byte, head any, vecs [][]float32) ([]byte, error) {
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(head); err != nil {
		return nil, err
	}
	return frame(op, g.Len(), func(b []byte) []byte { return append(b, g.Bytes()...) }, vecs), nil
}

// frame builds a log record: the record header, op, the length of the
// header appendHead appends (about size bytes) and that header, then vecs as
// raw little-endian float32.
func frame(op byte, size int, appendHead func([]byte) []byte, vecs [][]float32) []byte {
	n := 0
	for _, v := range vecs {
		n += 4 * len(v)
	}
	b := make([]byte, recHeader, recHeader+1+4+size+n)
	b = append(b, op, 0, 0, 0, 0)
	start := len(b)
	b = appendHead(b)
	binary.LittleEndian.PutUint32(b[start-4:], uint32(len(b)-start))
	for _, v := range vecs {
		b = appendFloats(b, v)
	}
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)-recHeader))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[recHeader:], crcTable))
	return b
}

// logFile is a collection's open change log.
type logFile struct {
	f    *os.File
	size int64 // bytes, header included
	gen  uint64
}

// createLog writes a new, empty log of generation gen at path (replacing any
// file there) and syncs it.
func createLog(path string, gen uint64) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	l := &logFile{f: f, gen: gen}
	if err := l.writeHeader(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *logFile) writeHeader() error {
	h := binary.LittleEndian.AppendUint64([]byte(walMagic), l.gen)
	if _, err := l.f.WriteAt(h, 0); err != nil {
		return err
	}
	l.size = int64(len(h))
	return nil
}

// append writes rec at the end of the log. A failed write is cut off again,
// so the next record does not follow garbage.
func (l *logFile) append(rec []byte) error {
	if _, err := l.f.WriteAt(rec, l.size); err != nil {
		if terr := l.f.Truncate(l.size); terr != nil {
			return fmt.Errorf("%w (and cutting off the partial record: %v)", err, terr)
		}
		return err
	}
	l.size += int64(len(rec))
	return nil
}

// logReader reads the records of a log.
type logReader struct {
	r   *bufio.Reader
	off int64 // end of the last good record
	buf []byte
}

// readLogHeader reads a log's header and returns its generation, and
// whether it is an older (version 1 to 5) log.
func readLogHeader(r io.Reader) (uint64, bool, error) {
	h := make([]byte, walHeader)
	if _, err := io.ReadFull(r, h); err != nil {
		return 0, false, errTorn
	}
	m := string(h[:len(walMagic)])
	if m != walMagic && m != walMagicV5 && m != walMagicV4 && m != walMagicV3 && m != walMagicV2 && m != walMagicV1 {
		return 0, false, errors.New("not a semsearch change log (or one written by a newer semsearch)")
	}
	return binary.LittleEndian.Uint64(h[len(walMagic):]), m != walMagic, nil
}

// upgradeLogHeader turns an older log's magic into the current one's (same
// length, one write) and syncs it.
func upgradeLogHeader(f *os.File) error {
	if _, err := f.WriteAt([]byte(walMagic), 0); err != nil {
		return fmt.Errorf("upgrade header: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("upgrade header: %w", err)
	}
	return nil
}

// next returns the next record's op and payload (valid until the next
// call), io.EOF at the clean end of the log, or errTorn.
func (lr *logReader) next() (byte, []byte, error) {
	var h [recHeader]byte
	n, err := io.ReadFull(lr.r, h[:])
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil || n < recHeader {
		return 0, nil, errTorn
	}
	size := binary.LittleEndian.Uint32(h[0:])
	if size < 5 || size > maxRecBytes {
		return 0, nil, errTorn
	}
	if cap(lr.buf) < int(size) {
		lr.buf = make([]byte, size)
	}
	p := lr.buf[:size]
	if _, err := io.ReadFull(lr.r, p); err != nil {
		return 0, nil, errTorn
	}
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(h[4:]) {
		return 0, nil, errTorn
	}
	lr.off += recHeader + int64(size)
	return p[0], p[1:], nil
}

// recordPut frames a put as an opPutDoc record: the header is the time and
// counts (first, so that listing reads them without the document), then
// the document as a snapshot's catalog writes it (appendDocs, a list of
// one).
func recordPut(r putRecord, vecs [][]float32) []byte {
	size := 256 + len(r.Entry.Doc.Text) + 64*len(r.Entry.Passages)
	return frame(opPutDoc, size, func(b []byte) []byte {
		return appendDocs(appendPutHead(b, r.Updated, r.Counts), []*docEntry{r.Entry})
	}, vecs)
}

func appendPutHead(b []byte, updated time.Time, c counts) []byte {
	b = appendTime(b, updated)
	counted := byte(0)
	if c.Counted {
		counted = 1
	}
	b = append(b, counted)
	b = binary.AppendUvarint(b, uint64(c.Documents))
	return binary.AppendUvarint(b, uint64(c.Passages))
}

// readPutHead decodes what appendPutHead wrote at the start of r.
func readPutHead(r *docReader) (time.Time, counts) {
	t := r.time()
	var c counts
	c.Counted = r.byte() == 1
	c.Documents, c.Passages = int(r.uvarint()), int(r.uvarint())
	return t, c
}

// decodePutDoc decodes an opPutDoc payload (after the op byte) into its
// header and the raw vectors after it. The document's strings alias a copy
// of the header, not p (a log reader's buffer, reused).
func decodePutDoc(p []byte) (putRecord, []byte, error) {
	var r putRecord
	head, raw, err := splitRecord(p)
	if err != nil {
		return r, nil, err
	}
	head = bytes.Clone(head)
	rd := &docReader{buf: head}
	r.Updated, r.Counts = readPutHead(rd)
	if rd.err != nil {
		return r, nil, fmt.Errorf("decode log record: %w", rd.err)
	}
	docs, err := readDocs(head[rd.off:])
	if err != nil {
		return r, nil, fmt.Errorf("decode log record: %w", err)
	}
	if len(docs) != 1 {
		return r, nil, fmt.Errorf("decode log record: a put of %d documents", len(docs))
	}
	r.Entry = docs[0]
	return r, raw, nil
}

// splitRecord splits a payload (after the op byte) into its header and
// the raw vectors after it.
func splitRecord(p []byte) (head, raw []byte, err error) {
	if len(p) < 4 {
		return nil, nil, errTorn
	}
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if uint64(n) > uint64(len(p)) {
		return nil, nil, errTorn
	}
	return p[:n], p[n:], nil
}

// decodeRecord splits a payload into its gob header, decoded into head, and
// the raw vectors after it.
func decodeRecord(p []byte, head any) ([]byte, error) {
	g, raw, err := splitRecord(p)
	if err != nil {
		return nil, err
	}
	if err := gob.NewDecoder(bytes.NewReader(g)).Decode(head); err != nil {
		return nil, fmt.Errorf("decode log record: %w", err)
	}
	return raw, nil
}
