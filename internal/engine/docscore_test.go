package engine

import (
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

func TestDocBoost(t *testing.T) {
	mk := func(doc string, score float64) *candidate {
		return &candidate{hit: vectorstore.Hit{DocID: doc}, score: score}
	}
	a1, a2, a3, b1 := mk("a", 0.8), mk("a", 0.6), mk("a", 0.4), mk("b", 0.9)
	cands := []*candidate{b1, a1, a2, a3}
	docBoost(cands, 0.5)
	// a1 gets 0.5·(0.6 + 0.4/2), a2 0.5·(0.8 + 0.4/2), a3 0.5·(0.8 + 0.6/2); b alone gets nothing.
	want := map[*candidate]float64{a1: 1.2, a2: 1.1, a3: 0.95, b1: 0.9}
	for c, w := range want {
		if d := c.score - w; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s %.2f: got %.4f, want %.4f", c.hit.DocID, w, c.score, w)
		}
	}
	if !(a1.score > a2.score && a2.score > a3.score) {
		t.Error("the order of a document's passages changed")
	}
	before := []float64{b1.score, a1.score}
	docBoost(cands, 0)
	if b1.score != before[0] || a1.score != before[1] {
		t.Error("weight 0 changed scores")
	}
}
