package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The documents of a version 10 catalog are written by hand, field by
// field, instead of by gob: decoding gob (by reflection, a message buffer
// grown to the catalog's size, a string allocated per field) took over a
// second at 1M passages (125,000 documents), most of opening. Here a
// document is its strings (uvarint length, bytes), its numbers (varints),
// its times (uvarint length, time.Time.MarshalBinary) and its lists (a
// uvarint count, then the items); then its passages and whether each has a
// vector. Empty lists and maps decode as nil, as with gob.
// TestCatalogCodecFields fails when a field of vectorstore.Document or
// vectorstore.Passage is not carried, so a new field cannot be dropped
// silently.
//
// Strings decoded alias one copy of the documents' bytes in the Go heap
// (not the mapping: strings handed to callers outlive it), so decoding
// allocates little besides the documents, their passages and their maps;
// a string kept by a caller keeps that copy alive, as it would keep its own
// allocation.

// appendDocs appends docs, encoded, to b.
func appendDocs(b []byte, docs []*docEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(docs)))
	for _, e := range docs {
		b = appendDoc(b, e)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() && t.Location() == time.UTC {
		return binary.AppendUvarint(b, 0)
	}
	m, err := t.MarshalBinary()
	if err != nil { // a zone offset not in whole minutes: keep the instant
		m, _ = t.UTC().MarshalBinary()
	}
	b = binary.AppendUvarint(b, uint64(len(m)))
	return append(b, m...)
}

func appendDoc(b []byte, e *docEntry) []byte {
	d := &e.Doc
	for _, s := range [...]string{d.ID, d.Source, d.Format, d.Title, d.Author, d.URL, d.Hash, d.Text} {
		b = appendString(b, s)
	}
	b = appendTime(b, d.Published)
	b = binary.AppendUvarint(b, uint64(len(d.Meta)))
	for k, v := range d.Meta {
		b = appendString(appendString(b, k), v)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Skip)))
	for _, s := range d.Skip {
		b = binary.AppendVarint(binary.AppendVarint(b, int64(s.Start)), int64(s.End))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Lines)))
	for _, l := range d.Lines {
		b = binary.AppendVarint(binary.AppendVarint(b, int64(l.First)), int64(l.Last))
	}
	layout := byte(0)
	if d.LayoutRecorded {
		layout = 1
	}
	b = append(b, layout)
	b = binary.AppendUvarint(b, uint64(len(d.Pages)))
	for _, p := range d.Pages {
		b = binary.AppendVarint(b, int64(p))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Chapters)))
	for _, c := range d.Chapters {
		b = appendString(binary.AppendVarint(b, int64(c.Start)), c.Title)
	}
	b = binary.AppendVarint(b, int64(d.Passages))
	b = appendTime(b, d.Indexed)
	b = binary.AppendUvarint(b, uint64(len(e.Passages)))
	for i, p := range e.Passages {
		// Vector is not part of the catalog (the arena holds it).
		for _, n := range [...]int{p.Chunk, p.Start, p.End, p.LineStart, p.LineEnd, p.PageStart, p.PageEnd} {
			b = binary.AppendVarint(b, int64(n))
		}
		b = appendString(appendString(b, p.Text), p.Chapter)
		v := byte(0)
		if i < len(e.Vectored) && e.Vectored[i] {
			v = 1
		}
		b = append(b, v)
	}
	return b
}

// docReader decodes documents from buf; the first error sticks.
type docReader struct {
	buf []byte
	off int
	err error
}

var errCatalogShort = errors.New("document list cut short")

func (r *docReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.buf)
}

func (r *docReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		r.fail(errCatalogShort)
		return 0
	}
	r.off += n
	return v
}

func (r *docReader) int() int {
	v, n := binary.Varint(r.buf[r.off:])
	if n <= 0 {
		r.fail(errCatalogShort)
		return 0
	}
	r.off += n
	return int(v)
}

// count reads a list's length, which must fit in what is left (each item
// takes at least min bytes).
func (r *docReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.buf)-r.off)/uint64(min) {
		r.fail(fmt.Errorf("a list of %d items in %d bytes", n, len(r.buf)-r.off))
		return 0
	}
	return int(n)
}

func (r *docReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.buf)-r.off) {
		r.fail(errCatalogShort)
		return nil
	}
	b := r.buf[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b
}

// string returns the next string, aliasing buf (which is never changed).
func (r *docReader) string() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (r *docReader) byte() byte {
	if r.off >= len(r.buf) {
		r.fail(errCatalogShort)
		return 0
	}
	r.off++
	return r.buf[r.off-1]
}

func (r *docReader) time() time.Time {
	b := r.bytes()
	if len(b) == 0 {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(b); err != nil {
		r.fail(err)
	}
	return t
}

// readDocs decodes the documents appendDocs wrote into buf, which they
// alias from then on (buf must not change).
func readDocs(buf []byte) ([]*docEntry, error) {
	r := &docReader{buf: buf}
	n := r.count(16)
	if r.err != nil {
		return nil, r.err
	}
	docs := make([]*docEntry, n)
	entries := make([]docEntry, n)
	// The passages of all documents in one allocation (so with the flags
	// and slots, see place): a million small ones cost more than reading
	// them. Each document's share is capped, so appending to it copies.
	var all []vectorstore.Passage
	var flags []bool
	for i := range docs {
		e := &entries[i]
		docs[i] = e
		d := &e.Doc
		d.ID, d.Source, d.Format, d.Title = r.string(), r.string(), r.string(), r.string()
		d.Author, d.URL, d.Hash, d.Text = r.string(), r.string(), r.string(), r.string()
		d.Published = r.time()
		if m := r.count(2); m > 0 {
			d.Meta = make(map[string]string, m)
			for range m {
				k := r.string()
				d.Meta[k] = r.string()
			}
		}
		if m := r.count(2); m > 0 {
			d.Skip = make([]article.Span, m)
			for j := range d.Skip {
				d.Skip[j] = article.Span{Start: r.int(), End: r.int()}
			}
		}
		if m := r.count(2); m > 0 {
			d.Lines = make([]article.LineRange, m)
			for j := range d.Lines {
				d.Lines[j] = article.LineRange{First: r.int(), Last: r.int()}
			}
		}
		d.LayoutRecorded = r.byte() == 1
		if m := r.count(1); m > 0 {
			d.Pages = make([]int, m)
			for j := range d.Pages {
				d.Pages[j] = r.int()
			}
		}
		if m := r.count(2); m > 0 {
			d.Chapters = make([]article.Chapter, m)
			for j := range d.Chapters {
				d.Chapters[j].Start = r.int()
				d.Chapters[j].Title = r.string()
			}
		}
		d.Passages = r.int()
		d.Indexed = r.time()
		if m := r.count(10); m > 0 {
			if len(all) < m {
				// Sized from what is left to read (10 bytes or more
				// a passage), for the next documents too.
				k := max(m, min((len(buf)-r.off)/16, 1<<16))
				all, flags = make([]vectorstore.Passage, k), make([]bool, k)
			}
			e.Passages, all = all[:m:m], all[m:]
			e.Vectored, flags = flags[:m:m], flags[m:]
			for j := range e.Passages {
				p := &e.Passages[j]
				p.Chunk, p.Start, p.End, p.LineStart, p.LineEnd, p.PageStart, p.PageEnd = r.int(), r.int(), r.int(), r.int(), r.int(), r.int(), r.int()
				p.Text, p.Chapter = r.string(), r.string()
				e.Vectored[j] = r.byte() == 1
			}
		}
		if r.err != nil {
			return nil, fmt.Errorf("document %d: %w", i, r.err)
		}
	}
	if r.off != len(buf) {
		return nil, fmt.Errorf("%d bytes after the last document", len(buf)-r.off)
	}
	return docs, nil
}
