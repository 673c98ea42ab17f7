package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// FusionMethod says how hybrid search combines its two rankings.
type FusionMethod string

const (
	// ScoreFusion adds the two halves' normalised scores, weighted: the
	// vector score min-max normalised over the candidates, the BM25 score
	// divided by the best BM25 score. A weak half given a small weight
	// reorders what the strong half found without drowning it.
	ScoreFusion FusionMethod = "score"
	// RRF is weighted reciprocal rank fusion: w/(k+rank) summed over the
	// halves, with the usual k = 60.
	RRF FusionMethod = "rrf"
)

// Fusion configures hybrid search.
type Fusion struct {
	Method FusionMethod `json:"method"`
	// VectorWeight is the vector half's share, 0..1; BM25 gets the rest.
	VectorWeight float64 `json:"vector_weight"`
	// Depth is how many candidates each half contributes (at least k).
	Depth int `json:"depth"`
	// RRFK is reciprocal rank fusion's rank constant.
	RRFK float64 `json:"rrf_k"`
}

// DefaultFusion returns the fusion settings semsearch uses unless told
// otherwise. docs/evals.md gives the eval figures behind them: with the offline
// GloVe model the vector half is weak on specialised text, so score fusion
// with a modest vector weight keeps what BM25 finds and lets the vectors
// break ties and add paraphrase matches; plain RRF at equal weights lost
// most of BM25's lead on SciFact.
func DefaultFusion() Fusion {
	return Fusion{Method: ScoreFusion, VectorWeight: 0.3, Depth: 100, RRFK: 60}
}

// Validate reports whether f can be used.
func (f Fusion) Validate() error {
	switch {
	case f.Method != ScoreFusion && f.Method != RRF:
		return fmt.Errorf("unknown fusion method %q (want %q or %q)", f.Method, ScoreFusion, RRF)
	// Written so that NaN fails too.
	case !(f.VectorWeight >= 0 && f.VectorWeight <= 1):
		return fmt.Errorf("vector weight must be between 0 and 1, got %g", f.VectorWeight)
	case f.Depth < 1 || f.Depth > MaxK:
		return fmt.Errorf("fusion depth must be between 1 and %d, got %d", MaxK, f.Depth)
	case !(f.RRFK > 0):
		return fmt.Errorf("rrf k must be positive, got %g", f.RRFK)
	}
	return nil
}

// candidate is a passage found by either half, with what each half said.
type candidate struct {
	hit            vectorstore.Hit
	found          bool // hit holds the passage (from the vector store)
	vscore, bscore float64
	vrank, brank   int // 1-based; 0 = no score from that half
	score          float64
	dups           []*candidate // same text, folded into this one (see foldDuplicates)
}

// rankNotes is what [Engine.rank] found worth telling beside its ranking.
type rankNotes struct {
	// stale are the ids of documents whose BM25 hits were left out (see
	// [Engine.currentKeywordHits]), sorted.
	stale []string
	// zeroQuery says the query embedded to a zero vector: the model knows
	// none of its words, so the vector half ranked nothing.
	zeroQuery bool
}

// isZero reports whether every component of v is 0.
func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// rank runs the halves the mode asks for, once, and scores their
// candidates, best first. It also returns the ids of documents whose BM25
// hits were left out because the keyword index scored another version of
// them than the vector store holds (see [Engine.currentKeywordHits]),
// sorted.
func (e *Engine) rank(ctx context.Context, collection string, q Query, mode Mode, f Fusion) ([]*candidate, rankNotes, error) {
	depth := q.K
	if q.MMR > 0 || q.MaxPerDoc > 0 {
		depth = min(max(4*q.K, 50), MaxK) // room to skip near-copies
	} else if !q.KeepDuplicates {
		depth = min(2*q.K+10, MaxK) // room to fold identical passages
	}
	if mode == Hybrid {
		depth = max(depth, f.Depth)
	}
	byKey := map[vectorstore.PassageKey]*candidate{}
	var order []*candidate
	get := func(k vectorstore.PassageKey) *candidate {
		c, ok := byKey[k]
		if !ok {
			c = &candidate{hit: vectorstore.Hit{DocID: k.DocID, Passage: vectorstore.Passage{Chunk: k.Chunk}}}
			byKey[k] = c
			order = append(order, c)
		}
		return c
	}

	var stale []string
	// BM25 first: it is cheap, and when its index is busy or damaged the
	// search fails (or, for a damaged index, falls back to vectors with a
	// warning) before anything was embedded.
	if fk, ok := e.keywords.(FilteringKeywordIndex); ok && mode != Vector {
		// The index applies the filter itself (e.g. a database's where filter).
		hits, err := fk.SearchFilter(ctx, collection, q.Text, depth, q.Filter)
		if err != nil {
			return nil, rankNotes{}, fmt.Errorf("bm25 search: %w", err)
		}
		for i, h := range hits {
			c := get(vectorstore.PassageKey{DocID: h.DocID, Chunk: h.Chunk})
			c.bscore, c.brank = h.Score, i+1
		}
	} else if mode != Vector {
		var allow func(string) bool
		if !q.Filter.Empty() {
			ids, err := e.store.FilterDocs(ctx, collection, q.Filter)
			if err != nil {
				return nil, rankNotes{}, err
			}
			set := make(map[string]bool, len(ids))
			for _, id := range ids {
				set[id] = true
			}
			allow = func(id string) bool { return set[id] }
		}
		hits, err := e.keywords.Search(ctx, collection, q.Text, depth, allow)
		if err != nil {
			return nil, rankNotes{}, fmt.Errorf("bm25 search: %w", err)
		}
		if hits, stale, err = e.currentKeywordHits(ctx, collection, hits); err != nil {
			return nil, rankNotes{}, err
		}
		for i, h := range hits {
			c := get(vectorstore.PassageKey{DocID: h.DocID, Chunk: h.Chunk})
			c.bscore, c.brank = h.Score, i+1
		}
	}
	var qv []float32
	zeroQuery := false
	if mode != BM25 {
		var err error
		if qv, err = e.embedQuery(ctx, q.Text, q.embedBy); err != nil {
			return nil, rankNotes{}, err
		}
		zeroQuery = isZero(qv)
		hits, err := e.store.Query(ctx, collection, qv, depth, q.Filter)
		if err != nil {
			return nil, rankNotes{}, err
		}
		for _, h := range hits {
			c := get(vectorstore.PassageKey{DocID: h.DocID, Chunk: h.Chunk})
			c.hit, c.found, c.vscore = h, true, float64(h.Score)
		}
	}
	if err := e.complete(ctx, collection, order, qv, q.MMR > 0); err != nil {
		return nil, rankNotes{}, err
	}
	// A BM25 hit the vector store does not know is drift from a failed
	// write; it has no text to show.
	order = slices.DeleteFunc(order, func(c *candidate) bool {
		if !c.found {
			e.log.Warn("keyword index has a passage the store lacks", "collection", collection, "doc_id", c.hit.DocID, "chunk", c.hit.Chunk)
		}
		return !c.found
	})

	// Vector ranks over all candidates: BM25's finds get their exact cosine.
	if qv != nil {
		withVec := slices.Clone(order)
		slices.SortStableFunc(withVec, func(a, b *candidate) int { return cmp.Compare(b.vscore, a.vscore) })
		for i, c := range withVec {
			c.vrank = i + 1
		}
	}
	switch mode {
	case Vector:
		for _, c := range order {
			c.score = c.vscore
		}
	case BM25:
		for _, c := range order {
			c.score = c.bscore
		}
	default:
		fuse(order, f)
	}
	slices.SortFunc(order, func(a, b *candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.hit.DocID, b.hit.DocID); c != 0 {
			return c
		}
		return cmp.Compare(a.hit.Chunk, b.hit.Chunk)
	})
	return order, rankNotes{stale: stale, zeroQuery: zeroQuery}, nil
}

// embedQuery embeds a query's text, waiting until embedBy at most (no
// bound when it is zero). Running out of that time is
// [ErrQueryEmbedTimeout], whatever the embedder made of its context's end.
func (e *Engine) embedQuery(ctx context.Context, text string, embedBy time.Time) ([]float32, error) {
	if embedBy.IsZero() {
		return e.emb.EmbedQuery(ctx, text) // the embedder says what it was doing
	}
	ectx, cancel := context.WithDeadlineCause(ctx, embedBy, ErrQueryEmbedTimeout)
	defer cancel()
	qv, err := e.emb.EmbedQuery(ectx, text)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(ectx), ErrQueryEmbedTimeout) {
		return nil, fmt.Errorf("%w: no answer within %s (--query-embed-timeout): %w; check that the embedding backend (Ollama) answers, or search with --mode bm25",
			ErrQueryEmbedTimeout, e.cfg.QueryEmbedTimeout, err)
	}
	return qv, err
}

// currentKeywordHits keeps the BM25 hits whose document version (content
// hash) is the one the vector store holds, and returns the ids of the
// documents it dropped, sorted. The two indexes disagree after a run that
// died between their writes (the next writer repairs it, see
// [Engine.syncKeywords]); until then a hit of the other version would cite a
// passage whose text is not what BM25 matched, so such documents are ranked
// by their vectors only and the response says so.
func (e *Engine) currentKeywordHits(ctx context.Context, collection string, hits []KeywordHit) ([]KeywordHit, []string, error) {
	version := map[string]string{}
	var stale []string
	kept := hits[:0]
	for _, h := range hits {
		want, ok := version[h.DocID]
		if !ok {
			d, err := e.store.Document(ctx, collection, h.DocID)
			switch {
			case errors.Is(err, ErrNotFound):
				want = "\x00absent" // no hash equals it
			case err != nil:
				return nil, nil, err
			default:
				want = d.Hash
			}
			version[h.DocID] = want
			if h.Hash != want {
				stale = append(stale, h.DocID)
			}
		}
		if h.Hash == want {
			kept = append(kept, h)
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		e.log.Warn("keyword index holds other versions of some documents than the vector store; ranking them by vectors only",
			"collection", collection, "documents", len(stale), "first", stale[0])
	}
	return kept, stale, nil
}

// complete fetches from the store the passages that only BM25 found (and,
// for MMR, every candidate's vector), and scores BM25's finds against the
// query vector qv when there is one.
func (e *Engine) complete(ctx context.Context, collection string, cands []*candidate, qv []float32, needVectors bool) error {
	var keys []vectorstore.PassageKey
	for _, c := range cands {
		if !c.found || needVectors {
			keys = append(keys, vectorstore.PassageKey{DocID: c.hit.DocID, Chunk: c.hit.Chunk})
		}
	}
	if len(keys) == 0 {
		return nil
	}
	hits, err := e.store.Lookup(ctx, collection, keys)
	if err != nil {
		return err
	}
	byKey := make(map[vectorstore.PassageKey]vectorstore.Hit, len(hits))
	for _, h := range hits {
		byKey[vectorstore.PassageKey{DocID: h.DocID, Chunk: h.Chunk}] = h
	}
	for _, c := range cands {
		h, ok := byKey[vectorstore.PassageKey{DocID: c.hit.DocID, Chunk: c.hit.Chunk}]
		if !ok {
			continue
		}
		if !c.found {
			c.hit, c.found = h, true
			if qv != nil {
				c.vscore = dot(qv, h.Vector)
			}
		}
		c.hit.Vector = h.Vector
	}
	return nil
}

// fuse sets each candidate's hybrid score.
func fuse(cands []*candidate, f Fusion) {
	w := f.VectorWeight
	if f.Method == RRF {
		for _, c := range cands {
			c.score = 0
			if c.vrank > 0 {
				c.score += w / (f.RRFK + float64(c.vrank))
			}
			if c.brank > 0 {
				c.score += (1 - w) / (f.RRFK + float64(c.brank))
			}
		}
		return
	}
	vmin, vmax, bmax := 0.0, 0.0, 0.0
	for i, c := range cands {
		if i == 0 || c.vscore < vmin {
			vmin = c.vscore
		}
		if i == 0 || c.vscore > vmax {
			vmax = c.vscore
		}
		bmax = max(bmax, c.bscore)
	}
	for _, c := range cands {
		// Candidates that all score the same on vectors (one candidate,
		// say) are all the best by that half: the top stays near 1.
		nv, nb := 1.0, 0.0
		if vmax > vmin {
			nv = (c.vscore - vmin) / (vmax - vmin)
		}
		if bmax > 0 {
			nb = c.bscore / bmax
		}
		c.score = w*nv + (1-w)*nb
	}
}

// rerank picks the final k from the ranked candidates: by maximal marginal
// relevance when asked, and at most MaxPerDoc passages per document.
func (e *Engine) rerank(ctx context.Context, cands []*candidate, q Query) []*candidate {
	if !q.KeepDuplicates {
		cands = foldDuplicates(cands)
	}
	perDoc := map[string]int{}
	ok := func(c *candidate) bool { return q.MaxPerDoc <= 0 || perDoc[c.hit.DocID] < q.MaxPerDoc }
	var out []*candidate
	if q.MMR <= 0 || q.MMR >= 1 {
		for _, c := range cands {
			if len(out) == q.K {
				break
			}
			if ok(c) {
				out = append(out, c)
				perDoc[c.hit.DocID]++
			}
		}
		return out
	}
	// Relevance scaled by the best score so that it is comparable with the
	// cosine similarity between passages (fused scores are 0..1 already).
	hi := 0.0
	for _, c := range cands {
		hi = max(hi, c.score)
	}
	rel := func(c *candidate) float64 {
		if hi <= 0 {
			return 0
		}
		return c.score / hi
	}
	// maxSim[i] is candidate i's highest similarity to a passage already
	// chosen, updated against each new pick only: O(k·n) dot products.
	left := slices.Clone(cands)
	maxSim := make([]float64, len(left))
	for len(out) < q.K && len(left) > 0 && ctx.Err() == nil {
		best, bestVal := -1, 0.0
		for i, c := range left {
			if !ok(c) {
				continue
			}
			if v := q.MMR*rel(c) - (1-q.MMR)*maxSim[i]; best < 0 || v > bestVal {
				best, bestVal = i, v
			}
		}
		if best < 0 {
			break
		}
		pick := left[best]
		out = append(out, pick)
		perDoc[pick.hit.DocID]++
		left = slices.Delete(left, best, best+1)
		maxSim = slices.Delete(maxSim, best, best+1)
		for i, c := range left {
			maxSim[i] = max(maxSim[i], dot(c.hit.Vector, pick.hit.Vector))
		}
	}
	return out
}

// foldDuplicates keeps the best of the candidates that have the same
// text (whitespace aside), recording the others in its dups: identical
// articles under two names would otherwise fill the results twice.
func foldDuplicates(cands []*candidate) []*candidate {
	first := map[string]*candidate{}
	out := make([]*candidate, 0, len(cands))
	for _, c := range cands {
		key := strings.Join(strings.Fields(c.hit.Text), " ")
		if key == "" { // a passage not fetched: nothing to compare
			out = append(out, c)
			continue
		}
		if f, ok := first[key]; ok {
			f.dups = append(f.dups, c)
			continue
		}
		first[key] = c
		c.dups = nil
		out = append(out, c)
	}
	return out
}

// dot is the cosine of two unit vectors; 0 when either is missing.
func dot(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
