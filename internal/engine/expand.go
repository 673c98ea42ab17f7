package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Feedback configures pseudo-relevance feedback: the best passages of a
// first retrieval run are taken as relevant and the query is expanded from
// them for a second run. The vector half moves the query vector towards
// their centroid (Rocchio); the BM25 half adds the words that are frequent
// in them and rare among the other candidates (RM3 with the candidates as
// background, as the keyword index exposes no collection statistics),
// weighted below the query's own words.
type Feedback struct {
	// Passages is how many of the first run's best passages are taken as
	// relevant; 0 switches feedback off.
	Passages int `json:"passages,omitempty"`
	// Terms is how many expansion words the BM25 query gets.
	Terms int `json:"terms,omitempty"`
	// TermWeight is an expansion word's weight relative to a query word,
	// (0, 1]; it is rounded to 1/n (the query's words are repeated n times).
	TermWeight float64 `json:"term_weight,omitempty"`
	// VectorWeight is the centroid's share of the new query vector, [0, 1).
	VectorWeight float64 `json:"vector_weight,omitempty"`
}

// maxFeedback bounds Feedback.Passages and Feedback.Terms.
const maxFeedback = 100

func (fb Feedback) on() bool { return fb.Passages > 0 }

// Validate reports whether fb can be used.
func (fb Feedback) Validate() error {
	switch {
	case fb.Passages < 0 || fb.Passages > maxFeedback:
		return fmt.Errorf("feedback passages must be between 0 and %d, got %d", maxFeedback, fb.Passages)
	case fb.Terms < 0 || fb.Terms > maxFeedback:
		return fmt.Errorf("feedback terms must be between 0 and %d, got %d", maxFeedback, fb.Terms)
	// Written so that NaN fails too.
	case fb.Terms > 0 && !(fb.TermWeight > 0 && fb.TermWeight <= 1):
		return fmt.Errorf("feedback term weight must be in (0, 1], got %g", fb.TermWeight)
	case !(fb.VectorWeight >= 0 && fb.VectorWeight < 1):
		return fmt.Errorf("feedback vector weight must be in [0, 1), got %g", fb.VectorWeight)
	}
	return nil
}

// expand returns the second run's query text and vector from the first
// run's candidates, best first.
func (e *Engine) expand(ctx context.Context, collection, text string, qv []float32, cands []*candidate, mode Mode, fb Feedback) (string, []float32, error) {
	top := cands[:min(fb.Passages, len(cands))]
	if mode != BM25 && qv != nil && fb.VectorWeight > 0 {
		keys := make([]vectorstore.PassageKey, len(top))
		for i, c := range top {
			keys[i] = vectorstore.PassageKey{DocID: c.hit.DocID, Chunk: c.hit.Chunk}
		}
		hits, err := e.store.Lookup(ctx, collection, keys)
		if err != nil {
			return "", nil, err
		}
		vecs := make([][]float32, len(hits))
		for i, h := range hits {
			vecs[i] = h.Vector
		}
		qv = rocchio(qv, vecs, fb.VectorWeight)
	}
	if mode != Vector && fb.Terms > 0 {
		texts := make([]string, len(cands))
		for i, c := range cands {
			texts[i] = c.hit.Text
		}
		text = withWords(text, expansionWords(text, texts, len(top), fb.Terms), fb.TermWeight)
	}
	return text, qv, nil
}

// rocchio returns the unit vector (1-w)·q + w·c, where c is the unit
// centroid of vecs; q when there is nothing to add.
func rocchio(q []float32, vecs [][]float32, w float64) []float32 {
	c := make([]float64, len(q))
	for _, v := range vecs {
		if len(v) != len(q) {
			continue
		}
		for i, x := range v {
			c[i] += float64(x)
		}
	}
	cn := norm64(c)
	if cn == 0 {
		return q
	}
	out := make([]float64, len(q))
	for i := range q {
		out[i] = (1-w)*float64(q[i]) + w*c[i]/cn
	}
	on := norm64(out)
	if on == 0 {
		return q
	}
	res := make([]float32, len(q))
	for i, x := range out {
		res[i] = float32(x / on)
	}
	return res
}

func norm64(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// expansionWords picks up to n words to add to query: the words of the first
// fb passages of texts (best first), scored by their mean relative frequency
// there times their inverse document frequency among all of texts, leaving
// out stopwords, short words, numbers and the query's own words.
func expansionWords(query string, texts []string, fb, n int) []string {
	stop := stopwords()
	inQuery := map[string]bool{}
	for _, w := range words(query) {
		inQuery[w] = true
	}
	df := map[string]int{}
	weight := map[string]float64{}
	for i, t := range texts {
		ws := words(t)
		seen := map[string]bool{}
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				df[w]++
			}
			if i < fb {
				weight[w] += 1 / float64(len(ws)*fb)
			}
		}
	}
	type scored struct {
		w string
		s float64
	}
	var list []scored
	for w, p := range weight {
		if inQuery[w] || stop[w] || len(w) < 3 {
			continue
		}
		idf := math.Log(float64(len(texts)+1) / (float64(df[w]) + 0.5))
		if idf <= 0 {
			continue
		}
		list = append(list, scored{w, p * idf})
	}
	slices.SortFunc(list, func(a, b scored) int { return cmp.Or(cmp.Compare(b.s, a.s), cmp.Compare(a.w, b.w)) })
	out := make([]string, 0, n)
	for _, x := range list[:min(n, len(list))] {
		out = append(out, x.w)
	}
	return out
}

// words splits text into lower-case words of letters (digits and other
// characters separate them).
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
}

// stopwords returns common English function words, which never make good
// expansion words. The set is built once and only read.
var stopwords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further had has
		have having he her here hers herself him himself his how i if in into is it its itself just me more most my
		myself no nor not now of off on once only or other our ours ourselves out over own said same she should so
		some such than that the their theirs them themselves then there these they this those through to too under
		until up very was we were what when where which while who whom why will with would you your yours yourself
		yourselves it's he's she's that's there's they're we're i'm don't doesn't didn't isn't wasn't can't won't
		one two three four five six seven eight nine ten new says say year years mr mrs ms last first told
		many much may might must make made like well even back still get got going way since another however`) {
		m[w] = true
	}
	return m
})
