package bm25

import (
	"slices"
	"testing"
)

func TestTerms(t *testing.T) {
	got, err := Terms(AnalyzerEnglish, "The FBI director's firing: Lavrov joked")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fbi", "director", "fire", "lavrov", "joke"}; !slices.Equal(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	if _, err := Terms("nope", "x"); err == nil {
		t.Error("unknown analyzer accepted")
	}
}
