// Package transfer moves a collection between stores without re-embedding:
// [Export] writes its settings, documents, passages and vectors as JSON
// Lines, and [Import] reads them into any [vectorstore.Store]. The same file
// is a backup of the collection.
//
// Format (version 4): the first line is {"type":"collection","version":4,
// "name":...,"settings":{...},"documents":N,"passages":N}; each following
// line is one document, {"type":"document","document":{... with "text"},
// "passages":[{"chunk","start","end","line_start","line_end","vector":[...]
// or null}]}, where a null vector is a passage whose text had nothing the
// model knows (stored as zeros), and a passage's text is
// document.text[start:end]; the last line is {"type":"end","documents":N,
// "passages":N,"sha256":"..."}, the counts again and the SHA-256 (hex) of
// every byte before it, so a truncated or edited file is told from a whole
// one. Every line ends with a newline.
//
// Version 4 differs from 3 only in documents, which may carry a PDF's
// page starts ("pages") and an EPUB's chapters ("chapters"); version 3
// exports are read as they are (their documents have neither). Version 3
// differs from 2 only in the settings, which record how the
// collection was embedded (query prefix, embedder, its URL, requested
// dimensions); version 2 exports are read as they are (their collections
// record the rest on their next write). Version 1, written before the format
// had a version, has no "version" and no end line; it is read too, and
// checked against its header's counts.
package transfer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Version is the format version [Export] writes. Versions 1 (no "version"
// in the header, no end line), 2 and 3 are still read.
const Version = 4

// Header is the first line of an export.
type Header struct {
	Type      string               `json:"type"`              // "collection"
	Version   int                  `json:"version,omitempty"` // 0 (absent) is version 1
	Name      string               `json:"name"`
	Settings  vectorstore.Settings `json:"settings"`
	Documents int                  `json:"documents"`
	Passages  int                  `json:"passages"`
}

// Record is one document line of an export.
type Record struct {
	Type     string               `json:"type"` // "document"
	Document vectorstore.Document `json:"document"`
	Passages []Passage            `json:"passages"`
}

// Passage is a passage with its vector (nil for a zero vector).
type Passage struct {
	Chunk     int       `json:"chunk"`
	Start     int       `json:"start"`
	End       int       `json:"end"`
	LineStart int       `json:"line_start"`
	LineEnd   int       `json:"line_end"`
	Vector    []float32 `json:"vector"`
}

// sameSettings reports whether a collection's settings match an export's,
// apart from the embedding server's address: a backup restored on another
// machine reaches the same model elsewhere.
func sameSettings(a, b vectorstore.Settings) bool {
	a.EmbedURL, b.EmbedURL = "", ""
	return a == b
}

// End is the last line of a version 2 or 3 export.
type End struct {
	Type      string `json:"type"` // "end"
	Documents int    `json:"documents"`
	Passages  int    `json:"passages"`
	// SHA256 is the hex SHA-256 of every byte of the file before this line.
	SHA256 string `json:"sha256"`
}

// Stats counts what was moved.
type Stats struct {
	Documents, Passages int
	// Unvectored counts the passages a chromem-go export left out, as
	// they have no vector (see [ExportChromem]); Passages counts them.
	Unvectored int
}

// pageSize is how many documents one listing call returns.
const pageSize = 500

// Export writes the collection name of s to w. It fails when the
// collection changes while it is written (the header's counts would not
// hold); whatever it wrote before failing has no end line, so [Import]
// refuses it.
func Export(ctx context.Context, s vectorstore.Store, name string, w io.Writer) (Stats, error) {
	var st Stats
	c, err := s.Collection(ctx, name)
	if err != nil {
		return st, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	sum := sha256.New()
	enc := json.NewEncoder(io.MultiWriter(bw, sum))
	if err := enc.Encode(Header{Type: "collection", Version: Version, Name: name, Settings: c.Settings, Documents: c.Documents, Passages: c.Passages}); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	err = eachDocument(ctx, s, name, c, "written", func(doc vectorstore.Document, hits []vectorstore.Hit) error {
		rec := Record{Type: "document", Document: doc, Passages: make([]Passage, len(hits))}
		for i, h := range hits {
			rec.Passages[i] = Passage{Chunk: h.Chunk, Start: h.Start, End: h.End, LineStart: h.LineStart, LineEnd: h.LineEnd, Vector: h.Vector}
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
		st.Documents++
		st.Passages += len(hits)
		return nil
	})
	if err != nil {
		return st, err
	}
	end := End{Type: "end", Documents: st.Documents, Passages: st.Passages, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if err := json.NewEncoder(bw).Encode(end); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	return st, nil
}

// eachDocument calls fn with every document of collection name (c, as it
// was when the export began) and all its passages, in id order, then fails
// when what was read is not what c counted: a collection changed during an
// export is never exported half-changed. what names the reads in that
// message ("written", "read").
func eachDocument(ctx context.Context, s vectorstore.Store, name string, c vectorstore.Collection, what string, fn func(vectorstore.Document, []vectorstore.Hit) error) error {
	docs, passages := 0, 0
	for offset := 0; ; offset += pageSize {
		list, _, err := s.Documents(ctx, name, offset, pageSize)
		if err != nil {
			return fmt.Errorf("export %q: %w", name, err)
		}
		for _, d := range list {
			doc, hits, err := vectorstore.DocumentPassages(ctx, s, name, d.ID)
			if errors.Is(err, vectorstore.ErrNotFound) {
				continue // deleted meanwhile: the count check below reports it
			}
			if err != nil {
				return fmt.Errorf("export %q: %w", name, err)
			}
			if len(hits) != doc.Passages {
				return fmt.Errorf("export %q: document %q has %d passages, the store returned %d (changed while exporting?)", name, doc.ID, doc.Passages, len(hits))
			}
			if err := fn(doc, hits); err != nil {
				return fmt.Errorf("export %q: %w", name, err)
			}
			docs++
			passages += len(hits)
		}
		if len(list) < pageSize {
			break
		}
	}
	if docs != c.Documents || passages != c.Passages {
		return fmt.Errorf("export %q: the collection changed while it was exported (%d documents and %d passages when it began, %d and %d %s); export it again",
			name, c.Documents, c.Passages, docs, passages, what)
	}
	return nil
}

// Verify reads a whole export from r and reports what is wrong with it: a
// file cut short (at a line end or mid-line), counts that differ from its
// header's or end line's, a checksum that does not match, a line that is
// not what the format says. It returns the header and what the file holds.
func Verify(ctx context.Context, r io.Reader) (Header, Stats, error) {
	return scan(ctx, r, nil)
}

// Import reads an export from r into s, as collection name (the exported
// name when empty). An existing collection must have the same settings; its
// documents are replaced by the imported versions and others kept.
//
// Import reads r twice: it verifies the whole export (see [Verify]) before
// it changes anything, then seeks back and applies it, so a damaged or
// truncated file leaves the store as it was. If the store fails while
// applying, Import takes back what it applied: a collection it created is
// removed, and in an existing one the documents it added are deleted and
// those it replaced put back (their earlier versions are kept in a
// temporary file in TMPDIR meanwhile). Only when that fails too does the
// error come with non-zero Stats: the documents that stay imported.
func Import(ctx context.Context, s vectorstore.Store, r io.ReadSeeker, name string) (Header, Stats, error) {
	h, _, err := Verify(ctx, r)
	if err != nil {
		return h, Stats{}, fmt.Errorf("import: %w; nothing was imported", err)
	}
	if name == "" {
		name = h.Name
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return h, Stats{}, fmt.Errorf("import: rewind the export: %w; nothing was imported", err)
	}
	return apply(ctx, s, name, h, func(each func(int, *Record) error) error {
		_, _, err := scan(ctx, r, each)
		return err
	})
}

// apply stores the verified records that records passes to its function
// (numbered, for messages) in collection name of s, creating it with h's
// settings, and takes back what it applied when one fails (see [Import]).
func apply(ctx context.Context, s vectorstore.Store, name string, h Header, records func(each func(int, *Record) error) error) (Header, Stats, error) {
	c, err := s.Collection(ctx, name)
	existed := err == nil
	switch {
	case errors.Is(err, vectorstore.ErrNotFound):
	case err != nil:
		return h, Stats{}, fmt.Errorf("import into %q: %w; nothing was imported", name, err)
	case !sameSettings(c.Settings, h.Settings):
		return h, Stats{}, fmt.Errorf("import into %q: the collection exists with other settings (model %q, %d dimensions, chunking %q) than the export (model %q, %d dimensions, chunking %q); import under another --collection or delete it first; nothing was imported",
			name, c.Settings.Model, c.Settings.Dimensions, c.Settings.Chunking, h.Settings.Model, h.Settings.Dimensions, h.Settings.Chunking)
	}
	var u *undo
	if existed {
		if u, err = newUndo(ctx, s, name, h.Settings.Dimensions); err != nil {
			return h, Stats{}, fmt.Errorf("import into %q: %w; nothing was imported", name, err)
		}
		defer u.close()
	} else if _, err := s.CreateCollection(ctx, name, h.Settings); err != nil {
		return h, Stats{}, fmt.Errorf("import into %q: %w; nothing was imported", name, err)
	}
	var st Stats
	err = records(func(line int, rec *Record) error {
		if u != nil {
			if err := u.before(ctx, rec.Document.ID); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
		}
		if err := s.Put(ctx, name, rec.Document, passages(rec, h.Settings.Dimensions)); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		st.Documents++
		st.Passages += len(rec.Passages)
		return nil
	})
	if err == nil {
		err = s.Flush(ctx)
	}
	if err == nil {
		return h, st, nil
	}
	// Take back what was applied, so the store is as it was; with a fresh
	// context, as ctx may be what failed (Ctrl-C).
	bg := context.WithoutCancel(ctx)
	if !existed {
		if derr := s.DeleteCollection(bg, name); derr != nil {
			return h, st, fmt.Errorf("import into %q: %w; removing the new collection again failed too (%v): it holds the %d documents imported before the failure (each whole); run the import again", name, err, derr, st.Documents)
		}
		return h, Stats{}, fmt.Errorf("import into %q: %w; nothing was imported (the new collection was removed again)", name, err)
	}
	if rerr := u.rollback(bg); rerr != nil {
		return h, st, fmt.Errorf("import into %q: %w; taking back the %d documents imported before the failure failed too (%v): each document is whole, in its earlier or its imported version; run the import again",
			name, err, st.Documents, rerr)
	}
	return h, Stats{}, fmt.Errorf("import into %q: %w; nothing was imported (the %d documents stored before the failure were taken back)", name, err, st.Documents)
}

// passages turns a record's passages into the store's, a null vector into
// zeros.
func passages(rec *Record, dims int) []vectorstore.Passage {
	ps := make([]vectorstore.Passage, len(rec.Passages))
	for i, p := range rec.Passages {
		v := p.Vector
		if v == nil {
			v = make([]float32, dims)
		}
		ps[i] = vectorstore.Passage{Chunk: p.Chunk, Start: p.Start, End: p.End, LineStart: p.LineStart, LineEnd: p.LineEnd,
			Text: rec.Document.Text[p.Start:p.End], Vector: v}
	}
	return ps
}

// scan reads and checks an export line by line, calling each (when not
// nil) with every document line that passed the checks; the checks that
// need the whole file (counts, checksum) come after the last call.
func scan(ctx context.Context, r io.Reader, each func(line int, rec *Record) error) (Header, Stats, error) {
	var (
		h   Header
		st  Stats
		end *End
	)
	lr := &lineReader{br: bufio.NewReaderSize(r, 1<<20), sum: sha256.New()}
	data, err := lr.next()
	switch {
	case errors.Is(err, io.EOF):
		return h, st, errors.New("the export is empty")
	case errors.Is(err, errCut):
		return h, st, lr.bad(err)
	case err != nil:
		return h, st, err
	}
	if err := json.Unmarshal(data, &h); err != nil || h.Type != "collection" {
		return h, st, lr.bad(fmt.Errorf("not a semsearch export header (want {\"type\":\"collection\",...}): %s", describe(err, h.Type)))
	}
	if h.Version == 0 {
		h.Version = 1
	}
	if h.Version > Version {
		return h, st, fmt.Errorf("the export has format version %d, this semsearch reads versions 1 to %d; upgrade semsearch", h.Version, Version)
	}
	if h.Version < 1 || h.Documents < 0 || h.Passages < 0 {
		return h, st, fmt.Errorf("line 1: header has version %d, %d documents, %d passages (not a semsearch export?)", h.Version, h.Documents, h.Passages)
	}
	ids := make(map[string]bool, h.Documents)
	for {
		if err := ctx.Err(); err != nil {
			return h, st, err
		}
		before := lr.sum.Sum(nil) // the checksum of the lines before this one
		data, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return h, st, lr.truncated(err, h, st)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		if end != nil {
			return h, st, fmt.Errorf("line %d: a line after the end line (the end line is %d); the export is damaged, re-export it", lr.line, lr.line-1)
		}
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &kind); err != nil {
			return h, st, lr.bad(err)
		}
		switch kind.Type {
		case "end":
			if h.Version < 2 {
				return h, st, fmt.Errorf("line %d: an end line in an export whose header has no version (version 1 has none); the export is damaged, re-export it", lr.line)
			}
			end = &End{}
			if err := json.Unmarshal(data, end); err != nil {
				return h, st, lr.bad(err)
			}
			if got := hex.EncodeToString(before); end.SHA256 != got {
				return h, st, fmt.Errorf("the export is damaged: the checksum of lines 1-%d is %s, its end line says %s (the file was edited or corrupted); re-export it", lr.line-1, got, end.SHA256)
			}
		case "document":
			var rec Record
			if err := json.Unmarshal(data, &rec); err != nil {
				return h, st, lr.bad(err)
			}
			if err := check(&rec, h.Settings.Dimensions, ids); err != nil {
				return h, st, lr.bad(err)
			}
			st.Documents++
			st.Passages += len(rec.Passages)
			if each != nil {
				if err := each(lr.line, &rec); err != nil {
					return h, st, err
				}
			}
		default:
			return h, st, lr.bad(fmt.Errorf("type %q, want \"document\" or \"end\"", kind.Type))
		}
	}
	if end != nil && (end.Documents != st.Documents || end.Passages != st.Passages) {
		return h, st, fmt.Errorf("the export is damaged: its end line counts %d documents (%d passages), the file holds %d (%d passages); re-export it", end.Documents, end.Passages, st.Documents, st.Passages)
	}
	if st.Documents != h.Documents || st.Passages != h.Passages {
		what := "truncated"
		if st.Documents > h.Documents || (st.Documents == h.Documents && st.Passages > h.Passages) {
			what = "damaged"
		}
		noEnd := ""
		if h.Version >= 2 && end == nil {
			noEnd = " and no end line"
		}
		return h, st, fmt.Errorf("the export is %s: the header promises %d documents (%d passages), the file holds %d (%d passages)%s; re-export it",
			what, h.Documents, h.Passages, st.Documents, st.Passages, noEnd)
	}
	if h.Version >= 2 && end == nil {
		return h, st, fmt.Errorf("the export is truncated: it holds the %d documents its header promises and no end line (cut right after its last document?); re-export it", h.Documents)
	}
	return h, st, nil
}

// check reports what in a document line cannot be stored, as the store's
// Put would, so that applying a verified export does not stop halfway on
// its data.
func check(rec *Record, dims int, ids map[string]bool) error {
	d := &rec.Document
	if d.ID == "" {
		return errors.New("a document without an id")
	}
	if ids[d.ID] {
		return fmt.Errorf("document %q appears twice", d.ID)
	}
	ids[d.ID] = true
	if d.Passages != len(rec.Passages) {
		return fmt.Errorf("document %q says %d passages and lists %d", d.ID, d.Passages, len(rec.Passages))
	}
	for i, p := range rec.Passages {
		vp := vectorstore.Passage{Start: p.Start, End: p.End, Vector: p.Vector}
		if err := vectorstore.CheckPassage(*d, i, vp, "", 0); err != nil {
			return err
		}
		if p.Vector != nil && len(p.Vector) != dims {
			return fmt.Errorf("document %q passage %d has %d dimensions, the header's settings %d", d.ID, i, len(p.Vector), dims)
		}
	}
	return nil
}

// describe names why a header did not parse.
func describe(err error, typ string) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("type %q", typ)
}

// lineReader reads an export's lines, numbering them and hashing every byte.
type lineReader struct {
	br   *bufio.Reader
	sum  hash.Hash
	line int  // the number of the line last returned
	cut  bool // the last line read had no newline
}

// errCut reports a last line without its newline.
var errCut = errors.New("cut")

// next returns the next line without its newline, or io.EOF after the
// last. A last line without a newline comes back with errCut when it is
// not a whole JSON value (cut mid-line), else as a line.
func (lr *lineReader) next() ([]byte, error) {
	data, err := lr.br.ReadBytes('\n')
	if len(data) == 0 && errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	lr.line++
	lr.sum.Write(data)
	if err == nil {
		return data[:len(data)-1], nil
	}
	if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: %w", lr.line, err)
	}
	// A last line without a newline: whole if it parses (an export cut
	// exactly before its final newline lost nothing) or is blank.
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		lr.cut = true
		return data, fmt.Errorf("line %d: %w", lr.line, errCut)
	}
	return data, nil
}

// truncated describes a read error: a line cut short, with what the header
// promised.
func (lr *lineReader) truncated(err error, h Header, st Stats) error {
	if !errors.Is(err, errCut) {
		return err
	}
	return fmt.Errorf("the export is cut mid-line: line %d is incomplete (no newline, not whole JSON); the header promises %d documents, the file holds %d whole ones before it; re-export it",
		lr.line, h.Documents, st.Documents)
}

// bad describes a line that is not what the format says; a cut line is
// reported as such.
func (lr *lineReader) bad(err error) error {
	if lr.cut {
		return fmt.Errorf("the export is cut mid-line: line %d is incomplete (no newline, not whole JSON); re-export it", lr.line)
	}
	return fmt.Errorf("line %d: %w", lr.line, err)
}
