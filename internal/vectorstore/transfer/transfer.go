// Package transfer moves a collection between stores without re-embedding:
// [Export] writes its settings, documents, passages and vectors as JSON
// Lines, and [Import] reads them into any [vectorstore.Store]. The same file
// is a backup of the collection.
//
// Format: the first line is {"type":"collection","name":...,"settings":{...},
// "documents":N,"passages":N}; each following line is one document,
// {"type":"document","document":{... with "text"},"passages":[{"chunk",
// "start","end","line_start","line_end","vector":[...] or null}]}, where a
// null vector is a passage whose text had nothing the model knows (stored
// as zeros). A passage's text is document.text[start:end].
package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Header is the first line of an export.
type Header struct {
	Type      string               `json:"type"` // "collection"
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

// Stats counts what was moved.
type Stats struct {
	Documents, Passages int
}

// pageSize is how many documents one listing call returns.
const pageSize = 500

// Export writes the collection name of s to w.
func Export(ctx context.Context, s vectorstore.Store, name string, w io.Writer) (Stats, error) {
	var st Stats
	c, err := s.Collection(ctx, name)
	if err != nil {
		return st, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(Header{Type: "collection", Name: name, Settings: c.Settings, Documents: c.Documents, Passages: c.Passages}); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	for offset := 0; ; offset += pageSize {
		list, _, err := s.Documents(ctx, name, offset, pageSize)
		if err != nil {
			return st, fmt.Errorf("export %q: %w", name, err)
		}
		for _, d := range list {
			doc, hits, err := vectorstore.DocumentPassages(ctx, s, name, d.ID)
			if errors.Is(err, vectorstore.ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return st, fmt.Errorf("export %q: %w", name, err)
			}
			if len(hits) != doc.Passages {
				return st, fmt.Errorf("export %q: document %q has %d passages, the store returned %d (changed while exporting?)", name, doc.ID, doc.Passages, len(hits))
			}
			rec := Record{Type: "document", Document: doc, Passages: make([]Passage, len(hits))}
			for i, h := range hits {
				rec.Passages[i] = Passage{Chunk: h.Chunk, Start: h.Start, End: h.End, LineStart: h.LineStart, LineEnd: h.LineEnd, Vector: h.Vector}
			}
			if err := enc.Encode(rec); err != nil {
				return st, fmt.Errorf("export %q: %w", name, err)
			}
			st.Documents++
			st.Passages += len(hits)
		}
		if len(list) < pageSize {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	return st, nil
}

// Import reads an export from r into s, as collection name (the exported
// name when empty). An existing collection must have the same settings; its
// documents are replaced by the imported versions and others kept.
func Import(ctx context.Context, s vectorstore.Store, r io.Reader, name string) (Header, Stats, error) {
	var st Stats
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var h Header
	if err := dec.Decode(&h); err != nil {
		return h, st, fmt.Errorf("import: read header: %w", err)
	}
	if h.Type != "collection" {
		return h, st, fmt.Errorf("import: first line has type %q, want \"collection\" (not a semsearch export?)", h.Type)
	}
	if name == "" {
		name = h.Name
	}
	c, err := s.CreateCollection(ctx, name, h.Settings)
	if err != nil {
		return h, st, fmt.Errorf("import into %q: %w", name, err)
	}
	if c.Settings != h.Settings {
		return h, st, fmt.Errorf("import into %q: the collection exists with other settings (model %q, %d dimensions, chunking %q) than the export (model %q, %d dimensions, chunking %q); import under another --collection or delete it first",
			name, c.Settings.Model, c.Settings.Dimensions, c.Settings.Chunking, h.Settings.Model, h.Settings.Dimensions, h.Settings.Chunking)
	}
	for line := 2; ; line++ {
		var rec Record
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return h, st, fmt.Errorf("import: line %d: %w", line, err)
		}
		if rec.Type != "document" {
			return h, st, fmt.Errorf("import: line %d: type %q, want \"document\"", line, rec.Type)
		}
		ps := make([]vectorstore.Passage, len(rec.Passages))
		for i, p := range rec.Passages {
			if p.Start < 0 || p.End > len(rec.Document.Text) || p.Start > p.End {
				return h, st, fmt.Errorf("import: line %d: passage %d range [%d,%d) outside the text", line, i, p.Start, p.End)
			}
			v := p.Vector
			if v == nil {
				v = make([]float32, h.Settings.Dimensions)
			}
			ps[i] = vectorstore.Passage{Chunk: p.Chunk, Start: p.Start, End: p.End, LineStart: p.LineStart, LineEnd: p.LineEnd,
				Text: rec.Document.Text[p.Start:p.End], Vector: v}
		}
		if err := s.Put(ctx, name, rec.Document, ps); err != nil {
			return h, st, fmt.Errorf("import: line %d: %w", line, err)
		}
		st.Documents++
		st.Passages += len(ps)
	}
	return h, st, s.Flush(ctx)
}
