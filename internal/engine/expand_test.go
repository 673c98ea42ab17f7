package engine

import (
	"math"
	"slices"
	"testing"
)

func TestExpansionWords(t *testing.T) {
	texts := []string{
		"The striker scored a penalty; the penalty decided the derby.",
		"A late penalty and a red card: the derby ended in anger.",
		"The government said the budget would rise.",
		"The budget and the derby were on the news.",
		"Weather: rain in the north, the penalty of living there.",
	}
	got := expansionWords("Who won the derby?", texts, 2, 3)
	// "penalty" is in both feedback passages (and in one of the other three),
	// "derby" is the query's own word, "the" a stopword.
	if len(got) != 3 || got[0] != "penalty" {
		t.Fatalf("expansionWords = %v, want 3 words starting with penalty", got)
	}
	for _, w := range got {
		if w == "derby" || w == "the" || w == "a" {
			t.Errorf("expansion word %q is a query word or a stopword", w)
		}
	}
	if got := expansionWords("anything", texts, 2, 0); len(got) != 0 {
		t.Errorf("n = 0: got %v", got)
	}
	if got := expansionWords("anything", nil, 2, 5); len(got) != 0 {
		t.Errorf("no texts: got %v", got)
	}
}

func TestRocchio(t *testing.T) {
	q := []float32{1, 0, 0}
	vecs := [][]float32{{0, 1, 0}, {0, 1, 0}, {0, 0, 0}, {1}}
	got := rocchio(q, vecs, 0.5)
	want := []float64{math.Sqrt(0.5), math.Sqrt(0.5), 0}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("rocchio = %v, want %v", got, want)
		}
	}
	if got := rocchio(q, [][]float32{{0, 0, 0}}, 0.5); !slices.Equal(got, q) {
		t.Errorf("zero centroid: got %v, want the query", got)
	}
}

func TestFeedback_Validate(t *testing.T) {
	tests := []struct {
		fb      Feedback
		wantErr bool
	}{
		{Feedback{}, false},
		{Feedback{Passages: 5, Terms: 3, TermWeight: 0.2, VectorWeight: 0.3}, false},
		{Feedback{Passages: 5, VectorWeight: 0.3}, false},
		{Feedback{Passages: -1}, true},
		{Feedback{Passages: 101}, true},
		{Feedback{Passages: 5, Terms: 3}, true}, // no term weight
		{Feedback{Passages: 5, Terms: 3, TermWeight: 1.5}, true},
		{Feedback{Passages: 5, VectorWeight: 1}, true},
	}
	for _, tt := range tests {
		if err := tt.fb.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%+v: Validate() = %v, want error %v", tt.fb, err, tt.wantErr)
		}
	}
}
