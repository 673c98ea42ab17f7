package engine

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// WordNeighbours finds words whose meaning is near a query word's, for
// [WordExpansion]; word vectors (GloVe) make one.
type WordNeighbours interface {
	// Neighbours returns up to n words nearest to word (lower case), most
	// similar first, with their similarity; none for a word it does not
	// know. The slice is the caller's.
	Neighbours(ctx context.Context, word string, n int) ([]Neighbour, error)
}

// Neighbour is a word near another, with the cosine similarity of their
// word vectors, in [-1, 1].
type Neighbour struct {
	Word       string
	Similarity float64
}

// WordExpansion configures query expansion for the BM25 half from word
// neighbours: each content word of the query brings up to Terms of its
// nearest words (by [Config.Neighbours]) that are at least MinSimilarity
// similar to it, and the BM25 query gets them weighted below its own words,
// so a question about "junk-mail" also matches passages about "spam". The
// vector half is unchanged: word vectors already place neighbours together.
// Weights are made by repeating the query's own words, which both
// internal/bm25 and Weaviate's BM25 (a [FilteringKeywordIndex]) read as
// weight.
type WordExpansion struct {
	// Terms is how many neighbours each query word may bring; 0 switches
	// expansion off.
	Terms int `json:"terms,omitempty"`
	// Weight is a neighbour's weight relative to a query word, (0, 1]; it
	// is rounded to 1/n (the query's words are repeated n times).
	Weight float64 `json:"weight,omitempty"`
	// MinSimilarity is the lowest cosine similarity a neighbour may have to
	// its query word, [0, 1).
	MinSimilarity float64 `json:"min_similarity,omitempty"`
	// Within, when positive, keeps only the neighbours that occur in one of
	// the Within best passages of a first run without them (whose query
	// vector the second run reuses), so that neighbours of a word in
	// another sense ("debit" for the card of a red card) are left out; 0
	// keeps them all.
	Within int `json:"within,omitempty"`
}

// maxExpansionTerms bounds WordExpansion.Terms.
const maxExpansionTerms = 20

func (x WordExpansion) on() bool { return x.Terms > 0 }

// Validate reports whether x can be used.
func (x WordExpansion) Validate() error {
	switch {
	case x.Terms < 0 || x.Terms > maxExpansionTerms:
		return fmt.Errorf("expansion terms must be between 0 and %d, got %d", maxExpansionTerms, x.Terms)
	// Written so that NaN fails too.
	case x.Terms > 0 && !(x.Weight > 0 && x.Weight <= 1):
		return fmt.Errorf("expansion weight must be in (0, 1], got %g", x.Weight)
	case !(x.MinSimilarity >= 0 && x.MinSimilarity < 1):
		return fmt.Errorf("expansion minimum similarity must be in [0, 1), got %g", x.MinSimilarity)
	case x.Within < 0 || x.Within > MaxK:
		return fmt.Errorf("expansion within must be between 0 and %d, got %d", MaxK, x.Within)
	}
	return nil
}

// neighbourWords returns the expansion words for query: for each distinct
// content word (no stopwords, at least 3 letters), up to x.Terms neighbours
// that are content words themselves, at least x.MinSimilarity similar, and
// not the same keyword term as a query word or an earlier expansion word
// (with [Config.KeywordTerms]; "fired" and "firing" are one term), in query
// order, most similar first.
func (e *Engine) neighbourWords(ctx context.Context, query string, x WordExpansion) ([]string, error) {
	if !x.on() {
		return nil, nil
	}
	stop := stopwords()
	content := func(w string) bool { return len(w) >= 3 && !stop[w] }
	term := func(w string) (string, error) {
		ts, err := e.terms(w)
		if err != nil || len(ts) != 1 {
			return "", err // several terms (or none): not one word to the index
		}
		return ts[0], nil
	}
	seen := map[string]bool{} // keyword terms in the query or added
	asked := map[string]bool{}
	var qwords []string
	for _, w := range words(query) {
		t, err := term(w)
		if err != nil {
			return nil, fmt.Errorf("expand query: %w", err)
		}
		if t != "" {
			seen[t] = true
		}
		if content(w) && !asked[w] {
			asked[w] = true
			qwords = append(qwords, w)
		}
	}
	var out []string
	for _, w := range qwords {
		// Ask for more than needed: some are stopwords or forms of words
		// already there.
		ns, err := e.cfg.Neighbours.Neighbours(ctx, w, 3*x.Terms+5)
		if err != nil {
			return nil, fmt.Errorf("expand query word %q: %w", w, err)
		}
		added := 0
		for _, n := range ns {
			if added == x.Terms || n.Similarity < x.MinSimilarity {
				break
			}
			nw := strings.ToLower(n.Word)
			if ws := words(nw); len(ws) != 1 || ws[0] != nw || !content(nw) {
				continue
			}
			t, err := term(nw)
			if err != nil {
				return nil, fmt.Errorf("expand query: %w", err)
			}
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, nw)
			added++
		}
	}
	return out, nil
}

// expansion returns the word neighbours the BM25 query of q gets. When
// they must occur among the best passages (WordExpansion.Within), it runs
// the query once without them and also returns that run's query vector
// (nil in bm25 mode) and the documents it left out as stale.
func (e *Engine) expansion(ctx context.Context, collection string, q Query, mode Mode, f Fusion) ([]string, []float32, []string, error) {
	extra, err := e.neighbourWords(ctx, q.Text, f.Expand)
	if err != nil || f.Expand.Within == 0 || len(extra) == 0 {
		return extra, nil, nil, err
	}
	first := q
	first.K = max(q.K, f.Expand.Within) // bm25 mode ranks only K candidates
	cands, qv, stale, err := e.rank(ctx, collection, first, q.Text, q.Text, nil, mode, f)
	if err != nil {
		return nil, nil, nil, err
	}
	texts := make([]string, 0, f.Expand.Within)
	for _, c := range cands[:min(f.Expand.Within, len(cands))] {
		texts = append(texts, c.hit.Title+"\n"+c.hit.Text)
	}
	extra, err = e.occurring(extra, texts)
	return extra, qv, stale, err
}

// terms returns text's keyword terms ([Config.KeywordTerms]), or else its
// lower-case words.
func (e *Engine) terms(text string) ([]string, error) {
	if e.cfg.KeywordTerms == nil {
		return words(text), nil
	}
	return e.cfg.KeywordTerms(text)
}

// occurring returns the words that occur in one of texts, compared as
// keyword terms.
func (e *Engine) occurring(ws, texts []string) ([]string, error) {
	have := map[string]bool{}
	for _, t := range texts {
		ts, err := e.terms(t)
		if err != nil {
			return nil, fmt.Errorf("expand query: %w", err)
		}
		for _, x := range ts {
			have[x] = true
		}
	}
	var out []string
	for _, w := range ws {
		ts, err := e.terms(w)
		if err != nil {
			return nil, fmt.Errorf("expand query: %w", err)
		}
		if len(ts) == 1 && have[ts[0]] {
			out = append(out, w)
		}
	}
	return out, nil
}

// withWords returns the BM25 query text with extra words weighted w
// relative to text's own: text repeated round(1/w) times, then the words.
func withWords(text string, extra []string, w float64) string {
	if len(extra) == 0 {
		return text
	}
	n := max(1, int(math.Round(1/w)))
	var b strings.Builder
	for range n {
		b.WriteString(text)
		b.WriteByte('\n')
	}
	b.WriteString(strings.Join(extra, " "))
	return b.String()
}
