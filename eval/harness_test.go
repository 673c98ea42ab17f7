package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// warningEngine answers every query with one hit and the given warnings.
// warningEngine answers in the mode asked, or in fallback with a warning
// when it is set.
type warningEngine struct {
	fallback engine.Mode
	warnings []string
}

func (warningEngine) Index(context.Context, string, []article.Article, engine.IndexOptions) (engine.IndexStats, error) {
	return engine.IndexStats{}, nil
}

func (w warningEngine) Search(_ context.Context, col string, q engine.Query) (engine.Response, error) {
	hit := engine.Result{Hit: vectorstore.Hit{DocID: "d1"}, Rank: 1}
	mode := q.Mode
	if w.fallback != "" {
		mode = w.fallback
	}
	return engine.Response{Query: q.Text, Collection: col, Mode: mode, Results: []engine.Result{hit}, Warnings: w.warnings}, nil
}

// TestRun_warnings: a query answered otherwise than asked (the engine
// warns, e.g. BM25 alone because the query's embedding timed out) fails the
// run instead of skewing its figures.
func TestRun_warnings(t *testing.T) {
	ds := &Dataset{Name: "t", Queries: []Query{{ID: "q1", Text: "question", Relevant: map[string]int{"d1": 1}}}}
	opt := RunOptions{Collection: "c", Search: engine.Query{Mode: engine.Hybrid}}
	if _, _, err := Run(t.Context(), warningEngine{}, ds, nil, opt); err != nil {
		t.Fatalf("without warnings: %v", err)
	}
	_, _, err := Run(t.Context(), warningEngine{fallback: engine.BM25, warnings: []string{"ranked by BM25 alone: the query's embedding did not arrive within 5s"}}, ds, nil, opt)
	if err == nil || !strings.Contains(err.Error(), "query q1 was not ranked as asked (bm25, not hybrid): ranked by BM25 alone") {
		t.Errorf("with a fallback to BM25: %v", err)
	}
	// A warning that leaves the ranking as asked does not fail the run.
	if _, _, err := Run(t.Context(), warningEngine{warnings: []string{"model m knows none of the words of this question"}}, ds, nil, opt); err != nil {
		t.Errorf("with a warning in the mode asked: %v", err)
	}
}
