package weaviatestore_test

import (
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/weaviatestore"
)

var _ engine.FilteringKeywordIndex = weaviatestore.Keywords{}

// TestKeywords_noPredicate: Weaviate's BM25 filters inside Weaviate
// (SearchFilter); a search with a predicate it cannot apply before ranking
// is refused, not answered from an over-fetched, filtered-afterwards list,
// and the writes are no-ops (Weaviate indexes the stored passages itself).
// No request is sent: the node does not exist.
func TestKeywords_noPredicate(t *testing.T) {
	opt, err := weaviatestore.ParseURL("weaviate://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := weaviatestore.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kw := s.Keywords()
	ctx := t.Context()
	_, err = kw.Search(ctx, "c", "zebras", 5, func(string) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "SearchFilter") {
		t.Errorf("Search with a predicate: %v, want an error pointing at SearchFilter", err)
	}
	if err := kw.Replace(ctx, "c", []engine.KeywordDoc{{ID: "a"}}); err != nil {
		t.Errorf("Replace: %v, want a no-op", err)
	}
	if err := kw.Delete(ctx, "c", "a"); err != nil {
		t.Errorf("Delete: %v, want a no-op", err)
	}
	if err := kw.Drop(ctx, "c"); err != nil {
		t.Errorf("Drop: %v, want a no-op", err)
	}
}
