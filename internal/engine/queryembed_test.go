package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
)

// hungQueries embeds documents, and holds every query until its context
// ends, as a hung Ollama does.
type hungQueries struct{ bagEmbedder }

func (h *hungQueries) EmbedQuery(ctx context.Context, _ string) ([]float32, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestEngine_QueryEmbedTimeout: with the embedding backend hung, a hybrid
// search answers from BM25 alone within the query embedding timeout and
// says so (warning, mode, explain), and a vector search fails within it
// saying what to do; so too when the model's digest hangs first.
func TestEngine_QueryEmbedTimeout(t *testing.T) {
	const bound = 300 * time.Millisecond
	for _, tc := range []struct {
		name       string
		digestHung bool
	}{{"query hung", false}, {"digest and query hung", true}} {
		t.Run(tc.name, func(t *testing.T) {
			emb := &hungQueries{}
			var hung atomic.Bool // the digest hangs once indexing is done
			cfg := engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: newTermIndex(), QueryEmbedTimeout: bound}
			if tc.digestHung {
				cfg.ModelDigest = func(ctx context.Context) (string, error) {
					if hung.Load() {
						<-ctx.Done()
						return "", ctx.Err()
					}
					return "", errors.New("no digest") // not cached: asked again
				}
			}
			eng, _ := openEngine(t, t.TempDir(), emb, cfg)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // the caller's own deadline is far off
			defer cancel()
			if _, err := eng.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
				t.Fatal(err)
			}
			hung.Store(true)

			start := time.Now()
			resp, err := eng.Search(ctx, "news", engine.Query{Text: "football championship", K: 2, Explain: true})
			took := time.Since(start)
			if err != nil {
				t.Fatalf("hybrid search: %v after %s", err, took)
			}
			if took > bound+time.Second {
				t.Errorf("hybrid search took %s, bound %s", took, bound)
			}
			if resp.Mode != engine.BM25 || len(resp.Results) == 0 || resp.Results[0].DocID != "sport.txt" {
				t.Errorf("hybrid search: mode %s, results %+v; want BM25's", resp.Mode, resp.Results)
			}
			if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "ranked by BM25 alone") || !strings.Contains(resp.Warnings[0], "300ms (--query-embed-timeout)") {
				t.Errorf("hybrid search warnings %q", resp.Warnings)
			}
			if x := resp.Results[0].Explain; x == nil || !strings.Contains(x.VectorSkipped, "did not arrive within 300ms") || x.BM25Rank != 1 {
				t.Errorf("explain %+v: want it to say the vector half was skipped", x)
			}

			start = time.Now()
			_, err = eng.Search(ctx, "news", engine.Query{Text: "football championship", K: 2, Mode: engine.Vector})
			took = time.Since(start)
			if !errors.Is(err, engine.ErrQueryEmbedTimeout) || !strings.Contains(err.Error(), "--mode bm25") || took > bound+time.Second {
				t.Errorf("vector search: %v after %s; want ErrQueryEmbedTimeout naming --mode bm25 within %s", err, took, bound)
			}
		})
	}
}
