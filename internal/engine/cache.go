package engine

import (
	"container/list"
	"context"
	"slices"
	"sync"
)

// QueryCache is an [Embedder] that remembers the vectors of the most recently
// used queries, so a repeated question costs no embedding call. It caches
// [QueryCache.EmbedQuery] only; documents always go to the wrapped embedder.
// Entries are keyed by model and exact query text and evicted least recently
// used first. Errors are not cached. It is safe for concurrent use.
type QueryCache struct {
	next  Embedder
	model string
	size  int

	mu           sync.Mutex
	order        *list.List // of *cacheEntry, most recently used first
	entries      map[cacheKey]*list.Element
	hits, misses uint64
}

type cacheKey struct{ model, text string }

type cacheEntry struct {
	key cacheKey
	vec []float32
}

// CacheStats describe a [QueryCache]. Entries and Capacity count queries;
// Hits and Misses count EmbedQuery calls since the cache was made.
type CacheStats struct {
	Entries  int    `json:"entries"`
	Capacity int    `json:"capacity"`
	Hits     uint64 `json:"hits"`
	Misses   uint64 `json:"misses"`
}

// NewQueryCache returns an embedder that caches up to size query vectors of
// e, which embeds with model. A size of 0 or less disables caching: every
// call goes to e (and counts as a miss).
func NewQueryCache(e Embedder, model string, size int) *QueryCache {
	return &QueryCache{
		next:    e,
		model:   model,
		size:    max(size, 0),
		order:   list.New(),
		entries: map[cacheKey]*list.Element{},
	}
}

// EmbedDocuments passes texts to the wrapped embedder.
func (c *QueryCache) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	return c.next.EmbedDocuments(ctx, texts)
}

// EmbedDocumentsNamed passes texts and their names to the wrapped embedder
// (see [namedEmbedder]), or texts alone when it takes no names.
func (c *QueryCache) EmbedDocumentsNamed(ctx context.Context, texts, names []string) ([][]float32, error) {
	return embedNamed(ctx, c.next, texts, names)
}

// EmbedQuery returns the cached vector of text, or embeds it and caches the
// result. The returned slice is the caller's: it is a copy of the cached one.
func (c *QueryCache) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	key := cacheKey{c.model, text}
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.hits++
		c.order.MoveToFront(el)
		v := slices.Clone(el.Value.(*cacheEntry).vec)
		c.mu.Unlock()
		return v, nil
	}
	c.misses++
	c.mu.Unlock()

	v, err := c.next.EmbedQuery(ctx, text)
	if err != nil || c.size == 0 {
		return v, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok { // another caller embedded it meanwhile
		c.order.MoveToFront(el)
		return v, nil
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, vec: slices.Clone(v)})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
	return v, nil
}

// Stats returns a snapshot of the cache's counters.
func (c *QueryCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: c.order.Len(), Capacity: c.size, Hits: c.hits, Misses: c.misses}
}
