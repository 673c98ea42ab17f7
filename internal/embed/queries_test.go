package embed_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
)

var _ engine.QueriesEmbedder = (*embed.Client)(nil)

// Several queries go in one /api/embed request, each with the query
// prefix, in order; a blank one is not sent and gets a zero vector; more
// than BatchSize go in several requests.
func TestClient_EmbedQueries(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 3 })
	in := []string{"who was fired?", " ", "bananas", "rates", "goals"}
	got, err := c.EmbedQueries(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("%d vectors for %d queries", len(got), len(in))
	}
	for i, v := range got {
		want := unit(fakeVector("search_query: "+in[i], 4))
		if strings.TrimSpace(in[i]) == "" {
			want = make([]float32, 4)
		}
		if !slices.Equal(v, want) {
			t.Errorf("vector %d (%q) = %v, want %v", i, in[i], v, want)
		}
	}
	var sent [][]string
	for _, r := range f.embedRequests() {
		sent = append(sent, r.Input)
	}
	want := [][]string{{"search_query: who was fired?", "search_query: bananas", "search_query: rates"}, {"search_query: goals"}}
	if !slices.EqualFunc(sent, want, slices.Equal) {
		t.Errorf("requests %q, want %q", sent, want)
	}
}
