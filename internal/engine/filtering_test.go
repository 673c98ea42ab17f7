package engine_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// filteringIndex is a keyword index that applies filters itself, as a
// database's where filter does; it records the filters it was given.
type filteringIndex struct {
	*termIndex
	filters []vectorstore.Filter
	plain   int // calls of Search (with a predicate)
}

func (x *filteringIndex) Search(ctx context.Context, c, q string, k int, allow func(string) bool) ([]engine.KeywordHit, error) {
	x.plain++
	return x.termIndex.Search(ctx, c, q, k, allow)
}

func (x *filteringIndex) SearchFilter(ctx context.Context, c, q string, k int, f vectorstore.Filter) ([]engine.KeywordHit, error) {
	x.filters = append(x.filters, f)
	titles := map[string]string{"sport.txt": "Football"} // what the fake knows of the corpus' titles
	return x.termIndex.Search(ctx, c, q, k, func(id string) bool {
		want, ok := f.Meta["title"]
		return !ok || titles[id] == want
	})
}

// TestEngine_FilteringKeywordIndex checks that a keyword index that filters
// by itself receives the query's filter (and is not asked with a predicate).
func TestEngine_FilteringKeywordIndex(t *testing.T) {
	kw := &filteringIndex{termIndex: newTermIndex()}
	eng := newHybrid(t, t.TempDir(), kw)
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	f := vectorstore.Filter{Meta: map[string]string{"title": "Football"}}
	for _, mode := range []engine.Mode{engine.BM25, engine.Hybrid} {
		resp, err := eng.Search(ctx, "news", engine.Query{Text: "Comey football fruit", K: 1, Mode: mode, Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) != 1 || resp.Results[0].DocID != "sport.txt" {
			t.Errorf("%s with filter: %+v", mode, resp.Results)
		}
	}
	if len(kw.filters) != 2 || !reflect.DeepEqual(kw.filters[0], f) || kw.plain != 0 {
		t.Errorf("SearchFilter got %+v (Search called %d times), want the query's filter twice", kw.filters, kw.plain)
	}
}
