package engine_test

import (
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

// A question the model embeds to zeros (bagEmbedder ignores words under 3
// letters, as a word-vector model ignores words it does not know) gets a
// warning saying so and what to do, not an unexplained empty answer.
func TestSearch_ZeroQueryWarns(t *testing.T) {
	eng, _ := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		warns bool
	}{
		{"a b", true},
		{"breakfast fruit", false},
	}
	for _, tt := range tests {
		resp, err := eng.Search(ctx, "news", engine.Query{Text: tt.query, K: 3, Mode: engine.Vector})
		if err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(strings.Join(resp.Warnings, "\n"), "knows none of the words")
		if warned != tt.warns {
			t.Errorf("%q: warnings %q, want a zero-embedding warning: %v", tt.query, resp.Warnings, tt.warns)
		}
		if warned && (!strings.Contains(resp.Warnings[0], "bm25") || !strings.Contains(resp.Warnings[0], "multilingual")) {
			t.Errorf("%q: the warning does not say what to do: %q", tt.query, resp.Warnings[0])
		}
	}
}

// A dry run says per article what the run would do.
func TestIndex_DryRunResults(t *testing.T) {
	eng, _ := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := t.Context()
	arts := corpus()
	if _, err := eng.Index(ctx, "news", arts[:2], engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := []article.Article{arts[0], arts[1], arts[2]}
	changed[1].Text += "\n\nPears too."
	st, err := eng.Index(ctx, "news", changed, engine.IndexOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.DocStatus{"comey.txt": engine.DocUnchanged, "fruit.txt": engine.DocUpdated, "sport.txt": engine.DocNew}
	for _, r := range st.Results {
		if want[r.ID] != r.Status {
			t.Errorf("%s: status %q, want %q", r.ID, r.Status, want[r.ID])
		}
	}
	if len(st.Results) != 3 {
		t.Errorf("results %+v", st.Results)
	}
}
