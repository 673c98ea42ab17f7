package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// unitEmbedder gives every text the same unit vector.
type unitEmbedder struct{}

func (unitEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0, 0}
	}
	return out, nil
}

func (unitEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	return []float32{1, 0, 0}, nil
}

// TestIndexShared_QueuesForgotten: once every write has returned, no write
// queue is left behind, however many collections were written, and
// concurrent writers to one collection still all land.
//
// It runs in a synctest bubble: synctest.Wait returns once drain, which
// forgets its queue just after releasing its last callers, has ended.
func TestIndexShared_QueuesForgotten(t *testing.T) { synctest.Test(t, testQueuesForgotten) }

func testQueuesForgotten(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e, err := New(store, unitEmbedder{}, Config{Model: "m", Chunk: chunk.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range 4 {
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := article.Article{ID: fmt.Sprintf("d%d", i), Source: "s", Title: "T", Text: fmt.Sprintf("Document %d of collection %d.", i, c)}
				if _, err := e.indexShared(t.Context(), fmt.Sprintf("c%d", c), []article.Article{a}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	synctest.Wait() // every drain has ended
	e.queuesMu.Lock()
	left := len(e.queues)
	e.queuesMu.Unlock()
	if left != 0 {
		t.Errorf("%d write queues left after every write returned", left)
	}
	for c := range 4 {
		col, err := e.Collection(t.Context(), fmt.Sprintf("c%d", c))
		if err != nil || col.Documents != 8 {
			t.Errorf("collection c%d: %+v, %v; want 8 documents", c, col, err)
		}
	}
}
