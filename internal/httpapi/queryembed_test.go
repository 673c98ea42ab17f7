package httpapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// hungQueryEmbedder embeds documents like slowEmbedder and holds every
// query until its context ends, as a hung Ollama does.
type hungQueryEmbedder struct{ slowEmbedder }

func (hungQueryEmbedder) EmbedQuery(ctx context.Context, _ string) ([]float32, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// memKeywords is an in-memory keyword index: a passage matches when it
// holds the query's first word.
type memKeywords struct {
	mu   sync.Mutex
	docs map[string]engine.KeywordDoc
}

func (k *memKeywords) Replace(_ context.Context, _ string, docs []engine.KeywordDoc) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, d := range docs {
		k.docs[d.ID] = d
	}
	return nil
}

func (k *memKeywords) Delete(_ context.Context, _ string, ids ...string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		delete(k.docs, id)
	}
	return nil
}

func (k *memKeywords) Drop(context.Context, string) error { return nil }

func (k *memKeywords) Hashes(context.Context, string) (map[string]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for id, d := range k.docs {
		out[id] = d.Hash
	}
	return out, nil
}

func (k *memKeywords) Search(_ context.Context, _ string, query string, n int, _ func(string) bool) ([]engine.KeywordHit, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	word := strings.ToLower(strings.Fields(query)[0])
	var hits []engine.KeywordHit
	for id, d := range k.docs {
		for _, p := range d.Passages {
			if strings.Contains(strings.ToLower(p.Text), word) && len(hits) < n {
				hits = append(hits, engine.KeywordHit{DocID: id, Chunk: p.Chunk, Score: 1, Hash: d.Hash})
			}
		}
	}
	return hits, nil
}

// TestServer_searchQueryEmbedTimeout: a hybrid search whose query embedding
// does not arrive in time answers 200 from BM25 with a warning in the JSON,
// within the engine's bound rather than the request's timeout; a vector
// search fails within it with a 504 saying what to do.
func TestServer_searchQueryEmbedTimeout(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, hungQueryEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(),
		Keywords: &memKeywords{docs: map[string]engine.KeywordDoc{}}, QueryEmbedTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, func(c *Config) { c.Engine = eng; c.RequestTimeout = 30 * time.Second })
	if w := do(s, request{method: "POST", target: "/v1/documents", body: `[{"id": "a", "text": "Alpha zebras."}, {"id": "b", "text": "Gamma delta."}]`}); w.Code != 200 {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}

	start := time.Now()
	w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": "zebras", "k": 2}`})
	var resp SearchResponse
	decodeBody(t, w, &resp)
	if took := time.Since(start); w.Code != 200 || took > 2*time.Second {
		t.Fatalf("hybrid search: %d after %s: %s", w.Code, took, w.Body)
	}
	if resp.Mode != engine.BM25 || len(resp.Results) != 1 || resp.Results[0].DocID != "a" ||
		len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "ranked by BM25 alone") {
		t.Errorf("hybrid search: %s", w.Body)
	}

	start = time.Now()
	w = do(s, request{method: "POST", target: "/v1/search", body: `{"query": "zebras", "k": 2, "mode": "vector"}`})
	status, code, msg := errorOf(t, w)
	if took := time.Since(start); status != 504 || code != "query_embed_timeout" || !strings.Contains(msg, "--mode bm25") || took > 2*time.Second {
		t.Errorf("vector search: %d %s %q after %s; want 504 query_embed_timeout naming the fix", status, code, msg, took)
	}
}
