package engine_test

import (
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
)

// Issue 21 item 15: CollectionHolding finds a collection with exactly the
// given articles and the engine's settings, and nothing else.
func TestEngine_CollectionHolding(t *testing.T) {
	dir := t.TempDir()
	eng, store := newEngine(t, dir, &bagEmbedder{}, "bag")
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(ctx, "more", append(corpus(), article.Article{ID: "x.txt", Source: "x.txt", Text: "x"}), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	changed := corpus()
	changed[1].Text += " Pears too."
	other, err := engine.New(store, &bagEmbedder{}, engine.Config{Model: "other", Chunk: chunk.DefaultOptions(), TitleContext: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		eng  *engine.Engine
		arts []article.Article
		want string
	}{
		{"same corpus", eng, corpus(), "news"},
		{"one article changed", eng, changed, ""},
		{"one article fewer", eng, corpus()[:2], ""},
		{"another model", other, corpus(), ""},
	} {
		got, err := tt.eng.CollectionHolding(ctx, tt.arts)
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
