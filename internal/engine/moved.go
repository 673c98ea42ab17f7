package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// contentKey is an article's hash without its id: two articles with the
// same key are chunked and embedded alike, so one can take the other's
// vectors (a renamed file is the same article under another id).
func contentKey(a article.Article) string {
	a.ID = ""
	return a.Hash()
}

// takeMoved stores, without embedding, the articles of todo whose content a
// document being removed in this run holds (a renamed or moved file): they
// take its passages' vectors, which its removal would otherwise throw away.
// It returns the articles left to embed. A document whose stored passages
// do not match the article's chunks (stored with other settings) gives
// nothing, and the article is embedded as usual.
func (e *Engine) takeMoved(ctx context.Context, collection string, col *vectorstore.Collection, todo []*pending, removing []string, st *IndexStats, stored func(*pending)) ([]*pending, error) {
	if len(todo) == 0 || len(removing) == 0 || col == nil {
		return todo, nil
	}
	byKey := make(map[string]string, len(removing)) // content key -> removed id
	for _, id := range removing {
		doc, err := e.store.Document(ctx, collection, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return todo, fmt.Errorf("look for moved articles: %w", err)
		}
		if !doc.LayoutRecorded {
			continue // its key cannot be known without chunking it again
		}
		byKey[contentKey(storedArticle(doc, nil))] = id
	}
	if len(byKey) == 0 {
		return todo, nil
	}
	var kdocs []KeywordDoc
	rest := todo[:0:0]
	for _, p := range todo {
		from, ok := byKey[contentKey(*p.art)]
		var vecs [][]float32
		if ok {
			// The pipeline chunks articles as it goes; a move is
			// checked against the article's chunks now.
			if err := e.ensurePrepared(p); err != nil {
				return todo, err
			}
			var err error
			if vecs, err = e.movedVectors(ctx, collection, from, p, col.Settings.Dimensions); err != nil {
				return todo, err
			}
		}
		if vecs == nil {
			rest = append(rest, p)
			continue
		}
		p.vecs = vecs
		if err := e.store.Put(ctx, collection, document(p), passages(p, vecs)); err != nil {
			return todo, fmt.Errorf("store %s (moved from %s): %w", p.art.ID, from, err)
		}
		if st.MovedFrom == nil {
			st.MovedFrom = map[string]string{}
		}
		st.MovedFrom[p.art.ID] = from
		st.Moved++
		kdocs = append(kdocs, keywordDoc(p))
		stored(p)
		e.log.Debug("article moved: vectors kept", "id", p.art.ID, "from", from)
	}
	if e.keywords != nil && len(kdocs) > 0 {
		if err := e.keywords.Replace(ctx, collection, kdocs); err != nil {
			e.forgetKeywordCheck(collection)
			return rest, fmt.Errorf("bm25 index: %w", err)
		}
	}
	return rest, nil
}

// movedVectors returns the vectors of document from's passages for p, or
// nil when they are not p's passages.
func (e *Engine) movedVectors(ctx context.Context, collection, from string, p *pending, dims int) ([][]float32, error) {
	_, hits, err := vectorstore.DocumentPassages(ctx, e.store, collection, from)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for moved articles: %w", err)
	}
	if len(hits) != len(p.chunks) {
		return nil, nil
	}
	slices.SortFunc(hits, func(a, b vectorstore.Hit) int { return a.Chunk - b.Chunk })
	vecs := make([][]float32, len(hits))
	for i, h := range hits {
		if h.Chunk != i || h.Start != p.chunks[i].Start || h.End != p.chunks[i].End {
			return nil, nil
		}
		vecs[i] = h.Vector
		if vecs[i] == nil { // stored without one: a passage with no known words
			vecs[i] = make([]float32, dims)
		}
	}
	return vecs, nil
}
