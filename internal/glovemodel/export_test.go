package glovemodel

import "math"

// NetworkEmbed computes an embedding the long way, step by step through the
// network Ollama runs (three LayerNorms around the pass-through block, whose
// attention subtracts the common direction), as the tests' reference for
// [Model.Embed], which folds those steps into per-token constants.
func NetworkEmbed(m *Model, text string) []float32 {
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
