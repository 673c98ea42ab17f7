package embed

import (
	"fmt"
	"math"
)

// layerNormFamily is the model family whose card applies a layer norm to
// the full vector before cutting it (nomic-embed-text v1.5:
// https://huggingface.co/nomic-ai/nomic-embed-text-v1.5, "Adjusting
// Dimensionality"). Its vectors are cut by the client, which does that,
// rather than by the server, which does not.
const layerNormFamily = "nomic-embed-text"

// fitDims cuts a vector to the asked [Config.Dimensions] when the server
// returned it whole (Ollama before 0.11.11 ignores the field), applying
// the layer norm first for nomic-embed-text; normalize follows. Without
// asked dimensions it returns v unchanged.
func (c *Client) fitDims(v []float32) ([]float32, error) {
	if c.dims == 0 {
		return v, nil
	}
	if len(v) < c.dims {
		return nil, &detailedError{kind: ErrDimensions, msg: fmt.Sprintf(
			"the server returned %d dimensions, fewer than the %d asked for (--dimensions): model %q does not have that many; ask for %d or fewer",
			len(v), c.dims, c.model, len(v))}
	}
	if c.layerNorm {
		layerNorm(v)
	}
	return v[:c.dims], nil
}

// layerNorm standardises v in place to mean 0 and variance 1, without
// weights or the usual epsilon: the server normalises its vectors first,
// and without the epsilon the result does not depend on that scale.
func layerNorm(v []float32) {
	var mean, sq float64
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		d := float64(x) - mean
		sq += d * d
	}
	std := math.Sqrt(sq / float64(len(v)))
	if std == 0 {
		return
	}
	for i, x := range v {
		v[i] = float32((float64(x) - mean) / std)
	}
}
