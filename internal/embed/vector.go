package embed

import (
	"errors"
	"math"
)

var errNonFinite = errors.New("embedding contains NaN or Inf")

// normalize scales v in place to unit L2 length, summing in float64. A zero
// vector stays zero; a vector with NaN or Inf is an error.
func normalize(v []float32) error {
	var sum float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return errNonFinite
		}
		sum += f * f
	}
	if sum == 0 {
		return nil
	}
	norm := math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) / norm)
	}
	return nil
}
