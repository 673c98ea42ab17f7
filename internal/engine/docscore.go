package engine

import (
	"cmp"
	"slices"
)

// docBoost adds to every candidate a share of the scores of the other
// candidates from its document: w times the sum of their scores, the
// document's k-th best other passage counting 1/2^(k-1). A document that
// matches in several passages then ranks above one that matches in a single
// passage equally well, and the order of one document's passages is kept.
// w <= 0 leaves the scores as they are.
func docBoost(cands []*candidate, w float64) {
	if w <= 0 {
		return
	}
	byDoc := map[string][]*candidate{}
	for _, c := range cands {
		byDoc[c.hit.DocID] = append(byDoc[c.hit.DocID], c)
	}
	bonus := make(map[*candidate]float64, len(cands))
	for _, cs := range byDoc {
		if len(cs) < 2 {
			continue
		}
		slices.SortStableFunc(cs, func(a, b *candidate) int { return cmp.Compare(b.score, a.score) })
		for _, c := range cs {
			var sum, decay float64 = 0, 1
			for _, o := range cs {
				if o == c {
					continue
				}
				sum += decay * o.score
				decay /= 2
			}
			bonus[c] = w * sum
		}
	}
	for c, b := range bonus {
		c.score += b
	}
}
