package bm25

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	index "github.com/blevesearch/bleve_index_api"
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
func (ix *Index) Search(ctx context.Context, query string, k int, allow func(docID string) bool) (_ []Hit, err error) {
	defer ix.recoverBleve("search", &err)
	if k < 1 {
		return nil, fmt.Errorf("bm25 search: k is %d, want at least 1", k)
	}
	terms := ix.queryTerms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	release, err := ix.acquire()
	if err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	defer release()
	r, err := ix.reader()
	if err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	defer r.Close()

	scores, err := ix.score(ctx, r, terms)
	if err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	hits, err := topK(r, scores, k, allow)
	if err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	if err := withHashes(r, hits); err != nil {
		return nil, fmt.Errorf("bm25 search: %w", err)
	}
	return hits, nil
}

// score returns the BM25 score of every passage in r that holds at least
// one of terms, keyed by bleve's internal document number.
func (ix *Index) score(ctx context.Context, r index.IndexReader, terms []queryTerm) (map[uint64]float64, error) {
	_, passages, err := counts(ctx, r)
	if err != nil || passages == 0 {
		return nil, err
	}
	st, err := readStats(r)
	if err != nil {
		return nil, err
	}
	n := float64(passages)
	avgdl := float64(st.Tokens) / n
	if avgdl <= 0 {
		return nil, nil
	}
	k1, b := ix.opt.K1, ix.opt.B
	scores := make(map[uint64]float64)
	var tfd index.TermFieldDoc
	for _, t := range terms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tfr, err := r.TermFieldReader(ctx, []byte(t.term), fieldText, true, true, false)
		if err != nil {
			return nil, err
		}
		df := float64(tfr.Count())
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		w := t.count * idf * (k1 + 1)
		for df > 0 {
			next, err := tfr.Next(tfd.Reset())
			if err != nil {
				_ = tfr.Close()
				return nil, err
			}
			if next == nil {
				break
			}
			tf := float64(next.Freq)
			// bleve stores 1/sqrt(length) as a float32 norm.
			dl := math.Round(1 / (next.Norm * next.Norm))
			scores[next.ID.Value()] += w * tf / (tf + k1*(1-b+b*dl/avgdl))
		}
		if err := tfr.Close(); err != nil {
			return nil, err
		}
	}
	return scores, nil
}

// withHashes fills in each hit's document hash from snapshot r, reading
// each document's record once.
func withHashes(r index.IndexReader, hits []Hit) error {
	byDoc := make(map[string]string)
	for i := range hits {
		h, ok := byDoc[hits[i].DocID]
		if !ok {
			rec, _, err := readRecord(r, recordID(hits[i].DocID))
			if err != nil {
				return err
			}
			h = rec.Hash
			byDoc[hits[i].DocID] = h
		}
		hits[i].Hash = h
	}
	return nil
}

// candidate is a scored passage not yet resolved to its ids.
type candidate struct {
	num   uint64 // bleve's internal document number
	score float64
}

// topK resolves the best-scoring candidates that allow accepts, up to k
// plus any that tie with the k-th, and returns the first k of them ordered
// by score, document id and chunk.
func topK(r index.IndexReader, scores map[uint64]float64, k int, allow func(string) bool) ([]Hit, error) {
	h := make(candidateHeap, 0, len(scores))
	for num, s := range scores {
		h = append(h, candidate{num, s})
	}
	h.init()
	hits := make([]Hit, 0, min(k, len(h)))
	verdict := make(map[string]bool) // allow's answers, per document
	buf := make([]byte, 8)
	for len(h) > 0 {
		c := h.pop()
		if len(hits) >= k && c.score < hits[k-1].Score {
			break
		}
		id, err := r.ExternalID(index.NewIndexInternalID(buf, c.num))
		if err != nil {
			return nil, err
		}
		docID, chunk, err := parsePassageID(id)
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
		hits = append(hits, Hit{DocID: docID, Chunk: chunk, Score: c.score})
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
