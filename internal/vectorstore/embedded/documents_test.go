package embedded

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestDocuments_pagesFollowWrites: Documents keeps the ids in order
// between calls; a new document, a deleted one and a replaced one show in
// the next page read, in order, with their new content.
func TestDocuments_pagesFollowWrites(t *testing.T) {
	ctx := t.Context()
	s := mustOpen(t, t.TempDir(), Options{})
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, id := range []string{"b", "d", "f"} {
		d, ps := testDoc(rng, id, "v1", 1)
		mustPut(t, s, "c", d, ps)
	}
	page := func(offset, limit int) string {
		t.Helper()
		docs, total, err := s.Documents(ctx, "c", offset, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range docs {
			out = append(out, d.ID+":"+d.Hash)
		}
		return fmt.Sprint(total, out)
	}
	if got := page(0, 2); got != "3 [b:v1 d:v1]" {
		t.Fatalf("first page %s", got)
	}
	d, ps := testDoc(rng, "a", "v1", 1)
	mustPut(t, s, "c", d, ps)
	if got := page(0, 2); got != "4 [a:v1 b:v1]" {
		t.Errorf("after adding a: %s", got)
	}
	if _, err := s.Delete(ctx, "c", "b"); err != nil {
		t.Fatal(err)
	}
	if got := page(1, 0); got != "3 [d:v1 f:v1]" {
		t.Errorf("after deleting b: %s", got)
	}
	d, ps = testDoc(rng, "d", "v2", 2)
	mustPut(t, s, "c", d, ps)
	if got := page(0, 0); got != "3 [a:v1 d:v2 f:v1]" {
		t.Errorf("after replacing d: %s", got)
	}
}

// BenchmarkDocuments_page is one page of 500 (what an export asks for)
// from a collection of 100,000 documents.
func BenchmarkDocuments_page(b *testing.B) {
	ctx := b.Context()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100000 {
		d, ps := testDoc(rng, fmt.Sprintf("doc-%06d", i), "v1", 1)
		if err := s.Put(ctx, "c", d, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		docs, _, err := s.Documents(ctx, "c", (i*500)%100000, 500)
		if err != nil || len(docs) != 500 || !slices.IsSortedFunc(docs, func(x, y vectorstore.Document) int { return strings.Compare(x.ID, y.ID) }) {
			b.Fatalf("%d docs, %v", len(docs), err)
		}
	}
}
