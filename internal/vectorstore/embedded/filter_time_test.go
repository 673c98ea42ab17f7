package embedded

import (
	"context"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestFilterNeverSlower: a filter that keeps half or more of a large
// collection costs no more than the unfiltered query: the best wall time
// of many runs, taken in turn, with a margin for a busy machine. On
// 5f71bf9 each query evaluated the filter for every document in one
// goroutine before scanning: 1.1x to 2x the unfiltered time, 2.7x for the
// list field, whose value is parsed per document.
func TestFilterNeverSlower(t *testing.T) {
	if testing.Short() {
		t.Skip("times 100k x 768 queries")
	}
	c := memCollection(randomUnit(100_000, 768, 1), 8)
	ctx := context.Background()
	qs := randomUnit(25, 768, 2)
	filters := []vectorstore.Filter{
		{},
		{Meta: map[string]string{"half": "yes"}},
		{Meta: map[string]string{"tags": "even"}}, // a list field: parsed per document
		{DocPrefix: "doc-"},                       // keeps everything
	}
	best := make([]time.Duration, len(filters))
	for i, q := range qs {
		for j, f := range filters {
			start := time.Now()
			if _, err := c.search(ctx, q, 10, f); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); i == 0 || d < best[j] {
				best[j] = d
			}
		}
	}
	for j, f := range filters[1:] {
		got := best[j+1]
		t.Logf("filter %+v: best %v, unfiltered %v", f, got, best[0])
		if float64(got) > 1.2*float64(best[0]) {
			t.Errorf("filter %+v: best %v, unfiltered best %v: a broad filter must cost what an unfiltered scan costs", f, got, best[0])
		}
	}
}
