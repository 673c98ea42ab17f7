package bm25

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// Hit is one passage found by [Index.Search].
type Hit struct {
	DocID string
	Chunk int
	// Score is the passage's BM25 score: positive and unbounded, comparable
	// only with scores from the same search.
	Score float64
	// Hash is the content hash recorded for the passage's document (the
	// version of the document the passage belongs to); "" when none is
	// recorded.
	Hash string
}

// queryTerm is one distinct analysed query term and how often it occurs in
// the query.
type queryTerm struct {
	term  string
	count float64
}

// queryTerms analyses query into its distinct terms, in order of first
// occurrence. The text is taken as plain words: punctuation such as " : + -
// only separates them.
func (ix *Index) queryTerms(query string) []queryTerm {
	var terms []queryTerm
	at := make(map[string]int)
	for _, tok := range ix.an.Analyze([]byte(query)) {
		t := string(tok.Term)
		if i, ok := at[t]; ok {
			terms[i].count++
			continue
		}
		at[t] = len(terms)
		terms = append(terms, queryTerm{term: t, count: 1})
	}
	return terms
}

// Search returns the k passages that score best for query, best first.
//
// The query is a bag of words: it is analysed like the passages and any
// passage holding at least one of its terms matches (OR); a term that occurs
// twice in the query counts twice, as in Anserini. A query with no terms
// left after analysis (empty, or only stopwords) has no hits.
//
// Scores follow Lucene's BM25Similarity, with idf = ln(1 + (N - n + 0.5) /
// (n + 0.5)) and tf part tf·(k1+1) / (tf + k1·(1 - b + b·dl/avgdl)), where N
// is the number of passages, n those holding the term, dl the passage's
// analysed length and avgdl the mean over all passages (dl is exact here,
// where Lucene rounds it to one byte).
//
// When allow is not nil, only passages of documents it accepts are returned,
// and the filter applies before the cut: Search returns k hits whenever k
// allowed passages match. allow is called from the calling goroutine, at
// most once per document, and only for documents that match the query.
// Passages whose score ties with the k-th are ordered by document id and
// chunk, so results are deterministic. The returned slice is the caller's.
func (ix *Index) Search(ctx context.Context, query string, k int, allow func(docID string) bool) ([]Hit, error) {
	if k < 1 {
		return nil, fmt.Errorf("bm25 search: k is %d, want at least 1", k)
	}
	terms := ix.queryTerms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	var hits []Hit
	err := ix.read(func(st *state) error {
		scores, err := ix.score(ctx, st, terms)
		if err != nil {
			return err
		}
		hits, err = topK(st, scores, k, allow)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	return hits, nil
}

// score returns the BM25 score of every live passage that holds at least
// one of terms, keyed as [state.termPostings] keys them.
func (ix *Index) score(ctx context.Context, st *state, terms []queryTerm) (map[uint32]float64, error) {
	n := float64(st.livePassages)
	if n == 0 || st.liveTokens <= 0 {
		return nil, nil
	}
	avgdl := float64(st.liveTokens) / n
	k1, b := ix.opt.K1, ix.opt.B
	scores := make(map[uint32]float64)
	var ps []posting
	for _, t := range terms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		if ps, err = st.termPostings(t.term, ps[:0]); err != nil {
			return nil, err
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		w := t.count * idf * (k1 + 1)
		for _, p := range ps {
			tf := float64(p.tf)
			scores[p.key] += w * tf / (tf + k1*(1-b+b*float64(p.length)/avgdl))
		}
	}
	return scores, nil
}

// candidate is a scored passage not yet resolved to its ids.
type candidate struct {
	key   uint32
	score float64
}

// topK resolves the best-scoring candidates that allow accepts, up to k
// plus any that tie with the k-th, and returns the first k of them ordered
// by score, document id and chunk.
func topK(st *state, scores map[uint32]float64, k int, allow func(string) bool) ([]Hit, error) {
	h := make(candidateHeap, 0, len(scores))
	for key, s := range scores {
		h = append(h, candidate{key, s})
	}
	h.init()
	hits := make([]Hit, 0, min(k, len(h)))
	verdict := make(map[string]bool) // allow's answers, per document
	for len(h) > 0 {
		c := h.pop()
		if len(hits) >= k && c.score < hits[k-1].Score {
			break
		}
		docID, chunk, hash, err := st.resolve(c.key)
		if err != nil {
			return nil, err
		}
		if allow != nil {
			ok, seen := verdict[docID]
			if !seen {
				ok = allow(docID)
				verdict[docID] = ok
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, Hit{DocID: docID, Chunk: chunk, Score: c.score, Hash: hash})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.DocID, b.DocID), cmp.Compare(a.Chunk, b.Chunk))
	})
	return hits[:min(k, len(hits))], nil
}

// candidateHeap is a binary max-heap of candidates by score. Building it is
// linear, so taking the best few of many matches costs little more than
// scoring them.
type candidateHeap []candidate

func (h candidateHeap) before(i, j int) bool { return h[i].score > h[j].score }

func (h candidateHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *candidateHeap) pop() candidate {
	old := *h
	top := old[0]
	last := len(old) - 1
	old[0] = old[last]
	*h = old[:last]
	h.down(0)
	return top
}

func (h candidateHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		best := l
		if r := l + 1; r < len(h) && h.before(r, l) {
			best = r
		}
		if !h.before(best, i) {
			return
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
}
