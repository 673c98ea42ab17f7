package eval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

// Engine is what the harness needs of the search engine.
type Engine interface {
	Index(ctx context.Context, collection string, arts []article.Article, opt engine.IndexOptions) (engine.IndexStats, error)
	Search(ctx context.Context, collection string, q engine.Query) (engine.Response, error)
}

// RunOptions configure [Run].
type RunOptions struct {
	// Collection receives the corpus. Incremental indexing makes a second
	// run over the same corpus and settings cost no embedding calls.
	Collection string
	// Ks are the cut-offs reported (default [DefaultKs]).
	Ks []int
	// Passages is how many passages each query retrieves before they are
	// merged into documents (default 1000, the engine's maximum): enough
	// for the top 100 documents when documents have several passages.
	Passages int
	// Search is the template for every query (mode, filters); Text and K
	// are filled in per query.
	Search engine.Query
	// Prune removes documents of the collection that are not in the corpus.
	Prune bool
	// Rebuild re-embeds the corpus when the collection was built with other
	// settings (model, chunking) instead of refusing.
	Rebuild bool
	// Progress, when set, is called after each query.
	Progress func(done, total int)
	// IndexProgress, when set, follows the indexing of the corpus (see
	// [engine.IndexOptions.OnProgress]).
	IndexProgress func(engine.IndexProgress)
}

// RunStats say what a run cost.
type RunStats struct {
	Index       engine.IndexStats
	Queries     int
	SearchTime  time.Duration // total over all queries
	MeanLatency time.Duration
}

// Run indexes corpus into its own collection, asks every query of ds and
// evaluates the rankings at document level (a document scores as its best
// passage) and, where queries carry answers, at passage level.
func Run(ctx context.Context, eng Engine, ds *Dataset, corpus []article.Article, opt RunOptions) (*Report, RunStats, error) {
	var st RunStats
	if opt.Passages <= 0 {
		opt.Passages = engine.MaxK
	}
	ks := opt.Ks
	if len(ks) == 0 {
		ks = DefaultKs()
	}
	var err error
	st.Index, err = eng.Index(ctx, opt.Collection, corpus, engine.IndexOptions{Prune: opt.Prune, Rebuild: opt.Rebuild, OnProgress: opt.IndexProgress})
	if err != nil {
		return nil, st, fmt.Errorf("index %s corpus: %w", ds.Name, err)
	}
	rankings := make(map[string][]RankedPassage, len(ds.Queries))
	for i, q := range ds.Queries {
		req := opt.Search
		req.Text, req.K = q.Text, opt.Passages
		t := time.Now()
		resp, err := eng.Search(ctx, opt.Collection, req)
		st.SearchTime += time.Since(t)
		if err != nil {
			return nil, st, fmt.Errorf("query %s: %w", q.ID, err)
		}
		if req.Mode != "" && resp.Mode != req.Mode {
			// e.g. ranked by BM25 alone because the query's embedding
			// timed out: figures of another ranking than asked are wrong.
			// Other warnings (a question of words the model does not
			// know) leave the ranking as asked, and its figures stand.
			return nil, st, fmt.Errorf("query %s was not ranked as asked (%s, not %s): %s", q.ID, resp.Mode, req.Mode, strings.Join(resp.Warnings, "; "))
		}
		ranked := make([]RankedPassage, len(resp.Results))
		for j, r := range resp.Results {
			ranked[j] = RankedPassage{DocID: r.DocID, Text: r.Text, Score: float64(r.Score)}
		}
		SortPassages(ranked) // deterministic order for tied scores
		rankings[q.ID] = ranked
		st.Queries++
		if opt.Progress != nil {
			opt.Progress(i+1, len(ds.Queries))
		}
	}
	if st.Queries > 0 {
		st.MeanLatency = st.SearchTime / time.Duration(st.Queries)
	}
	rep, err := Evaluate(ds.Queries, rankings, ks)
	if err != nil {
		return nil, st, err
	}
	return rep, st, nil
}

// Articles turns dataset documents into articles for indexing. Source names
// the dataset so that citations say where a document came from.
func Articles(source string, docs []Doc) []article.Article {
	out := make([]article.Article, len(docs))
	for i, d := range docs {
		out[i] = article.Article{ID: d.ID, Source: source, Format: "json", Title: d.Title, Text: d.Text}
	}
	return out
}
