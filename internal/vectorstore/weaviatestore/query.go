package weaviatestore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// rawPassage is a passage object as a search returned it.
type rawPassage struct {
	docID string
	gen   int64
	p     vectorstore.Passage
	score float32
}

var passageFields = []string{"doc_id", "gen", "chunk", "start", "end", "line_start", "line_end", "text"}

func parsePassage(r graphql.SearchResult) rawPassage {
	return rawPassage{
		docID: str(r.Properties["doc_id"]),
		gen:   num(r.Properties["gen"]),
		p: vectorstore.Passage{
			Chunk:     int(num(r.Properties["chunk"])),
			Start:     int(num(r.Properties["start"])),
			End:       int(num(r.Properties["end"])),
			LineStart: int(num(r.Properties["line_start"])),
			LineEnd:   int(num(r.Properties["line_end"])),
			Text:      str(r.Properties["text"]),
			Vector:    r.Vector,
		},
	}
}

// bm25K1 is the BM25 k1 every passage class is created with (as internal/bm25).
const bm25K1 = 0.9

// maxLimit is the most objects one search asks for (Weaviate's default
// QUERY_MAXIMUM_RESULTS).
const maxLimit = 10000

// consistentSearch runs a ranked passage search (run returns up to limit
// passages, best first) and returns the best k passages that belong to the
// current version of their document and pass the filter.
//
// A passage is kept only when its generation was its document's current one
// at a read done before the search began and again at a read after it
// ended: generations are never reused, so the document pointed at that
// generation the whole time, when all of its passages existed (they are
// written before the switch and deleted only after the next one). A search
// therefore never mixes versions or shows part of one. Documents first seen
// by this search are checked by running it again; stale passages (an older
// or newer generation) are dropped, and the search asks for more when that
// leaves fewer than k.
func (s *Store) consistentSearch(ctx context.Context, coll string, k int, f vectorstore.Filter, run func(limit int) ([]rawPassage, error)) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	match := f.Matcher()
	limit := min(k+k/4+8, maxLimit)
	for attempt := 0; ; attempt++ {
		e0 := s.epoch.Add(1)
		raw, err := run(limit)
		if err != nil {
			return nil, err
		}
		ids := make([]string, 0, len(raw))
		for _, r := range raw {
			ids = append(ids, r.docID)
		}
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
		before := s.seen(coll, ids, e0)
		docs, err := s.docsByID(ctx, coll, ids)
		if err != nil {
			return nil, err
		}
		var hits []vectorstore.Hit
		uncertain := false
		for _, r := range raw {
			d, ok := docs[r.docID]
			if !ok || d.gen != r.gen || r.p.Chunk >= d.doc.Passages || !match(&d.doc) {
				continue // stale, deleted, or outside the filter
			}
			if g, ok := before[r.docID]; !ok || g != r.gen {
				uncertain = true
				continue
			}
			hits = append(hits, hit(d.doc, r))
		}
		exhausted := len(raw) < limit || limit >= maxLimit
		if uncertain && attempt < 8 {
			continue // the documents are now known: search again
		}
		if len(hits) < k && !exhausted && attempt < 8 {
			limit = min(2*limit, maxLimit)
			continue
		}
		if len(hits) > k {
			hits = hits[:k]
		}
		return hits, nil
	}
}

func hit(d vectorstore.Document, r rawPassage) vectorstore.Hit {
	h := vectorstore.Hit{
		DocID: d.ID, Title: d.Title, Source: d.Source, Author: d.Author, URL: d.URL,
		Published: d.Published, Meta: maps.Clone(d.Meta), Passage: r.p, Score: r.score,
	}
	h.Locate(&d)
	return h
}

// Query implements vectorstore.Store. Score is 1 - Weaviate's cosine
// distance, i.e. the cosine similarity.
func (s *Store) Query(ctx context.Context, coll string, v []float32, k int, f vectorstore.Filter) ([]vectorstore.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := s.readMeta(ctx, coll); err != nil {
		return nil, err
	}
	if isZero(v) {
		return nil, nil // similar to nothing
	}
	vec := slices.Clone(v)
	return s.rankedSearch(ctx, coll, k, f, "vector search", func(q *graphql.Search) *graphql.Search {
		return q.WithNearVector((&graphql.NearVectorArgumentBuilder{}).WithVector(vec)).
			WithMetadata(&graphql.Metadata{ID: true, Distance: true})
	}, func(r graphql.SearchResult) float32 { return 1 - r.Metadata.Distance })
}

// rankedSearch is a search of coll's passages ranked by rank, through
// consistentSearch: Weaviate applies the filter before ranking, and score
// turns each result's metadata into the hit's score. what names the search
// in errors.
func (s *Store) rankedSearch(ctx context.Context, coll string, k int, f vectorstore.Filter, what string,
	rank func(*graphql.Search) *graphql.Search, score func(graphql.SearchResult) float32) ([]vectorstore.Hit, error) {
	w := where(f)
	return s.consistentSearch(ctx, coll, k, f, func(limit int) ([]rawPassage, error) {
		res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
			q = rank(q.WithCollection(s.psgClass(coll)).WithLimit(limit).WithProperties(passageFields...))
			if w != nil {
				q = q.WithWhere(w)
			}
			return q
		})
		if err != nil {
			return nil, fmt.Errorf("%s in %q: %w", what, coll, err)
		}
		out := make([]rawPassage, len(res))
		for i, r := range res {
			out[i] = parsePassage(r)
			out[i].score = score(r)
		}
		return out, nil
	})
}

// SearchText returns the k passages that Weaviate's BM25 ranks best for
// query over the passage text and the article title, among the documents
// that pass the filter (applied by Weaviate before ranking), best first.
// Score is Weaviate's BM25 score times (k1 + 1), the scale of internal/bm25.
func (s *Store) SearchText(ctx context.Context, coll, query string, k int, f vectorstore.Filter) ([]vectorstore.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := s.readMeta(ctx, coll)
	if err != nil {
		return nil, err
	}
	terms, err := s.termsFunc(m)
	if err != nil {
		return nil, err
	}
	props := []string{"text", "title"}
	if terms != nil {
		t, err := terms(query)
		if err != nil {
			return nil, err
		}
		if len(t) == 0 {
			return nil, nil // only stopwords: nothing to match, as in internal/bm25
		}
		query, props = strings.Join(t, " "), []string{"terms"}
	}
	return s.rankedSearch(ctx, coll, k, f, "bm25 search", func(q *graphql.Search) *graphql.Search {
		return q.WithBM25((&graphql.BM25ArgumentBuilder{}).WithQuery(query).WithProperties(props...)).
			WithMetadata(&graphql.Metadata{ID: true, Score: true})
	}, func(r graphql.SearchResult) float32 {
		// Weaviate's BM25 leaves out the constant factor (k1 + 1) that
		// internal/bm25 keeps; with it the scores are the same numbers.
		return r.Metadata.Score * (bm25K1 + 1)
	})
}

// Lookup implements vectorstore.Store.
func (s *Store) Lookup(ctx context.Context, coll string, keys []vectorstore.PassageKey) ([]vectorstore.Hit, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.DocID)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	docs, err := s.docsByID(ctx, coll, ids)
	if err != nil {
		return nil, err
	}
	want := map[vectorstore.PassageKey]bool{}
	for _, k := range keys {
		want[k] = true
	}
	found := map[vectorstore.PassageKey]vectorstore.Hit{}
	known := slices.Sorted(maps.Keys(docs))
	for len(known) > 0 {
		n := min(len(known), 100)
		part := known[:n]
		known = known[n:]
		var ops []*filters.WhereBuilder
		total := 0
		for _, id := range part {
			d := docs[id]
			total += d.doc.Passages
			ops = append(ops, and(
				filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.Equal).WithValueText(id),
				filters.Where().WithPath([]string{"gen"}).WithOperator(filters.Equal).WithValueInt(d.gen)))
		}
		if total == 0 {
			continue
		}
		w := ops[0]
		if len(ops) > 1 {
			w = filters.Where().WithOperator(filters.Or).WithOperands(ops)
		}
		// Chunks past the document's count are leftovers of a failed write.
		res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
			return q.WithCollection(s.psgClass(coll)).WithLimit(min(total+64, maxLimit)).WithProperties(passageFields...).
				WithWhere(w).WithMetadata(&graphql.Metadata{ID: true, Vector: true})
		})
		if err != nil {
			return nil, fmt.Errorf("look up passages in %q: %w", coll, err)
		}
		for _, r := range res {
			rp := parsePassage(r)
			key := vectorstore.PassageKey{DocID: rp.docID, Chunk: rp.p.Chunk}
			d := docs[rp.docID]
			if !want[key] || rp.gen != d.gen || rp.p.Chunk >= d.doc.Passages {
				continue
			}
			if len(rp.p.Vector) == 0 {
				rp.p.Vector = nil
			}
			found[key] = hit(d.doc, rp)
		}
	}
	out := make([]vectorstore.Hit, 0, len(found))
	seen := map[vectorstore.PassageKey]bool{}
	for _, k := range keys {
		if h, ok := found[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return out, nil
}
