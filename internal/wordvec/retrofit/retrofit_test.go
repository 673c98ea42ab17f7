package retrofit

import (
	"context"
	"math"
	"testing"

	"github.com/semsearch/semsearch/internal/wordvec"
)

func vectors() *wordvec.Vectors {
	return &wordvec.Vectors{Dim: 2, Words: []string{"a", "b", "c"}, Data: []float32{
		1, 0, // a
		0, 1, // b
		3, 3, // c
	}}
}

// pair relates a and b (and names a word the vocabulary lacks).
func pair(w string) []string {
	switch w {
	case "a":
		return []string{"b", "zz"}
	case "b":
		return []string{"a", "b"} // a word related to itself is ignored
	}
	return nil
}

func TestApply_ConvergesToTheFixedPoint(t *testing.T) {
	tests := []struct {
		alpha float64
		// With q_a = (α·â + q_b)/(α+1) and q_b = (α·b̂ + q_a)/(α+1), the
		// fixed point is q_a = ((α+1)·â + b̂)/(α+2), and q_b symmetrically.
		wantA, wantB [2]float64
	}{
		{alpha: 0, wantA: [2]float64{2.0 / 3, 1.0 / 3}, wantB: [2]float64{1.0 / 3, 2.0 / 3}}, // 0 means 1
		{alpha: 1, wantA: [2]float64{2.0 / 3, 1.0 / 3}, wantB: [2]float64{1.0 / 3, 2.0 / 3}},
		{alpha: 9, wantA: [2]float64{10.0 / 11, 1.0 / 11}, wantB: [2]float64{1.0 / 11, 10.0 / 11}},
	}
	for _, tt := range tests {
		v := vectors()
		st, err := Apply(context.Background(), v, pair, Options{Alpha: tt.alpha, Iterations: 30})
		if err != nil {
			t.Fatal(err)
		}
		if st.Words != 2 || st.Links != 2 {
			t.Errorf("alpha %g: stats %+v, want 2 words, 2 links", tt.alpha, st)
		}
		for i, want := range [][2]float64{tt.wantA, tt.wantB, {3, 3}} {
			for c := range 2 {
				if got := float64(v.Row(i)[c]); math.Abs(got-want[c]) > 1e-6 {
					t.Errorf("alpha %g: %s = %v, want %v", tt.alpha, v.Words[i], v.Row(i), want)
					break
				}
			}
		}
	}
}

func TestApply_DefaultIterationsMoveTowardsNeighbours(t *testing.T) {
	v := vectors()
	if _, err := Apply(context.Background(), v, pair, Options{}); err != nil {
		t.Fatal(err)
	}
	// Ten passes are close to the fixed point but not necessarily on it.
	if a := v.Row(0); math.Abs(float64(a[0])-2.0/3) > 1e-3 || math.Abs(float64(a[1])-1.0/3) > 1e-3 {
		t.Errorf("a = %v after the default iterations, want about (2/3, 1/3)", a)
	}
}

func TestApply_Errors(t *testing.T) {
	for _, opt := range []Options{{Iterations: -1}, {Alpha: -1}, {Alpha: math.NaN()}} {
		if _, err := Apply(context.Background(), vectors(), pair, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Apply(ctx, vectors(), pair, Options{}); err == nil {
		t.Error("cancelled context: no error")
	}
}
