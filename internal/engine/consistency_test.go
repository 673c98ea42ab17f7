package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// TestEngine_SearchOneVersion reproduces an interrupted update: the keyword
// index got the new version of a document (with a new word), the vector
// store still holds the old one. A read-only search must not cite the old
// passage as a match for the new word.
func TestEngine_SearchOneVersion(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	kw := newTermIndex()
	writer := newHybrid(t, dir, kw)
	if _, err := writer.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	// The interrupted run reached the keyword index only.
	updated := corpus()[2]
	updated.Text += "\n\nThe zyzzyva mascot danced."
	if err := kw.Replace(ctx, "news", []engine.KeywordDoc{{ID: updated.ID, Hash: updated.Hash(), Passages: []engine.KeywordPassage{
		{Chunk: 0, Title: updated.Title, Text: updated.Text},
	}}}); err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(dir, embedded.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reader, err := engine.New(store, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []engine.Mode{engine.BM25, engine.Hybrid} {
		resp, err := reader.Search(ctx, "news", engine.Query{Text: "zyzzyva mascot", K: 3, Mode: mode, Explain: true})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		for _, r := range resp.Results {
			if r.Explain.BM25Rank > 0 && !strings.Contains(r.Text, "zyzzyva") {
				t.Errorf("%s: BM25 hit %s#%d cites a passage without the word it matched: %q", mode, r.DocID, r.Chunk, r.Text)
			}
		}
		if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], updated.ID) || !strings.Contains(resp.Warnings[0], "semsearch index") {
			t.Errorf("%s: warnings %q, want one naming %s and the fix", mode, resp.Warnings, updated.ID)
		}
	}
	// A consistent document still ranks by BM25.
	resp, err := reader.Search(ctx, "news", engine.Query{Text: "bananas", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "fruit.txt" || len(resp.Warnings) != 0 {
		t.Errorf("consistent document: %+v %q %v", resp.Results, resp.Warnings, err)
	}
}

// noEmbedder fails the test when anything asks it for a vector.
type noEmbedder struct{ t *testing.T }

func (n noEmbedder) EmbedDocuments(context.Context, []string) ([][]float32, error) {
	n.t.Error("bm25 search embedded documents")
	return nil, context.Canceled
}

func (n noEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	n.t.Error("bm25 search embedded the query")
	return nil, context.Canceled
}

// TestEngine_BM25NeedsNoEmbedder: with an embedding backend that never
// answers, bm25 search neither embeds nor waits for the model digest.
func TestEngine_BM25NeedsNoEmbedder(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	kw := newTermIndex()
	writer := newHybrid(t, dir, kw)
	arts := append(corpus(), article.Article{ID: "zebra.txt", Source: "zebra.txt", Title: "Zebras", Text: "Zebras\n\nQuagga zebras roam."})
	if _, err := writer.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(dir, embedded.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hung := func(ctx context.Context) (string, error) {
		t.Error("bm25 search asked for the model digest")
		<-ctx.Done()
		return "", ctx.Err()
	}
	reader, err := engine.New(store, noEmbedder{t}, engine.Config{Model: "bag", ModelDigest: hung, Chunk: chunk.DefaultOptions(), Keywords: kw, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := reader.Search(sctx, "news", engine.Query{Text: "quagga", K: 1, Mode: engine.BM25, MMR: 0.5})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "zebra.txt" {
		t.Fatalf("bm25 search: %+v %v", resp.Results, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("bm25 search took %s", took)
	}
}
