package glovemodel

import "math"

// Embed computes what Ollama returns from /api/embed for text with this
// model: the tokens of [Model.Tokenize] through the model's network (three
// LayerNorms around the pass-through block, whose attention subtracts the
// common direction when there is one), mean-pooled and L2-normalised. A text
// with no known word gives a zero vector, as Ollama does. It is meant for
// checks against a real server and for measuring model variants without
// one; F16 rounding is not simulated.
func (m *Model) Embed(text string) []float32 {
	eps, w := layerNormEps, 1.0
	if m.Linear {
		eps, w = LinearEps, math.Sqrt(LinearEps)
	}
	ids := m.Tokenize(text)
	xs := make([][]float64, len(ids))
	mean := make([]float64, m.Dim)
	for t, id := range ids {
		x := make([]float64, m.Dim)
		for i, v := range m.Embeddings[id*m.Dim : (id+1)*m.Dim] {
			x[i] = float64(v)
		}
		layerNorm(x, eps, w)
		xs[t] = x
		for i, v := range x {
			mean[i] += v / float64(len(ids))
		}
	}
	// Attention output, the same for every token: -u·uᵀ·mean.
	var proj float64
	for i, u := range m.Common {
		proj += float64(u) * mean[i]
	}
	pooled := make([]float64, m.Dim)
	for _, x := range xs {
		for i, u := range m.Common {
			x[i] -= float64(u) * proj
		}
		layerNorm(x, eps, w) // attn_output_norm
		layerNorm(x, eps, w) // layer_output_norm (the feed-forward adds 0)
		for i, v := range x {
			pooled[i] += v
		}
	}
	return unit(pooled)
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
