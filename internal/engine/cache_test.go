package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

// countingEmbedder returns [len(text)] for a query and counts the calls per
// text; it fails for the text "fail".
type countingEmbedder struct {
	mu    sync.Mutex
	calls map[string]int
	docs  int
}

func (e *countingEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.docs += len(texts)
	return make([][]float32, len(texts)), nil
}

func (e *countingEmbedder) EmbedQuery(_ context.Context, text string) ([]float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls == nil {
		e.calls = map[string]int{}
	}
	e.calls[text]++
	if text == "fail" {
		return nil, errors.New("fake: connection refused")
	}
	return []float32{float32(len(text))}, nil
}

func (e *countingEmbedder) count(text string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[text]
}

var _ engine.Embedder = (*engine.QueryCache)(nil)

func TestQueryCache_EmbedQuery(t *testing.T) {
	ctx := t.Context()
	next := &countingEmbedder{}
	c := engine.NewQueryCache(next, "m", 2)

	for _, q := range []string{"a", "bb", "a", "a", "ccc", "bb", "a"} {
		v, err := c.EmbedQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != float32(len(q)) {
			t.Fatalf("EmbedQuery(%q) = %v", q, v)
		}
	}
	// a miss, bb miss, a hit, a hit, ccc miss (evicts bb), bb miss (evicts a), a miss.
	if got := next.count("a"); got != 2 {
		t.Errorf("a embedded %d times, want 2", got)
	}
	if got := next.count("bb"); got != 2 {
		t.Errorf("bb embedded %d times, want 2", got)
	}
	want := engine.CacheStats{Entries: 2, Capacity: 2, Hits: 2, Misses: 5}
	if got := c.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestQueryCache_copiesAndErrors(t *testing.T) {
	ctx := t.Context()
	next := &countingEmbedder{}
	c := engine.NewQueryCache(next, "m", 8)

	v, _ := c.EmbedQuery(ctx, "abc")
	v[0] = 99 // the caller owns the slice
	v2, _ := c.EmbedQuery(ctx, "abc")
	if v2[0] != 3 {
		t.Errorf("cached vector changed through a returned slice: %v", v2)
	}

	for range 2 {
		if _, err := c.EmbedQuery(ctx, "fail"); err == nil {
			t.Fatal("want the embedder's error")
		}
	}
	if got := next.count("fail"); got != 2 {
		t.Errorf("failing query embedded %d times, want 2 (errors are not cached)", got)
	}

	if _, err := c.EmbedDocuments(ctx, []string{"x", "y"}); err != nil || next.docs != 2 {
		t.Errorf("EmbedDocuments not passed through: err %v, docs %d", err, next.docs)
	}
}

func TestQueryCache_disabled(t *testing.T) {
	next := &countingEmbedder{}
	c := engine.NewQueryCache(next, "m", 0)
	for range 3 {
		if _, err := c.EmbedQuery(t.Context(), "q"); err != nil {
			t.Fatal(err)
		}
	}
	if got := next.count("q"); got != 3 {
		t.Errorf("embedded %d times with the cache off, want 3", got)
	}
	if got := c.Stats(); got.Entries != 0 || got.Hits != 0 {
		t.Errorf("Stats() = %+v with the cache off", got)
	}
}

func TestQueryCache_concurrent(t *testing.T) {
	next := &countingEmbedder{}
	c := engine.NewQueryCache(next, "m", 16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				q := fmt.Sprintf("query %d", (g+i)%32)
				v, err := c.EmbedQuery(t.Context(), q)
				if err != nil || v[0] != float32(len(q)) {
					t.Errorf("EmbedQuery(%q) = %v, %v", q, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	if st.Entries > 16 || st.Hits+st.Misses != 8*200 {
		t.Errorf("Stats() = %+v", st)
	}
}
