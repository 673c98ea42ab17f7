package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// busyIndex is a keyword index another process holds: every search fails
// with ErrKeywordsBusy while busy is set.
type busyIndex struct {
	*termIndex
	busy bool
}

func (b *busyIndex) Search(ctx context.Context, c, q string, k int, allow func(string) bool) ([]engine.KeywordHit, error) {
	if b.busy {
		return nil, fmt.Errorf("%w: bm25 index is in use by another process", engine.ErrKeywordsBusy)
	}
	return b.termIndex.Search(ctx, c, q, k, allow)
}

// TestEngine_Search_keywordsBusy: a read-only engine whose keyword index
// another process holds (`semsearch mcp` beside `serve`) answers a hybrid
// search by vectors with a warning that names the reason and the way out
// when told to (KeywordsBusyFallback); a bm25 search fails saying why.
// Without the option the hybrid search fails as before (the CLI names
// --server instead).
func TestEngine_Search_keywordsBusy(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	kw := &busyIndex{termIndex: newTermIndex()}
	w, _ := openEngine(t, dir, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw})
	if _, err := w.Index(ctx, "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(dir, embedded.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	kw.busy = true
	q := engine.Query{Text: "Why was the FBI director Comey dismissed?", K: 2, Mode: engine.Hybrid}
	for _, tc := range []struct {
		name     string
		fallback bool
		mode     engine.Mode
		wantErr  bool
	}{
		{"hybrid, fallback", true, engine.Hybrid, false},
		{"hybrid, no fallback", false, engine.Hybrid, true},
		{"bm25, fallback", true, engine.BM25, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := engine.New(store, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw, ReadOnly: true, KeywordsBusyFallback: tc.fallback})
			if err != nil {
				t.Fatal(err)
			}
			q := q
			q.Mode = tc.mode
			resp, err := r.Search(ctx, "news", q)
			if tc.wantErr {
				if !errors.Is(err, engine.ErrKeywordsBusy) {
					t.Errorf("err = %v, want the keyword index busy", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("search: %v", err)
			}
			if resp.Mode != engine.Vector || len(resp.Results) == 0 || resp.Results[0].DocID != "comey.txt" {
				t.Errorf("mode %s, results %+v: want vector results", resp.Mode, resp.Results)
			}
			if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "searched by vectors only") || !strings.Contains(resp.Warnings[0], "another process") {
				t.Errorf("warnings = %q, want one saying vectors only and why", resp.Warnings)
			}
		})
	}
}
