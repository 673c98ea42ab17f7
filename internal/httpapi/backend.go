package httpapi

import (
	"context"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Searcher answers queries with cited passages, as [engine.Engine.Search]
// does: it fails with engine.ErrInvalid, engine.ErrNotFound or
// engine.ErrSettingsMismatch.
type Searcher interface {
	Search(ctx context.Context, collection string, q engine.Query) (engine.Response, error)
}

// Indexer adds and removes documents, as [engine.Engine.Index] and
// [engine.Engine.Delete] do.
type Indexer interface {
	Index(ctx context.Context, collection string, arts []article.Article, opt engine.IndexOptions) (engine.IndexStats, error)
	Delete(ctx context.Context, collection string, ids ...string) (int, error)
}

// Catalog describes what is stored, as the engine's methods of the same
// names do. Documents lists without text; Document returns the full text.
type Catalog interface {
	Collections(ctx context.Context) ([]vectorstore.Collection, error)
	Documents(ctx context.Context, collection string, offset, limit int) ([]vectorstore.Document, int, error)
	Document(ctx context.Context, collection, id string) (vectorstore.Document, error)
}

// Engine is everything the API asks of the search engine; *engine.Engine
// implements it.
type Engine interface {
	Searcher
	Indexer
	Catalog
}

// Checker verifies that the embedding backend answers and has the model, as
// embed.Client.Check does. /readyz calls it.
type Checker interface {
	Check(ctx context.Context) error
}

// KeywordChecker verifies that the keyword (BM25) indexes can be searched,
// repairing what it can, as [engine.Engine.CheckKeywords] does. /readyz
// calls it when the Engine implements it.
type KeywordChecker interface {
	CheckKeywords(ctx context.Context) error
}

// CacheReporter reports the query-embedding cache's counters, as
// [engine.QueryCache.Stats] does. /v1/stats and /metrics show them.
type CacheReporter interface {
	Stats() engine.CacheStats
}
