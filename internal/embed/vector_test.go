package embed

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	tests := []struct {
		name    string
		in      []float32
		want    []float32
		wantErr error
	}{
		{"scales", []float32{3, 4}, []float32{0.6, 0.8}, nil},
		{"unit stays", []float32{0, 1}, []float32{0, 1}, nil},
		{"zero stays zero", []float32{0, 0, 0}, []float32{0, 0, 0}, nil},
		{"empty", []float32{}, []float32{}, nil},
		{"float32 underflow", []float32{1e-30, 0}, []float32{1, 0}, nil},
		{"float32 overflow", []float32{3e38, 3e38}, []float32{float32(1 / math.Sqrt2), float32(1 / math.Sqrt2)}, nil},
		{"NaN", []float32{nan, 1}, nil, errNonFinite},
		{"Inf", []float32{1, inf}, nil, errNonFinite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slices.Clone(tt.in)
			err := normalize(v)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !slices.Equal(v, tt.want) {
				t.Errorf("normalize(%v) = %v, want %v", tt.in, v, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range []float64{250, 500, 1000, 2000, 4000, 4000} {
		for range 100 {
			got := float64(backoff(backoffBase, attempt).Milliseconds())
			if got < 0.75*want-1 || got > 1.25*want+1 {
				t.Fatalf("backoff(attempt %d) = %vms, want %vms ±25%%", attempt, got, want)
			}
		}
	}
}
