package engine_test

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// bagEmbedder is a deterministic stand-in for Ollama: hashed bag-of-words
// vectors, so texts sharing words are similar. It counts calls and can be
// told to fail.
type bagEmbedder struct {
	mu       sync.Mutex
	calls    int
	inputs   []string
	failWhen func(text string) bool
}

const dims = 64

func (b *bagEmbedder) vector(text string) []float32 {
	v := make([]float32, dims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 3 {
			continue // stand-in for stopwords
		}
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%dims]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(n))
		}
	}
	return v
}

func (b *bagEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if b.failWhen != nil && b.failWhen(t) {
			return nil, errors.New("fake ollama: connection refused")
		}
		out[i] = b.vector(t)
	}
	b.inputs = append(b.inputs, texts...)
	return out, nil
}

func (b *bagEmbedder) EmbedQuery(_ context.Context, text string) ([]float32, error) {
	return b.vector(text), nil
}

func (b *bagEmbedder) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls, b.inputs = 0, nil
}

var _ engine.Embedder = (*bagEmbedder)(nil)

func newEngine(t *testing.T, dir string, emb engine.Embedder, model string) (*engine.Engine, *embedded.Store) {
	t.Helper()
	return openEngine(t, dir, emb, engine.Config{Model: model, Chunk: chunk.DefaultOptions(), TitleContext: true, BatchPassages: 4})
}

// openEngine returns an engine with cfg over an embedded store in dir,
// closed when the test ends.
func openEngine(t *testing.T, dir string, emb engine.Embedder, cfg engine.Config) (*engine.Engine, *embedded.Store) {
	t.Helper()
	store, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, emb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng, store
}

func corpus() []article.Article {
	return []article.Article{
		{ID: "comey.txt", Source: "news/comey.txt", Title: "Comey fired", Text: "Comey fired\n\nPresident Trump dismissed FBI director James Comey on Tuesday.\n\nThe firing shocked Washington lawmakers."},
		{ID: "fruit.txt", Source: "news/fruit.txt", Title: "Breakfast", Text: "Breakfast\n\nBananas and apples are popular breakfast fruit in many households."},
		{ID: "sport.txt", Source: "news/sport.txt", Title: "Football", Text: "Football\n\nThe football club won the championship final after penalties."},
	}
}

func TestEngine_IndexAndSearch(t *testing.T) {
	emb := &bagEmbedder{}
	eng, _ := newEngine(t, t.TempDir(), emb, "bag")
	ctx := t.Context()
	st, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 3 || st.Unchanged != 0 || st.Passages == 0 || st.Total != st.Passages {
		t.Fatalf("first run stats = %+v", st)
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "Why was the FBI director Comey dismissed?", K: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) == 0 || resp.Results[0].DocID != "comey.txt" {
		t.Fatalf("top result = %+v, want comey.txt", resp.Results)
	}
	top := resp.Results[0]
	doc := corpus()[0]
	if doc.Text[top.Start:top.End] != top.Text {
		t.Errorf("result text %q is not text[%d:%d]", top.Text, top.Start, top.End)
	}
	if top.LineStart < 1 || top.LineEnd < top.LineStart || top.Rank != 1 {
		t.Errorf("bad citation fields: %+v", top)
	}
	if !strings.Contains(top.Citation, "news/comey.txt") || !strings.Contains(top.Citation, "Comey fired") {
		t.Errorf("citation %q lacks title or source", top.Citation)
	}
}

func TestEngine_IndexIncremental(t *testing.T) {
	emb := &bagEmbedder{}
	dir := t.TempDir()
	eng, store := newEngine(t, dir, emb, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}

	emb.reset()
	st, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Unchanged != 3 || st.New+st.Updated != 0 || emb.calls != 0 {
		t.Fatalf("unchanged re-run: stats %+v, %d embedding calls; want 3 unchanged and no calls", st, emb.calls)
	}

	changed := corpus()
	changed[1].Text += "\n\nOranges too."
	emb.reset()
	st, err = eng.Index(ctx, "news", changed, engine.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Updated != 1 || st.Unchanged != 2 {
		t.Fatalf("one changed: stats %+v", st)
	}
	for _, in := range emb.inputs {
		if !strings.Contains(in, "Breakfast") && !strings.Contains(in, "Oranges") {
			t.Errorf("re-embedded an unchanged article's passage: %q", in)
		}
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "oranges", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range resp.Results {
		if r.DocID == "fruit.txt" {
			seen++
			if !strings.Contains(changed[1].Text, r.Text) {
				t.Errorf("stale passage of the changed article: %q", r.Text)
			}
		}
	}
	if seen == 0 {
		t.Error("changed article not found")
	}

	// Prune removes what this run did not load, and the change survives a reopen.
	st, err = eng.Index(ctx, "news", changed[:2], engine.IndexOptions{Prune: true})
	if err != nil || st.Removed != 1 {
		t.Fatalf("prune: stats %+v, err %v", st, err)
	}
	store.Close()
	eng2, _ := newEngine(t, dir, emb, "bag")
	docs, total, err := eng2.Documents(ctx, "news", 0, 0)
	if err != nil || total != 2 || docs[0].ID != "comey.txt" || docs[1].ID != "fruit.txt" {
		t.Fatalf("after reopen: %d docs %+v, err %v", total, docs, err)
	}
}

func TestEngine_IndexFailureKeepsWholeArticles(t *testing.T) {
	emb := &bagEmbedder{}
	eng, _ := newEngine(t, t.TempDir(), emb, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every article changes, and embedding fails on the sport one.
	changed := corpus()
	for i := range changed {
		changed[i].Text += "\n\nUpdated."
	}
	emb.failWhen = func(s string) bool { return strings.Contains(s, "football") }
	emb.reset()
	_, err := eng.Index(ctx, "news", changed, engine.IndexOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("want the embedding error, got %v", err)
	}
	sport, err := eng.Document(ctx, "news", "sport.txt")
	if err != nil {
		t.Fatal(err)
	}
	if sport.Text != corpus()[2].Text {
		t.Errorf("failed article changed: %q", sport.Text)
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "football championship", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.DocID == "sport.txt" && strings.Contains(r.Text, "Updated") {
			t.Errorf("half-indexed article visible: %q", r.Text)
		}
	}
}

func TestEngine_Settings(t *testing.T) {
	dir := t.TempDir()
	emb := &bagEmbedder{}
	eng, store := newEngine(t, dir, emb, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	other, _ := newEngine(t, dir, emb, "other-model")
	if _, err := other.Search(ctx, "news", engine.Query{Text: "Comey", K: 3}); !errors.Is(err, engine.ErrSettingsMismatch) {
		t.Errorf("search with another model: err %v, want ErrSettingsMismatch", err)
	}
	if _, err := other.Index(ctx, "news", corpus(), engine.IndexOptions{}); !errors.Is(err, engine.ErrSettingsMismatch) {
		t.Errorf("index with another model: err %v, want ErrSettingsMismatch", err)
	}
	st, err := other.Index(ctx, "news", corpus(), engine.IndexOptions{Rebuild: true})
	// The articles are those stored (unchanged), all re-embedded.
	if err != nil || st.Unchanged != 3 || st.Passages != 3 {
		t.Fatalf("rebuild: stats %+v err %v", st, err)
	}
	if _, err := other.Search(ctx, "news", engine.Query{Text: "Comey", K: 3}); err != nil {
		t.Errorf("search after rebuild: %v", err)
	}
}

func TestEngine_SearchErrors(t *testing.T) {
	eng, _ := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		collection string
		q          engine.Query
		want       error
	}{
		{"empty", "news", engine.Query{Text: "  ", K: 3}, engine.ErrInvalid},
		{"k zero", "news", engine.Query{Text: "x", K: 0}, engine.ErrInvalid},
		{"k huge", "news", engine.Query{Text: "x", K: engine.MaxK + 1}, engine.ErrInvalid},
		{"bad utf8", "news", engine.Query{Text: "a\xffb", K: 3}, engine.ErrInvalid},
		{"mode", "news", engine.Query{Text: "x", K: 3, Mode: "fuzzy"}, engine.ErrInvalid},
		{"filter", "news", engine.Query{Text: "x", K: 3, Filter: vectorstore.Filter{DocIDs: []string{""}}}, engine.ErrInvalid},
		{"mmr", "news", engine.Query{Text: "x", K: 3, MMR: 1.5}, engine.ErrInvalid},
		{"max per doc", "news", engine.Query{Text: "x", K: 3, MaxPerDoc: -1}, engine.ErrInvalid},
		{"bm25 without index", "news", engine.Query{Text: "x", K: 3, Mode: engine.BM25}, engine.ErrInvalid},
		{"fusion", "news", engine.Query{Text: "x", K: 3, Fusion: &engine.Fusion{Method: "max", Depth: 10, RRFK: 60}}, engine.ErrInvalid},
		{"no collection", "nope", engine.Query{Text: "x", K: 3}, engine.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := eng.Search(ctx, tt.collection, tt.q); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Words the model does not know give no results, not an error.
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "a b", K: 3})
	if err != nil || len(resp.Results) != 0 {
		t.Errorf("unknown words: %d results, err %v", len(resp.Results), err)
	}
}

func TestEngine_ModelDigest(t *testing.T) {
	dir := t.TempDir()
	open := func(digest string) (*engine.Engine, *embedded.Store) {
		store, err := embedded.Open(dir, embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.New(store, &bagEmbedder{}, engine.Config{Model: "glove-100d", Chunk: chunk.DefaultOptions(),
			ModelDigest: func(context.Context) (string, error) { return digest, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return eng, store
	}
	ctx := t.Context()
	eng, store := open("sha256:aaaa")
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	// The same model name with other weights is refused.
	eng, store = open("sha256:bbbb")
	defer store.Close()
	_, err := eng.Search(ctx, "news", engine.Query{Text: "Comey", K: 1})
	if !errors.Is(err, engine.ErrSettingsMismatch) || !strings.Contains(err.Error(), "has changed") {
		t.Errorf("search after the model changed: %v", err)
	}
}

// TestEngine_RebuildFailureKeepsCollection checks that --rebuild with a
// model that cannot embed (missing, Ollama down) drops nothing.
func TestEngine_RebuildFailureKeepsCollection(t *testing.T) {
	dir := t.TempDir()
	eng, store := newEngine(t, dir, &bagEmbedder{}, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	broken := &bagEmbedder{failWhen: func(string) bool { return true }}
	other, store2 := newEngine(t, dir, broken, "other-model")
	if _, err := other.Index(ctx, "news", corpus(), engine.IndexOptions{Rebuild: true}); err == nil {
		t.Fatal("rebuild with a failing embedder succeeded")
	}
	store2.Close()
	again, _ := newEngine(t, dir, &bagEmbedder{}, "bag")
	docs, total, err := again.Documents(ctx, "news", 0, 0)
	if err != nil || total != 3 || len(docs) != 3 {
		t.Fatalf("after a failed rebuild: %d docs, %v", total, err)
	}
}
