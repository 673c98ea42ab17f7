package httpapi

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// fullKeywords is a keyword index out of space: Replace fails with ENOSPC
// formatted into the text (%v), as bleve's persister reports it, so that
// errors.Is cannot see it. It finds nothing.
type fullKeywords struct {
	mu     sync.Mutex
	hashes map[string]string
}

func (k *fullKeywords) Replace(context.Context, string, []engine.KeywordDoc) error {
	return fmt.Errorf("bm25 update: segment: store/000000000005.zap persist err: %v",
		&os.PathError{Op: "write", Path: "store/000000000005.zap", Err: syscall.ENOSPC})
}

func (k *fullKeywords) Delete(context.Context, string, ...string) error { return nil }
func (k *fullKeywords) Drop(context.Context, string) error              { return nil }

func (k *fullKeywords) Hashes(context.Context, string) (map[string]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for id, h := range k.hashes {
		out[id] = h
	}
	return out, nil
}

func (k *fullKeywords) Search(context.Context, string, string, int, func(string) bool) ([]engine.KeywordHit, error) {
	return nil, nil
}

// TestServer_addDocumentsKeywordsFullDisk: the BM25 side out of space is
// 507 with the per-document results, like the vector store's, not 500.
func TestServer_addDocumentsKeywordsFullDisk(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, slowEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(), Keywords: &fullKeywords{}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, func(c *Config) { c.Engine = eng; c.RequestTimeout = 10 * time.Second })
	w := do(s, request{method: "POST", target: "/v1/documents", body: `[{"id": "a", "text": "Alpha beta."}, {"id": "b", "text": "Gamma delta."}]`})
	var body partialBody
	decodeBody(t, w, &body)
	if w.Code != 507 || body.Error.Code != "insufficient_storage" {
		t.Fatalf("BM25 index out of space: %d %+v, want 507 insufficient_storage", w.Code, body.Error)
	}
	if len(body.Index.Results) != 2 || !strings.Contains(body.Error.Message, "documents are stored") {
		t.Errorf("BM25 index out of space: %+v %+v, want the per-document results", body.Error, body.Index)
	}
}

func TestServer_describeSpace(t *testing.T) {
	s, _ := newTestServer(t)
	for _, err := range []error{
		fmt.Errorf("store: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}),
		fmt.Errorf("bm25 update: segment: x.zap persist err: %v", &os.PathError{Op: "write", Path: "x.zap", Err: syscall.ENOSPC}),
		fmt.Errorf("weaviate: batch: status 500: write wal: no space left on device"),
	} {
		if status, code, _ := s.describe(err); status != 507 || code != "insufficient_storage" {
			t.Errorf("describe(%q) = %d %s, want 507 insufficient_storage", err, status, code)
		}
	}
}
