// Package retrofit pulls word vectors towards the vectors of the words a
// lexicon relates them to (Faruqui et al., "Retrofitting Word Vectors to
// Semantic Lexicons", NAACL 2015).
//
// Distributional vectors such as GloVe place a word near the words it
// occurs with, which puts "spam" near "e-mail" but not necessarily near
// "junk", and opposites such as "rise" and "fall" close together. Retrofitting
// minimises, over the new vectors q,
//
//	Σ_i α·|q_i - q̂_i|² + Σ_(i,j) β_ij·|q_i - q_j|²
//
// where q̂ are the original vectors and (i,j) runs over the lexicon's
// related pairs, with β_ij = 1/degree(i). Each iteration sets every word with
// related words to
//
//	q_i = (α·q̂_i + mean of q_j over its related words) / (α + 1)
//
// in place (later words see the earlier words' new vectors); ten iterations
// converge. Words without related words in the vocabulary keep their vectors.
package retrofit

import (
	"context"
	"fmt"

	"github.com/semsearch/semsearch/internal/wordvec"
)

// DefaultIterations is the paper's number of iterations.
const DefaultIterations = 10

// Options control [Apply].
type Options struct {
	// Iterations is the number of passes over the vocabulary; 0 means
	// [DefaultIterations].
	Iterations int
	// Alpha weighs a word's original vector against the mean of its related
	// words' vectors; 0 means 1, the paper's choice (each new vector halfway
	// between the two). Larger values keep the vectors closer to the
	// original ones.
	Alpha float64
}

// Stats describes what [Apply] changed.
type Stats struct {
	// Words is the number of vectors moved: words of the vocabulary with at
	// least one related word in the vocabulary.
	Words int
	// Links is the number of (directed) related pairs within the
	// vocabulary.
	Links int
}

// Apply retrofits v in place. related returns the words related to a word
// of v's vocabulary (as v spells it); it may return words that v lacks.
func Apply(ctx context.Context, v *wordvec.Vectors, related func(word string) []string, opt Options) (Stats, error) {
	if opt.Iterations < 0 || opt.Alpha < 0 || opt.Alpha != opt.Alpha {
		return Stats{}, fmt.Errorf("retrofit: iterations %d and alpha %g must not be negative", opt.Iterations, opt.Alpha)
	}
	iterations, alpha := opt.Iterations, opt.Alpha
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if alpha == 0 {
		alpha = 1
	}
	row := make(map[string]int32, v.Len())
	for i, w := range v.Words {
		if _, dup := row[w]; !dup {
			row[w] = int32(i)
		}
	}
	type node struct {
		row       int32
		neighbors []int32
	}
	var nodes []node
	var st Stats
	for i, w := range v.Words {
		var nb []int32
		for _, x := range related(w) {
			if j, ok := row[x]; ok && int(j) != i {
				nb = append(nb, j)
			}
		}
		if len(nb) > 0 {
			nodes = append(nodes, node{int32(i), nb})
			st.Links += len(nb)
		}
	}
	st.Words = len(nodes)
	d := v.Dim
	orig := make([]float32, len(nodes)*d)
	for k, n := range nodes {
		copy(orig[k*d:(k+1)*d], v.Row(int(n.row)))
	}
	sum := make([]float64, d)
	for range iterations {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		for k, n := range nodes {
			clear(sum)
			for _, j := range n.neighbors {
				for c, x := range v.Row(int(j)) {
					sum[c] += float64(x)
				}
			}
			inv := 1 / float64(len(n.neighbors))
			dst := v.Row(int(n.row))
			for c, o := range orig[k*d : (k+1)*d] {
				dst[c] = float32((alpha*float64(o) + sum[c]*inv) / (alpha + 1))
			}
		}
	}
	return st, nil
}
