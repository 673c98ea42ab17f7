package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/engine"
)

// keywordIndex adapts bm25.Collections to the engine's KeywordIndex.
type keywordIndex struct{ c *bm25.Collections }

func (k keywordIndex) Replace(ctx context.Context, collection string, docs []engine.KeywordDoc) error {
	out := make([]bm25.Document, len(docs))
	for i, d := range docs {
		out[i] = bm25.Document{ID: d.ID, Hash: d.Hash, Passages: make([]bm25.Passage, len(d.Passages))}
		for j, p := range d.Passages {
			out[i].Passages[j] = bm25.Passage{Chunk: p.Chunk, Title: p.Title, Text: p.Text}
		}
	}
	return engineError(k.c.Replace(ctx, collection, out...))
}

// use calls fn with a collection's index (opened for the call only when
// read-only, so a reader never keeps `serve` out), turning the bm25
// package's errors into the engine's.
func (k keywordIndex) use(collection string, fn func(*bm25.Index) error) error {
	return engineError(k.c.Use(collection, fn))
}

// engineError maps the bm25 errors the engine branches on to its sentinels.
func engineError(err error) error {
	switch {
	case errors.Is(err, bm25.ErrLocked):
		return fmt.Errorf("%w: %w", engine.ErrKeywordsBusy, err)
	case errors.Is(err, bm25.ErrDamaged), errors.Is(err, bm25.ErrMissing):
		return fmt.Errorf("%w: %w", engine.ErrKeywordsDamaged, err)
	}
	return err
}

func (k keywordIndex) Delete(ctx context.Context, collection string, ids ...string) error {
	return k.use(collection, func(ix *bm25.Index) error { return ix.Delete(ctx, ids...) })
}

func (k keywordIndex) Hashes(ctx context.Context, collection string) (map[string]string, error) {
	var h map[string]string
	err := k.use(collection, func(ix *bm25.Index) (err error) {
		h, err = ix.Hashes(ctx)
		return err
	})
	return h, err
}

func (k keywordIndex) Search(ctx context.Context, collection, query string, n int, allow func(string) bool) ([]engine.KeywordHit, error) {
	var hits []bm25.Hit
	err := k.use(collection, func(ix *bm25.Index) (err error) {
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

func (k keywordIndex) Drop(ctx context.Context, collection string) error {
	return k.c.Drop(collection)
}

var _ engine.KeywordIndex = keywordIndex{}
