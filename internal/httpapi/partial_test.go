package httpapi

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// diskStore is a store whose flushes fail with ENOSPC once full is set.
type diskStore struct {
	vectorstore.Store
	full atomic.Bool
}

func (d *diskStore) Flush(ctx context.Context) error {
	if d.full.Load() {
		return fmt.Errorf("write snapshot: %w", &os.PathError{Op: "write", Path: "news.tmp", Err: syscall.ENOSPC})
	}
	return d.Store.Flush(ctx)
}

// slowEmbedder embeds a text of one word per letter count, and blocks on
// texts holding "slow" until its context ends.
type slowEmbedder struct{}

func (slowEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if strings.Contains(t, "slow") {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		y := float64(len(t) % 7)
		n := math.Sqrt(1 + y*y)
		out[i] = []float32{float32(1 / n), float32(y / n)}
	}
	return out, nil
}

func (s slowEmbedder) EmbedQuery(ctx context.Context, t string) ([]float32, error) {
	v, err := s.EmbedDocuments(ctx, []string{t})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

func newRealServer(t *testing.T, timeout time.Duration) (*Server, *diskStore) {
	t.Helper()
	inner, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	store := &diskStore{Store: inner}
	eng, err := engine.New(store, slowEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(), BatchPassages: 1, FlushEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, func(c *Config) { c.Engine = eng; c.RequestTimeout = timeout })
	return s, store
}

func TestServer_addDocumentsFullDisk(t *testing.T) {
	s, store := newRealServer(t, 10*time.Second)
	w := do(s, request{method: "POST", target: "/v1/documents", body: `{"id": "a", "text": "Alpha beta."}`})
	if w.Code != 200 {
		t.Fatalf("first POST: %d %s", w.Code, w.Body)
	}
	store.full.Store(true)
	w = do(s, request{method: "POST", target: "/v1/documents", body: `[{"id": "b", "text": "Gamma delta."}, {"id": "c", "text": "Epsilon."}]`})
	var body partialBody
	decodeBody(t, w, &body)
	if w.Code != 507 || body.Error.Code != "insufficient_storage" || !strings.Contains(body.Error.Message, "no space left on device") {
		t.Errorf("full disk: %d %+v, want 507 insufficient_storage saying no space left", w.Code, body.Error)
	}
	if body.Index.New != 0 || body.Index.NotStored != 2 || len(body.Index.Results) != 2 || body.Index.Results[0].Status != engine.DocNotStored {
		t.Errorf("full disk: %+v, want both documents reported not stored", body.Index)
	}
}

func TestServer_addDocumentsTimeout(t *testing.T) {
	s, _ := newRealServer(t, 300*time.Millisecond)
	w := do(s, request{method: "POST", target: "/v1/documents", body: `[{"id": "a", "text": "Alpha beta."}, {"id": "b", "text": "Gamma delta."}, {"id": "c", "text": "A slow one."}]`})
	var body partialBody
	decodeBody(t, w, &body)
	if w.Code != 504 || !strings.Contains(body.Error.Message, "2 of 3 documents are stored") {
		t.Errorf("timeout: %d %+v", w.Code, body.Error)
	}
	got := fmt.Sprint(body.Index.Results)
	if want := "[{a new 1} {b new 1} {c not_stored 0}]"; got != want {
		t.Errorf("results %s, want %s", got, want)
	}
	for _, id := range []string{"a", "b"} {
		if w := do(s, request{method: "GET", target: "/v1/documents/" + id}); w.Code != 200 {
			t.Errorf("reported stored but GET %s: %d", id, w.Code)
		}
	}
}
