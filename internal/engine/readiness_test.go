package engine_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// hashCounter counts the store calls that read a whole collection.
type hashCounter struct {
	vectorstore.Store
	calls atomic.Int32
}

func (h *hashCounter) Hashes(ctx context.Context, name string) (map[string]string, error) {
	h.calls.Add(1)
	return h.Store.Hashes(ctx, name)
}

// TestEngine_CheckKeywordsReadsNoCollection: the readiness check (what
// /readyz asks) probes each collection's keyword index without reading the
// collection from the vector store; a search brings the two in line.
func TestEngine_CheckKeywordsReadsNoCollection(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	kw := newTermIndex()
	eng, first := openEngine(t, dir, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw})
	for _, c := range []string{"a", "b"} {
		if _, err := eng.Index(ctx, c, corpus(), engine.IndexOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// A second engine over the same data, as a restarted server.
	store, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	counted := &hashCounter{Store: store}
	eng2, err := engine.New(counted, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng2.CheckKeywords(ctx); err != nil {
		t.Fatal(err)
	}
	if n := counted.calls.Load(); n != 0 {
		t.Errorf("the readiness check read %d collections whole", n)
	}
	resp, err := eng2.Search(ctx, "a", engine.Query{Text: "bananas", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || counted.calls.Load() != 1 {
		t.Errorf("search: %+v, %v; %d collections read whole, want 1", resp.Results, err, counted.calls.Load())
	}
}
