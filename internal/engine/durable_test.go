package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// fullDisk is a store whose flushes fail with ENOSPC after the first okFlushes.
type fullDisk struct {
	vectorstore.Store
	okFlushes int32
	flushes   atomic.Int32
}

func (f *fullDisk) Flush(ctx context.Context) error {
	if f.flushes.Add(1) > f.okFlushes {
		return fmt.Errorf("write snapshot: %w", &os.PathError{Op: "write", Path: "default.tmp", Err: syscall.ENOSPC})
	}
	return f.Store.Flush(ctx)
}

// TestEngine_IndexCountsWhatIsDurable: when a flush fails part way, the
// stats count only what an earlier flush made durable, and say per article
// what was stored.
func TestEngine_IndexCountsWhatIsDurable(t *testing.T) {
	inner, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	store := &fullDisk{Store: inner, okFlushes: 1}
	eng, err := engine.New(store, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), BatchPassages: 1, FlushEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := eng.Index(t.Context(), "news", corpus(), engine.IndexOptions{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err %v, want ENOSPC", err)
	}
	want := []engine.DocResult{{ID: "comey.txt", Status: engine.DocNew, Passages: 1}, {ID: "fruit.txt", Status: engine.DocNotStored}, {ID: "sport.txt", Status: engine.DocNotStored}}
	if st.New != 1 || st.NotStored != 2 || fmt.Sprint(st.Results) != fmt.Sprint(want) {
		t.Errorf("stats %+v, want 1 new, 2 not stored: %v", st, want)
	}
	first, err := inner.Document(t.Context(), "news", "comey.txt")
	if err != nil || st.Total != first.Passages || st.Passages != first.Passages {
		t.Errorf("passages %d embedded, %d total; want %d (the durable article's) (%v)", st.Passages, st.Total, first.Passages, err)
	}
}
