package bm25

import (
	"context"
	"errors"
	"fmt"

	"github.com/semsearch/semsearch/internal/engine"
)

// KeywordIndex is the engine's keyword index ([engine.KeywordIndex]) on
// [Collections]: it translates the engine's documents and hits, and the
// errors the engine branches on (see [engineError]).
type KeywordIndex struct{ c *Collections }

// NewKeywordIndex returns the engine's keyword index on c; c stays the
// caller's to close.
func NewKeywordIndex(c *Collections) KeywordIndex { return KeywordIndex{c} }

// Replace stores each document with exactly its passages.
func (k KeywordIndex) Replace(ctx context.Context, collection string, docs []engine.KeywordDoc) error {
	out := make([]Document, len(docs))
	for i, d := range docs {
		out[i] = Document{ID: d.ID, Hash: d.Hash, Passages: make([]Passage, len(d.Passages))}
		for j, p := range d.Passages {
			out[i].Passages[j] = Passage{Chunk: p.Chunk, Title: p.Title, Text: p.Text}
		}
	}
	return engineError(k.c.Replace(ctx, collection, out...))
}

// use calls fn with a collection's index (opened for the call only when
// read-only, so a reader never keeps `serve` out), turning this package's
// errors into the engine's.
func (k KeywordIndex) use(collection string, fn func(*Index) error) error {
	return engineError(k.c.Use(collection, fn))
}

// engineError maps the errors the engine branches on to its sentinels,
// keeping ours: ErrLocked is [engine.ErrKeywordsBusy], ErrDamaged and
// ErrMissing are [engine.ErrKeywordsDamaged].
func engineError(err error) error {
	switch {
	case errors.Is(err, ErrLocked):
		return fmt.Errorf("%w: %w", engine.ErrKeywordsBusy, err)
	case errors.Is(err, ErrDamaged), errors.Is(err, ErrMissing):
		return fmt.Errorf("%w: %w", engine.ErrKeywordsDamaged, err)
	}
	return err
}

// Delete removes documents; unknown ids are ignored.
func (k KeywordIndex) Delete(ctx context.Context, collection string, ids ...string) error {
	return k.use(collection, func(ix *Index) error { return ix.Delete(ctx, ids...) })
}

// Hashes returns each document's recorded content hash.
func (k KeywordIndex) Hashes(ctx context.Context, collection string) (map[string]string, error) {
	var h map[string]string
	err := k.use(collection, func(ix *Index) (err error) {
		h, err = ix.Hashes(ctx)
		return err
	})
	return h, err
}

// Search returns the n best passages for query among the documents allow
// accepts (nil: all), best first.
func (k KeywordIndex) Search(ctx context.Context, collection, query string, n int, allow func(string) bool) ([]engine.KeywordHit, error) {
	var hits []Hit
	err := k.use(collection, func(ix *Index) (err error) {
		hits, err = ix.Search(ctx, query, n, allow)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]engine.KeywordHit, len(hits))
	for i, h := range hits {
		out[i] = engine.KeywordHit{DocID: h.DocID, Chunk: h.Chunk, Score: h.Score, Hash: h.Hash}
	}
	return out, nil
}

// Drop removes a collection's index.
func (k KeywordIndex) Drop(ctx context.Context, collection string) error {
	return k.c.Drop(collection)
}
