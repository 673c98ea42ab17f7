// Package vectorstore defines what semsearch keeps about an indexed corpus (a
// collection of documents, each with its passages and their vectors) and the
// Store interface that backends implement. The embedded backend lives in
// the embedded sub-package; a remote backend can be added beside
// it without touching the engine. No backend's types appear here.
package vectorstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/article"
)

var (
	// ErrNotFound reports a collection or document that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked reports a data directory that another process writes to.
	ErrLocked = errors.New("data directory is in use by another semsearch process")
)

// Settings are recorded with a collection when it is created, so that a later
// run with a different model or chunking is detected instead of silently
// mixing incompatible vectors.
type Settings struct {
	Model string `json:"model"`
	// ModelDigest identifies the model's weights when the embedder can tell
	// (Ollama lists a digest per model), so a rebuilt model of the same name
	// is noticed.
	ModelDigest    string `json:"model_digest,omitempty"`
	Dimensions     int    `json:"dimensions"`
	DocumentPrefix string `json:"document_prefix,omitempty"`
	// QueryPrefix is what the embedder put before queries; searches use it
	// too. Recorded since Embedder was (before, it is "" and unknown).
	QueryPrefix string `json:"query_prefix,omitempty"`
	// Embedder is the kind of embedding server the vectors came from:
	// "ollama" (its /api/embed) or "openai" (an OpenAI-compatible
	// /v1/embeddings). "" means a collection made before semsearch recorded
	// it (by Ollama), whose QueryPrefix was not recorded either.
	Embedder string `json:"embedder,omitempty"`
	// EmbedURL is the embedding server's base URL, without user info,
	// query or fragment (never a secret).
	EmbedURL string `json:"embed_url,omitempty"`
	// EmbedDimensions is the vector length asked of a Matryoshka model
	// (--dimensions), 0 for the model's own length.
	EmbedDimensions int `json:"embed_dimensions,omitempty"`
	// Chunking describes the chunker options in a stable, comparable form
	// (e.g. "words size=120 overlap=30 max=200 title=true").
	Chunking string `json:"chunking"`
}

// Collection describes one named corpus in a store.
type Collection struct {
	Name      string    `json:"name"`
	Settings  Settings  `json:"settings"`
	Documents int       `json:"documents"`
	Passages  int       `json:"passages"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// Document is what a store keeps about one indexed article: enough to skip it
// when it has not changed, to show it, to cite it, and to chunk it again
// (a rebuild re-embeds stored articles from their Text, Skip and Lines).
type Document struct {
	ID        string            `json:"id"`
	Source    string            `json:"source"`
	Format    string            `json:"format,omitempty"`
	Title     string            `json:"title,omitempty"`
	Author    string            `json:"author,omitempty"`
	URL       string            `json:"url,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Meta      map[string]string `json:"meta,omitempty"`
	Hash      string            `json:"hash"`
	Text      string            `json:"text"`
	// Skip and Lines are the article's skip spans (byte ranges of Text
	// that no passage holds) and line map (Text's lines to the source
	// file's), as in [article.Article]. LayoutRecorded says they were
	// recorded: documents stored before semsearch recorded them have it
	// false, and a rebuild derives them again (see engine's rebuild).
	Skip           []article.Span      `json:"skip,omitempty"`
	Lines          []article.LineRange `json:"lines,omitempty"`
	LayoutRecorded bool                `json:"layout_recorded,omitempty"`
	// Pages and Chapters are a PDF's page starts and an EPUB's chapters
	// (article.Article.Pages, Chapters): a hit is cited by them.
	Pages    []int             `json:"pages,omitempty"`
	Chapters []article.Chapter `json:"chapters,omitempty"`
	Passages int               `json:"passages"`
	Indexed  time.Time         `json:"indexed"`
}

// Passage is one embedded span of a document. Text is Document.Text[Start:End].
type Passage struct {
	Chunk     int       `json:"chunk"`
	Start     int       `json:"start"`
	End       int       `json:"end"`
	LineStart int       `json:"line_start"`
	LineEnd   int       `json:"line_end"`
	Text      string    `json:"text"`
	Vector    []float32 `json:"-"` // unit length, or all zeros for a passage with no known words
	// PageStart and PageEnd are the PDF pages the passage is on, Chapter
	// the EPUB chapter: derived from the document's Pages and Chapters
	// when a hit is made ([Hit.Locate]), not stored with the passage.
	PageStart int    `json:"page_start,omitempty"`
	PageEnd   int    `json:"page_end,omitempty"`
	Chapter   string `json:"chapter,omitempty"`
}

// PassageKey names one passage of a collection.
type PassageKey struct {
	DocID string
	Chunk int
}

// Hit is a passage returned by [Store.Query], with the document fields a
// citation needs. Score is the cosine similarity in [-1, 1].
type Hit struct {
	DocID     string            `json:"doc_id"`
	Title     string            `json:"title,omitempty"`
	Source    string            `json:"source"`
	Author    string            `json:"author,omitempty"`
	URL       string            `json:"url,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Meta      map[string]string `json:"meta,omitempty"`
	// Format is the document's (article.Format*): it says whether lines
	// are lines, or paragraphs (DOCX, EPUB) or lines within a page (PDF).
	Format string `json:"format,omitempty"`
	Passage
	Score float32 `json:"score"`
}

// Locate sets h's format, pages and chapter from its document d.
func (h *Hit) Locate(d *Document) {
	h.Format = d.Format
	if len(d.Pages) > 0 {
		h.PageStart = article.PageOf(d.Pages, h.Start)
		h.PageEnd = article.PageOf(d.Pages, max(h.Start, h.End-1))
	}
	h.Chapter = article.ChapterOf(d.Chapters, h.Start)
}

// Filter restricts a query to documents whose fields match. Empty fields do
// not restrict. It is applied before ranking, so the top k are the best k of
// the matching passages.
type Filter struct {
	DocIDs []string // any of these documents
	// DocPrefix keeps documents whose id or source starts with it
	// ("sport/" for a folder), case-sensitively.
	DocPrefix string
	// Meta matches Title/Source/Author/URL ("title", "source", "author",
	// "url") or custom metadata keys exactly, case-sensitively; a metadata
	// value that is a JSON list (front matter "tags: [bees, cities]" is
	// stored as ["bees","cities"]) matches any of its elements too.
	Meta   map[string]string
	After  time.Time // published at or after
	Before time.Time // published before
}

// Matcher returns the filter as a predicate over documents, so every backend
// gives it the same meaning: all fields must match, and a document with no
// publication date fails any date bound.
func (f Filter) Matcher() func(*Document) bool {
	var ids map[string]bool
	if len(f.DocIDs) > 0 {
		ids = make(map[string]bool, len(f.DocIDs))
		for _, id := range f.DocIDs {
			ids[id] = true
		}
	}
	return func(d *Document) bool {
		if ids != nil && !ids[d.ID] {
			return false
		}
		if f.DocPrefix != "" && !strings.HasPrefix(d.ID, f.DocPrefix) && !strings.HasPrefix(d.Source, f.DocPrefix) {
			return false
		}
		for k, want := range f.Meta {
			if !fieldMatches(d.field(k), want) {
				return false
			}
		}
		if !f.After.IsZero() && (d.Published.IsZero() || d.Published.Before(f.After)) {
			return false
		}
		if !f.Before.IsZero() && (d.Published.IsZero() || !d.Published.Before(f.Before)) {
			return false
		}
		return true
	}
}

// fieldMatches reports whether a field's value is want, or a JSON list
// holding want.
func fieldMatches(value, want string) bool {
	if value == want {
		return true
	}
	if !strings.HasPrefix(value, "[") {
		return false
	}
	var list []any
	if json.Unmarshal([]byte(value), &list) != nil {
		return false
	}
	for _, e := range list {
		switch e := e.(type) {
		case string:
			if e == want {
				return true
			}
		case float64, bool:
			if fmt.Sprint(e) == want {
				return true
			}
		}
	}
	return false
}

// field returns a document's title, source, author or url by those names,
// else the metadata value of key.
func (d *Document) field(key string) string {
	switch key {
	case "title":
		return d.Title
	case "source":
		return d.Source
	case "author":
		return d.Author
	case "url":
		return d.URL
	}
	return d.Meta[key]
}

// Empty reports whether the filter restricts nothing.
func (f Filter) Empty() bool {
	return len(f.DocIDs) == 0 && f.DocPrefix == "" && len(f.Meta) == 0 && f.After.IsZero() && f.Before.IsZero()
}

// Store keeps collections of documents and their passage vectors.
// Implementations are safe for concurrent use; a document and its passages
// change together or not at all, both for readers and on disk.
type Store interface {
	// CreateCollection creates a collection with the given settings, or returns
	// the existing one unchanged.
	CreateCollection(ctx context.Context, name string, s Settings) (Collection, error)
	// Collection returns the named collection or ErrNotFound.
	Collection(ctx context.Context, name string) (Collection, error)
	// Collections lists all collections, sorted by name.
	Collections(ctx context.Context) ([]Collection, error)
	// DeleteCollection removes a collection and everything in it.
	DeleteCollection(ctx context.Context, name string) error
	// ReplaceCollection makes collection from, with its settings, documents
	// and passages, the collection called name, replacing what name held
	// (if it existed), and removes from. The switch is atomic: readers see
	// name's old contents or from's, never a mix, and a crash at any point
	// leaves one of them whole under name (and from possibly still there,
	// to be deleted). A rebuild stages into from and switches with it.
	ReplaceCollection(ctx context.Context, name, from string) error

	// Put stores doc with exactly the given passages, replacing any earlier
	// version of the document and all its passages.
	Put(ctx context.Context, collection string, doc Document, passages []Passage) error
	// Delete removes documents and their passages; unknown ids are ignored.
	// It returns how many documents it removed.
	Delete(ctx context.Context, collection string, ids ...string) (int, error)
	// Document returns one document or ErrNotFound.
	Document(ctx context.Context, collection, id string) (Document, error)
	// Documents lists documents sorted by id, without their text, starting
	// after offset; limit <= 0 means all. It also returns the total count.
	Documents(ctx context.Context, collection string, offset, limit int) ([]Document, int, error)
	// Hashes returns the content hash of every document, keyed by id.
	Hashes(ctx context.Context, collection string) (map[string]string, error)

	// Query returns the k passages most similar to the unit vector v that
	// pass the filter, best first.
	Query(ctx context.Context, collection string, v []float32, k int, f Filter) ([]Hit, error)
	// FilterDocs returns the ids of the documents that pass the filter.
	FilterDocs(ctx context.Context, collection string, f Filter) ([]string, error)
	// Lookup returns the passages named by keys, with their vectors (nil for
	// a passage stored without one) and Score 0. Unknown keys are left out.
	Lookup(ctx context.Context, collection string, keys []PassageKey) ([]Hit, error)

	// Flush makes every change so far durable. Until it returns, a crash may
	// lose recent changes but never leaves a document half-stored.
	Flush(ctx context.Context) error
	// Close flushes and releases the store.
	Close() error
}

// DateFormats names the forms [ParseDate] accepts, for messages.
const DateFormats = "YYYY-MM-DD (e.g. 2017-05-10) or an RFC 3339 time (e.g. 2017-05-10T15:04:05Z)"

// ParseDate reads a filter bound the way every front door does: a date
// (UTC midnight) or an RFC 3339 time; "" is no bound.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want %s", s, DateFormats)
}

// Validate reports a filter that cannot be meant: an empty document id or
// metadata field name (which would match nothing, or every document with
// an empty field), or date bounds that admit nothing. Every front door
// checks filters with it, and the engine again before searching.
func (f Filter) Validate() error {
	for i, id := range f.DocIDs {
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("document id %d of %d is empty", i+1, len(f.DocIDs))
		}
	}
	for k := range f.Meta {
		if strings.TrimSpace(k) == "" {
			return errors.New("a metadata field name is empty")
		}
	}
	if !f.After.IsZero() && !f.Before.IsZero() && !f.After.Before(f.Before) {
		return fmt.Errorf("after (%s) must be earlier than before (%s)", f.After.Format(time.RFC3339), f.Before.Format(time.RFC3339))
	}
	return nil
}

// DocumentPassages returns document id of collection with all its passages
// (text and vector), in order: what export and a keyword index rebuild read.
func DocumentPassages(ctx context.Context, s Store, collection, id string) (Document, []Hit, error) {
	doc, err := s.Document(ctx, collection, id)
	if err != nil {
		return doc, nil, err
	}
	keys := make([]PassageKey, doc.Passages)
	for i := range keys {
		keys[i] = PassageKey{DocID: id, Chunk: i}
	}
	hits, err := s.Lookup(ctx, collection, keys)
	return doc, hits, err
}
