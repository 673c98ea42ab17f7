package glovemodel

import (
	"math"
	"sync"
)

// Embed computes what Ollama returns from /api/embed for text with this
// model: the tokens of [Model.Tokenize] through the model's network (three
// LayerNorms around the pass-through block, whose attention subtracts the
// common direction when there is one), mean-pooled and L2-normalised. A text
// with no known word gives a zero vector, as Ollama does. It is meant for
// checks against a real server and for measuring model variants without
// one; F16 rounding is not simulated.
//
// The network is folded into constants per token (see tokenRow), so a
// token costs one pass over its row instead of seven, and nothing is
// allocated per token: cmd/glovesim must answer in microseconds, or the
// indexing benchmarks that use it measure it instead of semsearch.
func (m *Model) Embed(text string) []float32 {
	m.foldOnce.Do(m.fold)
	ids := m.Tokenize(text) // never empty: [CLS] ... [SEP]
	// The attention subtracts proj·u from every token, proj = u·mean(x).
	var proj float64
	for _, id := range ids {
		proj += m.folded[id].alongU
	}
	proj /= float64(len(ids))
	// Each token then goes through two LayerNorms, which only scale its
	// centred row x̃ - proj·ũ (by c below); the pooled sum is
	// Σ c·x̃ - proj·(Σ c)·ũ.
	pooled := make([]float64, m.Dim)
	var sumC float64
	for _, id := range ids {
		r := &m.folded[id]
		v1 := (r.norm2 - 2*proj*r.dotU + proj*proj*m.uNorm2) / float64(m.Dim)
		s1 := m.lnW / math.Sqrt(max(v1, 0)+m.lnEps)
		s2 := m.lnW / math.Sqrt(s1*s1*max(v1, 0)+m.lnEps)
		c := s1 * s2
		sumC += c
		for i, x := range m.centred[id*m.Dim : (id+1)*m.Dim] {
			pooled[i] += c * float64(x)
		}
	}
	if proj != 0 {
		for i, u := range m.uCentred {
			pooled[i] -= proj * sumC * u
		}
	}
	return unit(pooled)
}

// tokenRow holds what Embed needs of one token's row x after the first
// LayerNorm: x̃ = x - mean(x) is in Model.centred, and these are its
// products with itself and with the common direction u (ũ = u - mean(u)).
type tokenRow struct {
	alongU float64 // u·x, this token's share of proj
	dotU   float64 // x̃·ũ
	norm2  float64 // x̃·x̃
}

// foldState is the per-model cache Embed builds on first use.
type foldState struct {
	foldOnce   sync.Once
	folded     []tokenRow
	centred    []float32 // x̃ of every token, Dim values each
	uCentred   []float64 // ũ; nil without a common direction
	uNorm2     float64   // ũ·ũ
	lnEps, lnW float64   // LayerNorm's epsilon and weight
}

// fold computes every token's row after the first LayerNorm, once.
func (m *Model) fold() {
	m.lnEps, m.lnW = layerNormEps, 1.0
	if m.Linear {
		m.lnEps, m.lnW = LinearEps, math.Sqrt(LinearEps)
	}
	if m.Common != nil {
		var mu float64
		for _, u := range m.Common {
			mu += float64(u)
		}
		mu /= float64(m.Dim)
		m.uCentred = make([]float64, m.Dim)
		for i, u := range m.Common {
			m.uCentred[i] = float64(u) - mu
			m.uNorm2 += m.uCentred[i] * m.uCentred[i]
		}
	}
	n := len(m.Embeddings) / m.Dim
	m.folded = make([]tokenRow, n)
	m.centred = make([]float32, len(m.Embeddings))
	x := make([]float64, m.Dim)
	for id := range n {
		for i, v := range m.Embeddings[id*m.Dim : (id+1)*m.Dim] {
			x[i] = float64(v)
		}
		layerNorm(x, m.lnEps, m.lnW)
		var mean float64
		for _, v := range x {
			mean += v
		}
		mean /= float64(m.Dim)
		r := &m.folded[id]
		for i, v := range x {
			if m.Common != nil {
				r.alongU += float64(m.Common[i]) * v
				r.dotU += m.uCentred[i] * (v - mean)
			}
			r.norm2 += (v - mean) * (v - mean)
			m.centred[id*m.Dim+i] = float32(v - mean)
		}
	}
}

// unit returns v scaled to unit length as float32, or zeros for a zero v.
func unit(v []float64) []float32 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	out := make([]float32, len(v))
	if n == 0 {
		return out
	}
	n = math.Sqrt(n)
	for i, x := range v {
		out[i] = float32(x / n)
	}
	return out
}

// layerNorm is LayerNorm with weight w and bias 0, in place.
func layerNorm(x []float64, eps, w float64) {
	var mean, sq float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	s := w / math.Sqrt(sq/float64(len(x))+eps)
	for i, v := range x {
		x[i] = (v - mean) * s
	}
}
