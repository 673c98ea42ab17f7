package engine_test

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// termIndex is an in-memory KeywordIndex: a passage scores the number of
// query words (3+ letters) it contains, plus a little for shorter passages.
type termIndex struct {
	mu    sync.Mutex
	docs  map[string]engine.KeywordDoc
	calls int
}

func newTermIndex() *termIndex { return &termIndex{docs: map[string]engine.KeywordDoc{}} }

func (x *termIndex) Replace(_ context.Context, _ string, docs []engine.KeywordDoc) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls++
	for _, d := range docs {
		x.docs[d.ID] = d
	}
	return nil
}

func (x *termIndex) Delete(_ context.Context, _ string, ids ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		delete(x.docs, id)
	}
	return nil
}

func (x *termIndex) Hashes(context.Context, string) (map[string]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[string]string{}
	for id, d := range x.docs {
		out[id] = d.Hash
	}
	return out, nil
}

func (x *termIndex) Search(_ context.Context, _ string, query string, k int, allow func(string) bool) ([]engine.KeywordHit, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var hits []engine.KeywordHit
	for id, d := range x.docs {
		if allow != nil && !allow(id) {
			continue
		}
		for _, p := range d.Passages {
			text := strings.ToLower(p.Text)
			score := 0.0
			for _, w := range strings.Fields(strings.ToLower(query)) {
				w = strings.Trim(w, "?.,!")
				if len(w) >= 3 && strings.Contains(text, w) {
					score++
				}
			}
			if score > 0 {
				hits = append(hits, engine.KeywordHit{DocID: id, Chunk: p.Chunk, Hash: d.Hash, Score: score + 1/math.Log(float64(len(text)+2))})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits[:min(k, len(hits))], nil
}

func (x *termIndex) Drop(context.Context, string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.docs = map[string]engine.KeywordDoc{}
	return nil
}

func newHybrid(t *testing.T, dir string, kw engine.KeywordIndex) *engine.Engine {
	t.Helper()
	eng, _ := openEngine(t, dir, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw})
	return eng
}

func TestEngine_HybridModes(t *testing.T) {
	kw := newTermIndex()
	eng := newHybrid(t, t.TempDir(), kw)
	ctx := t.Context()
	arts := append(corpus(), article.Article{ID: "zebra.txt", Source: "zebra.txt", Title: "Zebras", Text: "Zebras\n\nQuagga zebras roam the savannah near Etosha."})
	if _, err := eng.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []engine.Mode{engine.Vector, engine.BM25, engine.Hybrid} {
		resp, err := eng.Search(ctx, "news", engine.Query{Text: "Etosha quagga", K: 2, Mode: mode, Explain: true})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if resp.Mode != mode || len(resp.Results) == 0 || resp.Results[0].DocID != "zebra.txt" {
			t.Fatalf("%s: %+v", mode, resp.Results)
		}
		top := resp.Results[0]
		if top.Text == "" || top.Citation == "" || top.Explain == nil || top.Vector != nil {
			t.Errorf("%s: incomplete result %+v", mode, top)
		}
		if mode == engine.Hybrid && (top.Explain.VectorRank != 1 || top.Explain.BM25Rank != 1) {
			t.Errorf("hybrid explain: %+v", top.Explain)
		}
	}
	// A filter applies before ranking in every mode: the best matches are
	// excluded, yet k results come back.
	for _, mode := range []engine.Mode{engine.Vector, engine.BM25, engine.Hybrid} {
		resp, err := eng.Search(ctx, "news", engine.Query{Text: "Comey football fruit", K: 1, Mode: mode,
			Filter: vectorstore.Filter{Meta: map[string]string{"title": "Football"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) != 1 || resp.Results[0].DocID != "sport.txt" {
			t.Errorf("%s with filter: %+v", mode, resp.Results)
		}
	}
}

func TestEngine_KeywordSync(t *testing.T) {
	dir := t.TempDir()
	kw := newTermIndex()
	eng := newHybrid(t, dir, kw)
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash between the two stores' writes: the keyword index
	// lost one document and kept a stale one.
	kw.Delete(ctx, "news", "fruit.txt")
	kw.Replace(ctx, "news", []engine.KeywordDoc{{ID: "ghost.txt", Hash: "x"}, {ID: "sport.txt", Hash: "old"}})
	st, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Unchanged != 3 {
		t.Errorf("stats %+v", st)
	}
	got, _ := kw.Hashes(ctx, "news")
	if len(got) != 3 || got["ghost.txt"] != "" || got["fruit.txt"] == "" || got["sport.txt"] == "old" {
		t.Errorf("keyword index not repaired: %v", got)
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "bananas", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "fruit.txt" {
		t.Errorf("bm25 after repair: %+v %v", resp.Results, err)
	}
	// Delete and prune reach the keyword index too.
	if _, err := eng.Delete(ctx, "news", "fruit.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(ctx, "news", corpus()[:1], engine.IndexOptions{Prune: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = kw.Hashes(ctx, "news")
	if len(got) != 1 || got["comey.txt"] == "" {
		t.Errorf("after delete and prune: %v", got)
	}
}

func TestEngine_Diversity(t *testing.T) {
	ctx := t.Context()
	// One article of near-copies of a paragraph and one other relevant one.
	para := "The central bank raised interest rates to fight inflation."
	var b strings.Builder
	b.WriteString("Rates\n\n")
	for i := range 6 {
		b.WriteString(para + strings.Repeat(" ", i) + "\n\n") // identical passages
	}
	opt := chunk.Options{Unit: chunk.Words, Size: 10, Overlap: 0, Max: 20}
	store, _ := embedded.Open(t.TempDir(), embedded.Options{})
	defer store.Close()
	eng, _ := engine.New(store, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: opt, Keywords: newTermIndex()})
	arts := []article.Article{
		{ID: "copies.txt", Source: "copies.txt", Title: "Rates", Text: b.String()},
		{ID: "other.txt", Source: "other.txt", Title: "Inflation", Text: "Inflation\n\nInflation fell after the bank raised rates."},
	}
	if _, err := eng.Index(ctx, "c", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	// Identical passages are folded into one unless kept: keep them, so
	// that MMR and the per-document cap are what spreads the results.
	q := engine.Query{Text: "bank raised interest rates inflation", K: 3, Mode: engine.Hybrid, KeepDuplicates: true}
	docsOf := func(q engine.Query) map[string]int {
		resp, err := eng.Search(ctx, "c", q)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, r := range resp.Results {
			n[r.DocID]++
		}
		return n
	}
	if n := docsOf(q); n["other.txt"] != 0 {
		t.Fatalf("fixture does not put near-copies at the top, so it tests nothing: %v", n)
	}
	q.MaxPerDoc = 1
	if n := docsOf(q); n["copies.txt"] != 1 || n["other.txt"] != 1 {
		t.Errorf("max per doc 1: %v", n)
	}
	q.MaxPerDoc, q.MMR = 0, 0.3
	if n := docsOf(q); n["other.txt"] != 1 {
		resp, _ := eng.Search(ctx, "c", engine.Query{Text: q.Text, K: 10, Mode: engine.Hybrid, Explain: true})
		for _, r := range resp.Results {
			t.Logf("%s %d %.3f %+v %q", r.DocID, r.Chunk, r.Score, *r.Explain, r.Text)
		}
		t.Errorf("mmr 0.3 kept only near-copies: %v", n)
	}
}
