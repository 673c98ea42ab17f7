package weaviatestore

import (
	"context"
	"errors"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Keywords is the engine's keyword index ([engine.FilteringKeywordIndex])
// on Weaviate's own BM25 over the passages the store already holds: nothing
// to keep in step, so the writes are no-ops and Hashes are the store's.
type Keywords struct{ s *Store }

// Keywords returns the store's BM25 as the engine's keyword index.
func (s *Store) Keywords() Keywords { return Keywords{s} }

// Replace does nothing: Weaviate indexes the passages the store writes.
func (Keywords) Replace(context.Context, string, []engine.KeywordDoc) error { return nil }

// Delete does nothing: deleting from the store deletes from its BM25.
func (Keywords) Delete(context.Context, string, ...string) error { return nil }

// Drop does nothing: dropping the collection drops its BM25.
func (Keywords) Drop(context.Context, string) error { return nil }

// Hashes returns the content hash the store holds for each document.
func (k Keywords) Hashes(ctx context.Context, collection string) (map[string]string, error) {
	return k.s.Hashes(ctx, collection)
}

// Search ranks the whole collection. Weaviate cannot apply a Go predicate
// before ranking, and ranking first would cut the top k before the filter,
// so a predicate is refused: the engine filters with [Keywords.SearchFilter].
func (k Keywords) Search(ctx context.Context, collection, query string, n int, allow func(string) bool) ([]engine.KeywordHit, error) {
	if allow != nil {
		return nil, errors.New("weaviate keyword search takes its filter through SearchFilter, not as a predicate")
	}
	return k.SearchFilter(ctx, collection, query, n, vectorstore.Filter{})
}

// SearchFilter returns the n passages Weaviate's BM25 ranks best for query
// among the documents that pass f (applied by Weaviate before ranking).
func (k Keywords) SearchFilter(ctx context.Context, collection, query string, n int, f vectorstore.Filter) ([]engine.KeywordHit, error) {
	hits, err := k.s.SearchText(ctx, collection, query, n, f)
	if err != nil {
		return nil, err
	}
	out := make([]engine.KeywordHit, len(hits))
	for i, h := range hits {
		out[i] = engine.KeywordHit{DocID: h.DocID, Chunk: h.Chunk, Score: float64(h.Score)}
	}
	return out, nil
}
