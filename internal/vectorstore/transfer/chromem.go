package transfer

// The chromem-go format: a collection as a chromem-go database export, for
// Go programs that search it with chromem-go alone (chromem.NewDB(), then
// ImportFromFile or ImportFromReader, then the collection's QueryEmbedding).
// chromem-go does the encoding: the export is built in memory as a
// chromem-go collection of the collection's name, each passage with a
// vector one chromem-go document, and written by chromem-go's own export,
// gzip-compressed.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The metadata keys of a passage in a chromem-go export. A document's own
// metadata (front matter) is stored under its keys too, except where they
// collide with these, which win.
const (
	KeyDocID     = "doc_id"     // the document's id
	KeyChunk     = "chunk"      // the passage's number in its document
	KeyStart     = "start"      // byte offsets of the passage in the document's text
	KeyEnd       = "end"        //
	KeyLineStart = "line_start" // lines of the source file
	KeyLineEnd   = "line_end"   //
	KeyPageStart = "page_start" // a PDF's pages, when known
	KeyPageEnd   = "page_end"   //
	KeyChapter   = "chapter"    // an EPUB's chapter, when known
	KeyTitle     = "title"
	KeySource    = "source"
	KeyAuthor    = "author"
	KeyURL       = "url"
	KeyPublished = "published" // RFC 3339
	KeyFormat    = "format"
	KeyHash      = "hash"
	// KeySettings is the collection's metadata key holding its settings
	// (vectorstore.Settings as JSON), so that an import restores them.
	KeySettings = "semsearch_settings"
)

// passageKeys are the metadata keys that are not a document's own metadata.
var passageKeys = []string{KeyDocID, KeyChunk, KeyStart, KeyEnd, KeyLineStart, KeyLineEnd, KeyPageStart, KeyPageEnd, KeyChapter,
	KeyTitle, KeySource, KeyAuthor, KeyURL, KeyPublished, KeyFormat, KeyHash}

// ChromemID is the chromem-go document id of a passage: the document's id,
// '#' and the passage's number. It is unique, as the number after the last
// '#' tells the passage.
func ChromemID(docID string, chunk int) string {
	return docID + "#" + strconv.Itoa(chunk)
}

// ExportChromem writes collection name of s to w as a gzip-compressed
// chromem-go database export holding one collection of the same name.
// Each passage with a vector is a chromem-go document (id [ChromemID],
// content the passage's text, metadata its position and its document's
// fields, see the Key constants); a passage without one (its text had
// nothing the model knows) is left out, as chromem-go would make its zero
// vector NaNs, and counted in Stats.Unvectored. Everything is held in
// memory until chromem-go writes it.
func ExportChromem(ctx context.Context, s vectorstore.Store, name string, w io.Writer) (Stats, error) {
	var st Stats
	c, err := s.Collection(ctx, name)
	if err != nil {
		return st, err
	}
	set, err := json.Marshal(c.Settings)
	if err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	db := chromem.NewDB()
	col, err := db.CreateCollection(name, map[string]string{KeySettings: string(set)}, noEmbedding)
	if err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	var docs []chromem.Document
	err = eachDocument(ctx, s, name, c, "read", func(doc vectorstore.Document, hits []vectorstore.Hit) error {
		for _, h := range hits {
			if len(h.Vector) == 0 || zero(h.Vector) {
				st.Unvectored++
				continue
			}
			docs = append(docs, chromem.Document{ID: ChromemID(doc.ID, h.Chunk), Metadata: passageMeta(&doc, &h), Embedding: h.Vector, Content: h.Text})
		}
		st.Documents++
		st.Passages += len(hits)
		return nil
	})
	if err != nil {
		return st, err
	}
	if len(docs) > 0 {
		if err := col.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
			return st, fmt.Errorf("export %q: %w", name, err)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := db.ExportToWriter(bw, true, "", name); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("export %q: %w", name, err)
	}
	return st, nil
}

// passageMeta is the chromem-go metadata of passage h of doc.
func passageMeta(doc *vectorstore.Document, h *vectorstore.Hit) map[string]string {
	m := make(map[string]string, len(doc.Meta)+12)
	for k, v := range doc.Meta {
		m[k] = v
	}
	for _, k := range passageKeys {
		delete(m, k)
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	m[KeyDocID] = doc.ID
	m[KeyChunk] = strconv.Itoa(h.Chunk)
	m[KeyStart] = strconv.Itoa(h.Start)
	m[KeyEnd] = strconv.Itoa(h.End)
	m[KeyLineStart] = strconv.Itoa(h.LineStart)
	m[KeyLineEnd] = strconv.Itoa(h.LineEnd)
	if h.PageStart > 0 {
		m[KeyPageStart] = strconv.Itoa(h.PageStart)
		m[KeyPageEnd] = strconv.Itoa(h.PageEnd)
	}
	set(KeyChapter, h.Chapter)
	set(KeyTitle, doc.Title)
	set(KeySource, doc.Source)
	set(KeyAuthor, doc.Author)
	set(KeyURL, doc.URL)
	if !doc.Published.IsZero() {
		m[KeyPublished] = doc.Published.Format(time.RFC3339Nano)
	}
	set(KeyFormat, doc.Format)
	set(KeyHash, doc.Hash)
	return m
}

func zero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// noEmbedding is given to chromem-go so that it never falls back to its
// default (OpenAI) embedding function: every vector comes from the store.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("transfer: chromem-go got a document without a vector")
}

// IsChromem reports whether an export's first bytes are those of a
// chromem-go export (gzip-compressed, or gob), not a semsearch JSON Lines
// export, which starts with '{'.
func IsChromem(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && head[0] != '{'
}

// chromemDB mirrors what chromem-go's export encodes (its DB.ExportToWriter's
// persistence structs; gob matches fields by name): chromem-go can import
// an export but offers no way to list a collection's documents.
type chromemDB struct {
	Collections map[string]*chromemCollection
}

type chromemCollection struct {
	Name      string
	Metadata  map[string]string
	Documents map[string]*chromem.Document
}

// readChromem decodes a chromem-go export, gzip-compressed or not.
func readChromem(r io.Reader) (*chromemDB, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var src io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("not a chromem-go export: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	var db chromemDB
	if err := gob.NewDecoder(src).Decode(&db); err != nil {
		return nil, fmt.Errorf("neither a semsearch export (JSON Lines) nor a chromem-go export (gob, gzip-compressed or not; an encrypted one cannot be read): %w", err)
	}
	return &db, nil
}

// ImportChromem reads a chromem-go export from r into s, as collection
// name. The export's collection of that name is read, or its only one.
//
// Passages written by [ExportChromem] (with a doc_id in their metadata)
// become their documents again: the text is rebuilt from the passages,
// at their offsets (what lay between them, which no passage held, comes
// back as spaces), and the collection's recorded settings are restored.
// Any other chromem-go document becomes a document of one passage: its id,
// its content as text, its metadata as the document's (title, source,
// author, url, published as RFC 3339 go to their fields), under settings
// (the dimension is taken from the vectors), whose Model must be set.
//
// As [Import], it checks everything before it changes anything, and takes
// back what it applied when the store fails.
func ImportChromem(ctx context.Context, s vectorstore.Store, r io.Reader, name string, settings vectorstore.Settings) (Header, Stats, error) {
	h, recs, err := chromemRecords(r, name, settings)
	if err != nil {
		return h, Stats{}, fmt.Errorf("import: %w; nothing was imported", err)
	}
	return apply(ctx, s, name, h, func(each func(int, *Record) error) error {
		for i := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := each(i+1, &recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// chromemRecords turns the chromem-go export in r into the header and
// document records an import applies, checked as [Verify] checks an
// export's.
func chromemRecords(r io.Reader, name string, settings vectorstore.Settings) (Header, []Record, error) {
	h := Header{Type: "collection", Version: Version, Name: name}
	db, err := readChromem(r)
	if err != nil {
		return h, nil, err
	}
	col := db.Collections[name]
	if col == nil && len(db.Collections) == 1 {
		for _, c := range db.Collections {
			col = c
		}
	}
	if col == nil {
		names := make([]string, 0, len(db.Collections))
		for n := range db.Collections {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return h, nil, errors.New("the chromem-go export holds no collection")
		}
		return h, nil, fmt.Errorf("the chromem-go export holds collections %s and none called %q; pick one with --collection", strings.Join(names, ", "), name)
	}
	h.Name = col.Name
	if js, ok := col.Metadata[KeySettings]; ok {
		var rec vectorstore.Settings
		if err := json.Unmarshal([]byte(js), &rec); err != nil {
			return h, nil, fmt.Errorf("collection %q: its %s metadata is not semsearch settings: %w", col.Name, KeySettings, err)
		}
		settings = rec
	} else if settings.Model == "" {
		return h, nil, fmt.Errorf("the chromem-go export does not say which model made its vectors (semsearch did not write it): name it with --model, so that searches embed queries with the same model")
	}
	ids := make([]string, 0, len(col.Documents))
	for id := range col.Documents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	dims := 0
	groups := map[string][]*chromem.Document{} // by doc_id, for passages of semsearch documents
	var recs []Record
	for _, id := range ids {
		d := col.Documents[id]
		if d == nil || id == "" {
			return h, nil, fmt.Errorf("collection %q: a document without an id", col.Name)
		}
		if len(d.Embedding) == 0 {
			return h, nil, fmt.Errorf("document %q has no vector", id)
		}
		if dims == 0 {
			dims = len(d.Embedding)
		}
		if len(d.Embedding) != dims {
			return h, nil, fmt.Errorf("document %q has %d dimensions, others %d: the vectors come from different models", id, len(d.Embedding), dims)
		}
		for _, x := range d.Embedding {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return h, nil, fmt.Errorf("document %q: its vector has NaN or Inf", id)
			}
		}
		if docID, ok := d.Metadata[KeyDocID]; ok {
			groups[docID] = append(groups[docID], d)
			continue
		}
		recs = append(recs, foreignRecord(d))
	}
	for docID, ps := range groups {
		rec, err := groupRecord(docID, ps)
		if err != nil {
			return h, nil, err
		}
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b Record) int { return strings.Compare(a.Document.ID, b.Document.ID) })
	if settings.Dimensions != 0 && dims != 0 && settings.Dimensions != dims {
		return h, nil, fmt.Errorf("collection %q records %d dimensions, its vectors have %d", col.Name, settings.Dimensions, dims)
	}
	if dims != 0 {
		settings.Dimensions = dims
	}
	h.Settings = settings
	seen := make(map[string]bool, len(recs))
	for i := range recs {
		if err := check(&recs[i], dims, seen); err != nil {
			return h, nil, err
		}
		h.Documents++
		h.Passages += len(recs[i].Passages)
	}
	return h, recs, nil
}

// foreignRecord makes a document of one passage of a chromem-go document
// that semsearch did not write.
func foreignRecord(d *chromem.Document) Record {
	doc := vectorstore.Document{ID: d.ID, Text: d.Content, Passages: 1}
	docFields(&doc, d.Metadata)
	if doc.Source == "" {
		doc.Source = d.ID
	}
	if doc.Hash == "" {
		doc.Hash = contentHash(d)
	}
	lines := 1 + strings.Count(d.Content, "\n")
	return Record{Type: "document", Document: doc, Passages: []Passage{{Chunk: 0, Start: 0, End: len(d.Content), LineStart: 1, LineEnd: lines, Vector: d.Embedding}}}
}

// docFields sets a document's fields from chromem-go metadata: the known
// keys to their fields, the others to Meta.
func docFields(doc *vectorstore.Document, m map[string]string) {
	for k, v := range m {
		switch k {
		case KeyTitle:
			doc.Title = v
		case KeySource:
			doc.Source = v
		case KeyAuthor:
			doc.Author = v
		case KeyURL:
			doc.URL = v
		case KeyFormat:
			doc.Format = v
		case KeyHash:
			doc.Hash = v
		case KeyPublished:
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				doc.Published = t
				continue
			}
			setMeta(doc, k, v) // not a time semsearch can filter by: kept as it is
		case KeyDocID, KeyChunk, KeyStart, KeyEnd, KeyLineStart, KeyLineEnd, KeyPageStart, KeyPageEnd, KeyChapter:
		default:
			setMeta(doc, k, v)
		}
	}
}

// contentHash is a hex SHA-256 of a chromem-go document's id, content and
// metadata: the hash a document needs to be kept in step with the BM25
// index and told from a changed version.
func contentHash(d *chromem.Document) string {
	h := sha256.New()
	keys := slices.Sorted(maps.Keys(d.Metadata))
	for _, s := range append([]string{d.ID, d.Content}, keys...) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
		if v, ok := d.Metadata[s]; ok {
			fmt.Fprintf(h, "=%d:%s", len(v), v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func setMeta(doc *vectorstore.Document, k, v string) {
	if doc.Meta == nil {
		doc.Meta = map[string]string{}
	}
	doc.Meta[k] = v
}

// groupRecord rebuilds a document written by [ExportChromem] from its
// passages.
func groupRecord(docID string, ds []*chromem.Document) (Record, error) {
	type part struct {
		d                               *chromem.Document
		chunk, start, end, line0, line1 int
	}
	parts := make([]part, len(ds))
	size := 0
	for i, d := range ds {
		p := part{d: d}
		for _, f := range []struct {
			key string
			to  *int
		}{{KeyChunk, &p.chunk}, {KeyStart, &p.start}, {KeyEnd, &p.end}, {KeyLineStart, &p.line0}, {KeyLineEnd, &p.line1}} {
			n, err := strconv.Atoi(d.Metadata[f.key])
			if err != nil || n < 0 {
				return Record{}, fmt.Errorf("document %q (passage of %q): metadata %s is %q, want a number", d.ID, docID, f.key, d.Metadata[f.key])
			}
			*f.to = n
		}
		if p.end-p.start != len(d.Content) {
			return Record{}, fmt.Errorf("document %q (passage of %q): its content has %d bytes, its offsets [%d,%d) say %d", d.ID, docID, len(d.Content), p.start, p.end, p.end-p.start)
		}
		size = max(size, p.end)
		parts[i] = p
	}
	slices.SortFunc(parts, func(a, b part) int { return a.chunk - b.chunk })
	text := bytes.Repeat([]byte{' '}, size)
	for i, p := range parts {
		if i > 0 && p.chunk == parts[i-1].chunk {
			return Record{}, fmt.Errorf("document %q: passage %d appears twice", docID, p.chunk)
		}
		copy(text[p.start:p.end], p.d.Content)
	}
	doc := vectorstore.Document{ID: docID, Text: string(text), Passages: len(parts)}
	docFields(&doc, parts[0].d.Metadata)
	if doc.Hash == "" {
		doc.Hash = contentHash(&chromem.Document{ID: docID, Content: doc.Text, Metadata: parts[0].d.Metadata})
	}
	rec := Record{Type: "document", Document: doc, Passages: make([]Passage, len(parts))}
	for i, p := range parts {
		// Passages left out of the export (no vector) leave gaps in the
		// numbering: the imported document numbers its passages afresh.
		rec.Passages[i] = Passage{Chunk: i, Start: p.start, End: p.end, LineStart: p.line0, LineEnd: p.line1, Vector: p.d.Embedding}
	}
	for _, p := range parts {
		if string(text[p.start:p.end]) != p.d.Content {
			return Record{}, fmt.Errorf("document %q: passages overlap with different text at passage %d", docID, p.chunk)
		}
	}
	return rec, nil
}
