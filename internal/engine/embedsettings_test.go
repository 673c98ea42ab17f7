package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// embedCfg is an engine config that says how it embeds.
func embedCfg() engine.Config {
	return engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), TitleContext: true, BatchPassages: 4,
		Embedder: "ollama", EmbedURL: "http://127.0.0.1:11434", QueryPrefix: "q: ", DocumentPrefix: "d: ", EmbedDimensions: 32}
}

// TestEngine_RecordsHowEmbedded: a collection records the embedder kind,
// its URL, the requested dimensions and both prefixes; a search or index
// run that differs in any of them (but the URL) is refused with what was
// recorded.
func TestEngine_RecordsHowEmbedded(t *testing.T) {
	dir := t.TempDir()
	emb := &bagEmbedder{}
	eng, store := openEngine(t, dir, emb, embedCfg())
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := store.Collection(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	want := vectorstore.Settings{Model: "bag", Dimensions: dims, DocumentPrefix: "d: ", QueryPrefix: "q: ", Embedder: "ollama",
		EmbedURL: "http://127.0.0.1:11434", EmbedDimensions: 32, Chunking: eng.Chunking()}
	if c.Settings != want {
		t.Fatalf("recorded %+v\nwant     %+v", c.Settings, want)
	}
	store.Close()

	tests := []struct {
		name   string
		change func(*engine.Config)
		want   string // in the error; "" means accepted
	}{
		{"same", func(*engine.Config) {}, ""},
		{"another URL", func(c *engine.Config) { c.EmbedURL = "http://gpu:11434" }, ""},
		{"another embedder", func(c *engine.Config) { c.Embedder = "openai" }, `embedded by an "ollama" server`},
		{"other dimensions", func(c *engine.Config) { c.EmbedDimensions = 0 }, "32 dimensions"},
		{"another query prefix", func(c *engine.Config) { c.QueryPrefix = "" }, `query prefix "q: "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := embedCfg()
			tt.change(&cfg)
			eng, store := openEngine(t, dir, emb, cfg)
			defer store.Close()
			_, serr := eng.Search(ctx, "news", engine.Query{Text: "Comey", K: 2, Mode: engine.Vector})
			_, ierr := eng.Index(ctx, "news", corpus(), engine.IndexOptions{})
			for _, err := range []error{serr, ierr} {
				switch {
				case tt.want == "" && err != nil:
					t.Errorf("refused: %v", err)
				case tt.want != "" && (!errors.Is(err, engine.ErrSettingsMismatch) || !strings.Contains(err.Error(), tt.want)):
					t.Errorf("err = %v, want ErrSettingsMismatch saying %q", err, tt.want)
				}
			}
		})
	}
}

// TestEngine_RecordsOnNextWrite: a collection made before collections
// recorded their embedder and query prefix (Embedder "") is searched with
// whatever the engine has, and records it on its next index run.
func TestEngine_RecordsOnNextWrite(t *testing.T) {
	dir := t.TempDir()
	emb := &bagEmbedder{}
	old := embedCfg()
	old.Embedder, old.EmbedURL, old.QueryPrefix, old.EmbedDimensions = "", "", "", 0
	eng, store := openEngine(t, dir, emb, old)
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus()[:2], engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	eng, store = openEngine(t, dir, emb, embedCfg())
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err == nil {
		t.Fatal("32 dimensions asked of a collection made with the model's own: accepted")
	}
	store.Close()
	cfg := embedCfg()
	cfg.EmbedDimensions = 0
	eng, store = openEngine(t, dir, emb, cfg)
	if _, err := eng.Search(ctx, "news", engine.Query{Text: "Comey", K: 2, Mode: engine.Vector}); err != nil {
		t.Fatalf("search of an old collection: %v", err)
	}
	if c, _ := store.Collection(ctx, "news"); c.Settings.Embedder != "" {
		t.Fatalf("a search recorded settings: %+v", c.Settings)
	}
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	_, store = openEngine(t, dir, emb, cfg) // from disk
	c, err := store.Collection(ctx, "news")
	if err != nil || c.Settings.Embedder != "ollama" || c.Settings.QueryPrefix != "q: " || c.Settings.EmbedURL != "http://127.0.0.1:11434" || c.Documents != 3 {
		t.Errorf("after the next write: %+v, %v", c, err)
	}
}

// TestEngine_DocumentTemplate: a document prefix holding {title} (as
// embeddinggemma's) is filled in with each article's title, or "none",
// and replaces --title-context's joining.
func TestEngine_DocumentTemplate(t *testing.T) {
	emb := &bagEmbedder{}
	cfg := embedCfg()
	cfg.DocumentPrefix = "title: {title} | text: "
	eng, _ := openEngine(t, t.TempDir(), emb, cfg)
	arts := []article.Article{
		{ID: "a", Source: "a", Title: "Bees  in the\ncity", Text: "Bees in the city\n\nHives need water."},
		{ID: "b", Source: "b", Text: "Harbour walls hold back the storm."},
	}
	if _, err := eng.Index(t.Context(), "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"title: Bees in the city | text: Bees in the city\n\nHives need water.", "title: none | text: Harbour walls hold back the storm."}
	got := emb.inputs
	if len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("embedded %q\nwant %q", got, want)
	}
}
