package engine_test

import (
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

// TestEngine_MoveKeepsVectors: an article removed in a run (Remove or
// Prune) whose content comes back under another id (a renamed file) keeps
// its vectors: nothing is embedded, and it is found under the new id.
func TestEngine_MoveKeepsVectors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   func(old string) engine.IndexOptions
		moved bool
	}{
		{"remove", func(old string) engine.IndexOptions { return engine.IndexOptions{Remove: []string{old}} }, true},
		{"prune", func(string) engine.IndexOptions { return engine.IndexOptions{Prune: true} }, true},
		{"kept", func(string) engine.IndexOptions { return engine.IndexOptions{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb := &bagEmbedder{}
			eng, _ := newEngine(t, t.TempDir(), emb, "bag")
			ctx := t.Context()
			arts := corpus()
			if _, err := eng.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
				t.Fatal(err)
			}
			emb.reset()
			arts[1].ID, arts[1].Source = "renamed/fruit.txt", "news/renamed/fruit.txt"
			st, err := eng.Index(ctx, "news", arts, tc.opt("fruit.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.moved {
				if emb.calls == 0 || st.Moved != 0 {
					t.Fatalf("without removing the old article the new one is embedded: %d calls, %+v", emb.calls, st)
				}
				return
			}
			if emb.calls != 0 || st.Moved != 1 || st.New != 1 || st.Removed != 1 || st.Passages != 0 {
				t.Fatalf("a move embedded %d calls; stats %+v", emb.calls, st)
			}
			if r := st.Results[1]; st.MovedFrom[r.ID] != "fruit.txt" || r.Status != engine.DocNew {
				t.Errorf("result %+v, moved from %q", r, st.MovedFrom)
			}
			resp, err := eng.Search(ctx, "news", engine.Query{Text: "bananas apples breakfast", K: 1})
			if err != nil || len(resp.Results) == 0 || resp.Results[0].DocID != "renamed/fruit.txt" {
				t.Fatalf("search after the move: %v %+v", err, resp.Results)
			}
			if _, err := eng.Document(ctx, "news", "fruit.txt"); err == nil {
				t.Error("the old id is still stored")
			}
		})
	}
}
