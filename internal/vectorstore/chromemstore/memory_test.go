package chromemstore

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestStore_OpenAllocatesNothingPerVector checks that opening a collection
// keeps one copy of its vectors, in the arena: nothing is allocated per
// passage beyond what decoding its catalog entry takes (a shadow copy in
// chromem-go cost a document, an id and a metadata map per passage, about
// 150-250 bytes, and the time to make them).
func TestStore_OpenAllocatesNothingPerVector(t *testing.T) {
	const passages = 20000
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	if _, err := s.CreateCollection(t.Context(), "c", testSettings); err != nil {
		t.Fatal(err)
	}
	d, ps := testDoc(rand.New(rand.NewPCG(1, 2)), "big", "m", passages)
	mustPut(t, s, "c", d, ps)
	if err := s.compactNow("c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r := mustOpen(t, dir, Options{ReadOnly: true})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := r.Collection(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if info.Passages != passages {
		t.Fatalf("opened %d passages, want %d", info.Passages, passages)
	}
	// The catalog's passages decode into one slice per document; the
	// vectors into blocks of blockSlots.
	if n := after.Mallocs - before.Mallocs; n > passages/4 {
		t.Errorf("opening %d passages made %d allocations (%.1f per passage); want well under one per passage", passages, n, float64(n)/passages)
	}
}
