package bm25

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"sort"
)

// A segment file holds every document, passage and posting of an index as
// of one generation, immutable once written: the log (see log.go) records
// the batches applied since. Its layout, little-endian:
//
//	header     "SSBM25SG", u32 segmentVersion, u32 0
//	docs       per document, by id: uvarint len, id, uvarint len, hash, uvarint tokens
//	doc index  per document: u64 offset of its entry, u32 first passage, u32 passages
//	passages   per passage, grouped by document in doc order: u32 document, u32 chunk, u32 length
//	postings   per term: (uvarint passage delta, uvarint frequency) for each passage holding it
//	terms      per term, sorted: uvarint len, term, uvarint df, uvarint postings length
//	term index per term: u64 offset of its entry, u64 offset of its postings
//	footer     u64 documents, passages, terms, tokens, and the offsets of doc index,
//	           passages, terms and term index; u32 CRC-32C of everything before it
//
// The fixed-size indexes let a reader find a document, a passage or a term
// without decoding the file: opening one costs reading it and checking its
// checksum, not building it again.

const (
	segmentMagic   = "SSBM25SG"
	segmentVersion = 1
	segHeaderSize  = 16
	segFooterSize  = 8*8 + 4
	docIndexEntry  = 16
	passageEntry   = 12
	termIndexEntry = 16
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt is what a bounds check inside a checksummed segment finds: a
// file written by something else or a bug, reported as damage.
var errCorrupt = errors.New("segment entry out of bounds")

// segment is a parsed segment file.
type segment struct {
	data                                         []byte
	docs, passages, terms                        int
	tokens                                       int64
	docIndexAt, passagesAt, termsAt, termIndexAt int
}

// parseSegment checks data's checksum and footer and returns the segment
// it holds. data is kept, not copied.
func parseSegment(data []byte) (*segment, error) {
	if len(data) < segHeaderSize+segFooterSize {
		return nil, fmt.Errorf("segment of %d bytes is shorter than its header and footer", len(data))
	}
	if string(data[:8]) != segmentMagic {
		return nil, errors.New("not a semsearch BM25 segment")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != segmentVersion {
		return nil, fmt.Errorf("segment version %d, this semsearch reads %d", v, segmentVersion)
	}
	body := len(data) - 4
	if want, got := binary.LittleEndian.Uint32(data[body:]), crc32.Checksum(data[:body], crcTable); want != got {
		return nil, fmt.Errorf("segment fails its checksum (CRC-32C %08x, footer says %08x)", got, want)
	}
	f := data[len(data)-segFooterSize:]
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(f[8*i:]) }
	s := &segment{data: data}
	end := uint64(len(data) - segFooterSize)
	for i := range 8 {
		if i == 3 {
			continue // tokens: a count, which may exceed the file's size
		}
		if u(i) > end {
			return nil, fmt.Errorf("segment footer field %d (%d) is past its end (%d)", i, u(i), end)
		}
	}
	if u(3) > 1<<62 {
		return nil, fmt.Errorf("segment footer says %d tokens", u(3))
	}
	s.docs, s.passages, s.terms, s.tokens = int(u(0)), int(u(1)), int(u(2)), int64(u(3))
	s.docIndexAt, s.passagesAt, s.termsAt, s.termIndexAt = int(u(4)), int(u(5)), int(u(6)), int(u(7))
	if s.docIndexAt+docIndexEntry*s.docs != s.passagesAt ||
		s.passagesAt+passageEntry*s.passages > s.termsAt ||
		s.termIndexAt+termIndexEntry*s.terms != int(end) {
		return nil, errors.New("segment sections do not fit their counts")
	}
	return s, nil
}

// uvarint decodes a varint at *at, advancing it.
func (s *segment) uvarint(at *int) (uint64, error) {
	if *at < 0 || *at >= len(s.data) {
		return 0, errCorrupt
	}
	v, n := binary.Uvarint(s.data[*at:])
	if n <= 0 {
		return 0, errCorrupt
	}
	*at += n
	return v, nil
}

// bytesAt decodes a length-prefixed byte string at *at, advancing it. The
// result aliases the segment.
func (s *segment) bytesAt(at *int) ([]byte, error) {
	n, err := s.uvarint(at)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(s.data)-*at) {
		return nil, errCorrupt
	}
	b := s.data[*at : *at+int(n)]
	*at += int(n)
	return b, nil
}

// segDoc is one document of a segment.
type segDoc struct {
	id, hash        string
	tokens          int64
	first, passages uint32
}

// docIDBytes returns document i's id, aliasing the segment.
func (s *segment) docIDBytes(i int) ([]byte, error) {
	at := int(binary.LittleEndian.Uint64(s.data[s.docIndexAt+docIndexEntry*i:]))
	return s.bytesAt(&at)
}

// doc decodes document i.
func (s *segment) doc(i int) (segDoc, error) {
	e := s.data[s.docIndexAt+docIndexEntry*i:]
	at := int(binary.LittleEndian.Uint64(e))
	d := segDoc{first: binary.LittleEndian.Uint32(e[8:]), passages: binary.LittleEndian.Uint32(e[12:])}
	id, err := s.bytesAt(&at)
	if err != nil {
		return d, err
	}
	h, err := s.bytesAt(&at)
	if err != nil {
		return d, err
	}
	t, err := s.uvarint(&at)
	if err != nil {
		return d, err
	}
	if uint64(d.first)+uint64(d.passages) > uint64(s.passages) {
		return d, errCorrupt
	}
	d.id, d.hash, d.tokens = string(id), string(h), int64(t)
	return d, nil
}

// findDoc returns the number of the document with id, or false.
func (s *segment) findDoc(id string) (int, bool, error) {
	var err error
	i := sort.Search(s.docs, func(i int) bool {
		b, e := s.docIDBytes(i)
		if e != nil {
			err = e
			return true
		}
		return string(b) >= id
	})
	if err != nil {
		return 0, false, err
	}
	if i == s.docs {
		return 0, false, nil
	}
	b, err := s.docIDBytes(i)
	return i, err == nil && string(b) == id, err
}

// passage returns passage p's document number, chunk and analysed length.
func (s *segment) passage(p int) (doc, chunk, length uint32) {
	e := s.data[s.passagesAt+passageEntry*p:]
	return binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:]), binary.LittleEndian.Uint32(e[8:])
}

// termAt returns term i, its document frequency and its postings.
func (s *segment) termAt(i int) (term []byte, df int, postings []byte, err error) {
	e := s.data[s.termIndexAt+termIndexEntry*i:]
	at, pat := int(binary.LittleEndian.Uint64(e)), binary.LittleEndian.Uint64(e[8:])
	if term, err = s.bytesAt(&at); err != nil {
		return nil, 0, nil, err
	}
	n, err := s.uvarint(&at)
	if err != nil {
		return nil, 0, nil, err
	}
	plen, err := s.uvarint(&at)
	if err != nil {
		return nil, 0, nil, err
	}
	if pat > uint64(s.termsAt) || plen > uint64(s.termsAt)-pat || n > uint64(s.passages) {
		return nil, 0, nil, errCorrupt
	}
	return term, int(n), s.data[pat : pat+plen], nil
}

// findTerm returns the document frequency and postings of term; df is 0
// when the segment does not hold it.
func (s *segment) findTerm(term string) (df int, postings []byte, err error) {
	i := sort.Search(s.terms, func(i int) bool {
		t, _, _, e := s.termAt(i)
		if e != nil {
			err = e
			return true
		}
		return string(t) >= term
	})
	if err != nil || i == s.terms {
		return 0, nil, err
	}
	t, df, postings, err := s.termAt(i)
	if err != nil || string(t) != term {
		return 0, nil, err
	}
	return df, postings, nil
}

// eachPosting calls fn with the passage and frequency of each of postings'
// df entries.
func (s *segment) eachPosting(postings []byte, df int, fn func(p, tf uint32)) error {
	p := uint64(0)
	for i := 0; i < df; i++ {
		d, n := binary.Uvarint(postings)
		if n <= 0 {
			return errCorrupt
		}
		postings = postings[n:]
		tf, n := binary.Uvarint(postings)
		if n <= 0 {
			return errCorrupt
		}
		postings = postings[n:]
		if i > 0 {
			d++ // deltas after the first are stored minus one
		}
		p += d
		if p >= uint64(s.passages) {
			return errCorrupt
		}
		fn(uint32(p), uint32(tf))
	}
	return nil
}

// segWriter writes a segment file section by section, keeping its offset
// and checksum as it goes.
type segWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	at  int
	err error
	buf []byte
}

func newSegWriter(w io.Writer) *segWriter {
	c := crc32.New(crcTable)
	sw := &segWriter{w: bufio.NewWriterSize(io.MultiWriter(w, c), 1<<16), crc: c}
	sw.write([]byte(segmentMagic))
	sw.u32(segmentVersion)
	sw.u32(0)
	return sw
}

func (w *segWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.w.Write(b)
	w.at += len(b)
}

func (w *segWriter) u32(v uint32) {
	w.buf = binary.LittleEndian.AppendUint32(w.buf[:0], v)
	w.write(w.buf)
}

func (w *segWriter) u64(v uint64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], v)
	w.write(w.buf)
}

func (w *segWriter) uvarint(v uint64) {
	w.buf = binary.AppendUvarint(w.buf[:0], v)
	w.write(w.buf)
}

func (w *segWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	if w.err == nil {
		var n int
		n, w.err = w.w.WriteString(s)
		w.at += n
	}
}

// segmentBuilder collects what a segment holds, in the order it is
// written: documents (by id, each with its passages), then terms (sorted,
// each with its postings in passage order).
type segmentBuilder struct {
	w        *segWriter
	docAt    []uint64
	docFirst []uint32
	docLen   []uint32
	passages []byte // the passages section, built while documents come
	nPass    uint32
	tokens   int64
	lastDoc  string

	postingsAt int
	termNames  []string
	termDF     []uint32
	termPostAt []uint64
	termPostN  []uint64
	lastTerm   string
	postBuf    []byte
}

func newSegmentBuilder(w io.Writer) *segmentBuilder {
	return &segmentBuilder{w: newSegWriter(w)}
}

// doc adds a document and its passages (chunk, length pairs), in id order.
func (b *segmentBuilder) doc(id, hash string, tokens int64, chunks, lengths []uint32) error {
	if len(b.docAt) > 0 && id <= b.lastDoc {
		return fmt.Errorf("segment documents out of order: %q after %q", id, b.lastDoc)
	}
	b.lastDoc = id
	d := uint32(len(b.docAt))
	b.docAt = append(b.docAt, uint64(b.w.at))
	b.docFirst = append(b.docFirst, b.nPass)
	b.docLen = append(b.docLen, uint32(len(chunks)))
	b.w.str(id)
	b.w.str(hash)
	b.w.uvarint(uint64(tokens))
	b.tokens += tokens
	for i := range chunks {
		b.passages = binary.LittleEndian.AppendUint32(b.passages, d)
		b.passages = binary.LittleEndian.AppendUint32(b.passages, chunks[i])
		b.passages = binary.LittleEndian.AppendUint32(b.passages, lengths[i])
	}
	b.nPass += uint32(len(chunks))
	return b.w.err
}

// endDocs writes the doc index and passages; terms come next.
func (b *segmentBuilder) endDocs() (docIndexAt, passagesAt int) {
	docIndexAt = b.w.at
	for i := range b.docAt {
		b.w.u64(b.docAt[i])
		b.w.u32(b.docFirst[i])
		b.w.u32(b.docLen[i])
	}
	passagesAt = b.w.at
	b.w.write(b.passages)
	b.passages = nil
	b.postingsAt = b.w.at
	return docIndexAt, passagesAt
}

// term adds a term and its postings (passages ascending, frequencies), in
// term order.
func (b *segmentBuilder) term(term string, passages, tfs []uint32) error {
	if len(b.termNames) > 0 && term <= b.lastTerm {
		return fmt.Errorf("segment terms out of order: %q after %q", term, b.lastTerm)
	}
	if len(passages) == 0 {
		return nil
	}
	b.lastTerm = term
	buf := b.postBuf[:0]
	prev := uint32(0)
	for i, p := range passages {
		d := p - prev
		if i > 0 {
			if p <= prev {
				return fmt.Errorf("segment postings of %q out of order", term)
			}
			d--
		}
		buf = binary.AppendUvarint(buf, uint64(d))
		buf = binary.AppendUvarint(buf, uint64(tfs[i]))
		prev = p
	}
	b.postBuf = buf
	b.termNames = append(b.termNames, term)
	b.termDF = append(b.termDF, uint32(len(passages)))
	b.termPostAt = append(b.termPostAt, uint64(b.w.at))
	b.termPostN = append(b.termPostN, uint64(len(buf)))
	b.w.write(buf)
	return b.w.err
}

// finish writes the terms, their index and the footer, and flushes.
func (b *segmentBuilder) finish(docIndexAt, passagesAt int) error {
	termsAt := b.w.at
	entryAt := make([]uint64, len(b.termNames))
	for i, t := range b.termNames {
		entryAt[i] = uint64(b.w.at)
		b.w.str(t)
		b.w.uvarint(uint64(b.termDF[i]))
		b.w.uvarint(b.termPostN[i])
	}
	termIndexAt := b.w.at
	for i := range b.termNames {
		b.w.u64(entryAt[i])
		b.w.u64(b.termPostAt[i])
	}
	for _, v := range []uint64{uint64(len(b.docAt)), uint64(b.nPass), uint64(len(b.termNames)), uint64(b.tokens),
		uint64(docIndexAt), uint64(passagesAt), uint64(termsAt), uint64(termIndexAt)} {
		b.w.u64(v)
	}
	if b.w.err != nil {
		return b.w.err
	}
	if err := b.w.w.Flush(); err != nil {
		return err
	}
	// The checksum covers everything written so far; it goes last, outside
	// the checksummed writer.
	sum := binary.LittleEndian.AppendUint32(nil, b.w.crc.Sum32())
	_, err := b.w.w.Write(sum) // through the MultiWriter: the crc changes, harmlessly
	if err == nil {
		err = b.w.w.Flush()
	}
	return err
}
