package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

// faultyKeywords is a termIndex that panics (as bleve did on a full disk)
// or fails with ENOSPC while its switches are on.
type faultyKeywords struct {
	*termIndex
	panics, full atomic.Bool
}

func (f *faultyKeywords) Hashes(ctx context.Context, c string) (map[string]string, error) {
	if f.panics.Load() {
		var m map[string]int
		m["x"] = 1 // assignment to entry in nil map
	}
	return f.termIndex.Hashes(ctx, c)
}

func (f *faultyKeywords) Replace(ctx context.Context, c string, docs []engine.KeywordDoc) error {
	if f.full.Load() {
		return fmt.Errorf("bm25 update: %w", &os.PathError{Op: "write", Path: "000000000005.zap", Err: syscall.ENOSPC})
	}
	return f.termIndex.Replace(ctx, c, docs)
}

// TestEngine_IndexSharedPanic: a panic below a shared index run (which runs
// on a goroutine of its own, outside any request's recovery) fails the
// calls it carries instead of ending the process, and later runs work.
func TestEngine_IndexSharedPanic(t *testing.T) {
	kw := &faultyKeywords{termIndex: newTermIndex()}
	eng := newHybrid(t, t.TempDir(), kw)
	ctx := t.Context()
	arts := corpus()
	if _, err := eng.Index(ctx, "news", arts[:1], engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	kw.panics.Store(true)
	var wg sync.WaitGroup
	errs := make([]error, len(arts)-1)
	for i, a := range arts[1:] {
		wg.Go(func() { _, errs[i] = eng.Index(ctx, "news", []article.Article{a}, engine.IndexOptions{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("caller %d: no error from a run that panicked", i)
		}
	}
	kw.panics.Store(false)
	st, err := eng.Index(ctx, "news", arts, engine.IndexOptions{})
	if err != nil || st.New+st.Unchanged != len(arts) {
		t.Fatalf("after the panic: %+v %v", st, err)
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "football championship", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "sport.txt" {
		t.Errorf("bm25 search after the panic: %+v %v", resp.Results, err)
	}
}

// TestEngine_KeywordsFullDisk: a BM25 index out of space fails the write
// with an error matching ENOSPC, searches still answer meanwhile, and once
// there is room the next write repairs the BM25 index.
func TestEngine_KeywordsFullDisk(t *testing.T) {
	kw := &faultyKeywords{termIndex: newTermIndex()}
	eng := newHybrid(t, t.TempDir(), kw)
	ctx := t.Context()
	arts := corpus()
	if _, err := eng.Index(ctx, "news", arts[:1], engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	kw.full.Store(true)
	_, err := eng.Index(ctx, "news", arts[1:], engine.IndexOptions{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write with the BM25 index's disk full: %v, want ENOSPC", err)
	}
	for _, mode := range []engine.Mode{engine.BM25, engine.Hybrid, engine.Vector} {
		if _, err := eng.Search(ctx, "news", engine.Query{Text: "Comey fired", K: 2, Mode: mode}); err != nil {
			t.Errorf("%s search on the full disk: %v", mode, err)
		}
	}
	kw.full.Store(false)
	if _, err := eng.Index(ctx, "news", arts[:1], engine.IndexOptions{}); err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "football championship", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "sport.txt" || len(resp.Warnings) > 0 {
		t.Errorf("bm25 search after the repair: %+v %v %v", resp.Results, resp.Warnings, err)
	}
}
