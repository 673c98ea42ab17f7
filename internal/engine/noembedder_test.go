package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
)

// TestEngine_nilEmbedder: an engine without an embedder searches by BM25
// (its default mode then) and refuses, with ErrInvalid, what needs vectors:
// it never calls a nil embedder.
func TestEngine_nilEmbedder(t *testing.T) {
	kw := newTermIndex()
	cfg := engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw}
	eng, store := openEngine(t, t.TempDir(), &bagEmbedder{}, cfg)
	ctx := t.Context()
	if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	bm25Only, err := engine.New(store, nil, cfg)
	if err != nil {
		t.Fatalf("New with a nil embedder: %v", err)
	}
	for _, mode := range []engine.Mode{"", engine.BM25} {
		resp, err := bm25Only.Search(ctx, "news", engine.Query{Text: "football championship", K: 3, Mode: mode})
		if err != nil {
			t.Fatalf("mode %q: %v", mode, err)
		}
		if resp.Mode != engine.BM25 || len(resp.Results) == 0 || resp.Results[0].DocID != "sport.txt" {
			t.Errorf("mode %q: %s %+v, want bm25 with sport.txt first", mode, resp.Mode, resp.Results)
		}
	}
	for _, mode := range []engine.Mode{engine.Vector, engine.Hybrid} {
		_, err := bm25Only.Search(ctx, "news", engine.Query{Text: "football", K: 3, Mode: mode})
		if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "embedding") {
			t.Errorf("%s search without an embedder: %v, want ErrInvalid naming the missing embedding model", mode, err)
		}
	}
	more := []article.Article{{ID: "new.txt", Source: "new.txt", Title: "New", Text: "New\n\nA new article to embed."}}
	if _, err := bm25Only.Index(ctx, "news", more, engine.IndexOptions{}); err == nil || !strings.Contains(err.Error(), "embedding") {
		t.Errorf("index without an embedder: %v, want an error naming the missing embedding model", err)
	}
}
