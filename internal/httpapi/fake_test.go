package httpapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Errors of the fake dependencies, mapped like cmd/semsearch maps embed's.
var (
	errFakeUnreachable = errors.New("Ollama not reachable at http://127.0.0.1:1: start it with `ollama serve`")
	errFakeModel       = errors.New(`model "fake" not found: run ollama pull fake`)
)

func fakeErrorMappings() []ErrorMapping {
	return []ErrorMapping{
		{Err: errFakeUnreachable, Status: http.StatusServiceUnavailable, Code: "ollama_unreachable", Check: "ollama"},
		{Err: errFakeModel, Status: http.StatusServiceUnavailable, Code: "model_missing", Check: "model"},
	}
}

// Queries the fake engine answers specially.
const (
	queryPanic       = "please panic"
	querySlow        = "a slow question"
	queryUnreachable = "ollama is down"
	queryNoModel     = "model is missing"
	queryMismatch    = "indexed with another model"
	queryInternal    = "disk on fire"
)

// fakeEngine is an in-memory Engine. Search returns one result per document
// of the collection that passes the query's filter (sorted by id, at most
// k), and fails or misbehaves for
// the queries above.
type fakeEngine struct {
	mu        sync.Mutex
	cols      map[string]map[string]vectorstore.Document
	lastQuery engine.Query
	lastCol   string
}

var _ Engine = (*fakeEngine)(nil)
var _ Engine = (*engine.Engine)(nil)

func newFakeEngine(collections ...string) *fakeEngine {
	f := &fakeEngine{cols: map[string]map[string]vectorstore.Document{}}
	for _, c := range collections {
		f.cols[c] = map[string]vectorstore.Document{}
	}
	return f
}

func notFound(col string) error {
	return fmt.Errorf("collection %q does not exist: %w", col, engine.ErrNotFound)
}

func (f *fakeEngine) Search(ctx context.Context, col string, q engine.Query) (engine.Response, error) {
	f.mu.Lock()
	f.lastQuery, f.lastCol = q, col
	docs, ok := f.cols[col]
	var hits []vectorstore.Hit
	match := q.Filter.Matcher() // before ranking, as the engine does
	for _, d := range docs {
		if !match(&d) {
			continue
		}
		end := min(len(d.Text), 80)
		hits = append(hits, vectorstore.Hit{
			DocID: d.ID, Title: d.Title, Source: d.Source, URL: d.URL, Published: d.Published, Author: d.Author, Meta: d.Meta,
			Passage: vectorstore.Passage{Start: 0, End: end, LineStart: 1, LineEnd: 1, Text: d.Text[:end]},
			Score:   0.5,
		})
	}
	f.mu.Unlock()

	resp := engine.Response{Query: q.Text, Model: "fake", Collection: col, Results: []engine.Result{}, Took: 1500 * time.Microsecond}
	switch q.Text {
	case queryPanic:
		panic("fake engine: boom")
	case querySlow:
		<-ctx.Done()
		return resp, fmt.Errorf("embed query: %w", ctx.Err())
	case queryUnreachable:
		return resp, fmt.Errorf("embed query: %w", errFakeUnreachable)
	case queryNoModel:
		return resp, fmt.Errorf("embed query: %w", errFakeModel)
	case queryMismatch:
		return resp, fmt.Errorf("collection %q: %w: it was indexed with model %q", col, engine.ErrSettingsMismatch, "other")
	case queryInternal:
		return resp, errors.New("read snapshot: input/output error")
	}
	if !ok {
		return resp, notFound(col)
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].DocID < hits[j].DocID })
	for i, h := range hits {
		if i == q.K {
			break
		}
		resp.Results = append(resp.Results, engine.Result{Hit: h, Rank: i + 1, Citation: engine.Citation(h)})
	}
	return resp, nil
}

func (f *fakeEngine) Index(ctx context.Context, col string, arts []article.Article, _ engine.IndexOptions) (engine.IndexStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var st engine.IndexStats
	docs, ok := f.cols[col]
	if !ok {
		docs = map[string]vectorstore.Document{}
		f.cols[col] = docs
	}
	for _, a := range arts {
		if a.ID == "needs-ollama" {
			return st, fmt.Errorf("embed articles %s..%s: %w", a.ID, a.ID, errFakeUnreachable)
		}
		h := a.Hash()
		old, exists := docs[a.ID]
		switch {
		case exists && old.Hash == h:
			st.Unchanged++
			continue
		case exists:
			st.Updated++
		default:
			st.New++
		}
		// As the engine does, a write naming no source is cited by its URL or id.
		docs[a.ID] = vectorstore.Document{ID: a.ID, Source: cmp.Or(a.Source, a.URL, a.ID), Format: a.Format, Title: a.Title,
			Author: a.Author, URL: a.URL, Published: a.Published, Meta: a.Meta, Hash: h, Text: a.Text, Passages: 1}
		st.Passages++
	}
	st.Total = len(docs)
	return st, nil
}

func (f *fakeEngine) Delete(ctx context.Context, col string, ids ...string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	docs, ok := f.cols[col]
	if !ok {
		return 0, notFound(col)
	}
	n := 0
	for _, id := range ids {
		if _, ok := docs[id]; ok {
			delete(docs, id)
			n++
		}
	}
	return n, nil
}

func (f *fakeEngine) Collections(ctx context.Context) ([]vectorstore.Collection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vectorstore.Collection
	for name, docs := range f.cols {
		out = append(out, vectorstore.Collection{Name: name, Settings: vectorstore.Settings{Model: "fake"},
			Documents: len(docs), Passages: len(docs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeEngine) Documents(ctx context.Context, col string, offset, limit int) ([]vectorstore.Document, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	docs, ok := f.cols[col]
	if !ok {
		return nil, 0, notFound(col)
	}
	var ids []string
	for id := range docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	ids = ids[min(offset, len(ids)):]
	if limit > 0 { // limit <= 0 means all, as vectorstore.Store says
		ids = ids[:min(limit, len(ids))]
	}
	out := make([]vectorstore.Document, len(ids))
	for i, id := range ids {
		out[i] = docs[id]
		out[i].Text = ""
	}
	return out, len(docs), nil
}

func (f *fakeEngine) Document(ctx context.Context, col, id string) (vectorstore.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	docs, ok := f.cols[col]
	if !ok {
		return vectorstore.Document{}, notFound(col)
	}
	d, ok := docs[id]
	if !ok {
		return d, fmt.Errorf("document %q: %w", id, engine.ErrNotFound)
	}
	return d, nil
}

// fakeChecker returns err from Check.
type fakeChecker struct{ err error }

func (c *fakeChecker) Check(context.Context) error { return c.err }

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// newTestServer returns a server over a fake engine holding the empty
// collection "news", configured by opts.
func newTestServer(t *testing.T, opts ...func(*Config)) (*Server, *fakeEngine) {
	t.Helper()
	eng := newFakeEngine("news")
	cfg := Config{
		Engine:          eng,
		Checker:         &fakeChecker{},
		Collection:      "news",
		ValidCollection: validName.MatchString,
		Model:           "fake",
		Errors:          fakeErrorMappings(),
		Logger:          testLogger(t),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, eng
}

// testLogger logs to the test's output, visible with -v or on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// request is one test request.
type request struct {
	method, target, body string
	header               map[string]string
}

// do serves req and returns the recorded response.
func do(h http.Handler, req request) *httptest.ResponseRecorder {
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, req.target, body)
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
