package embedded

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
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

// BenchmarkStore_Open100k opens (read-only, so nothing is written) a
// collection of 100,000 passages of 256 dimensions, 8 per document: the
// snapshot is read, the catalog decoded, the arena filled.
func BenchmarkStore_Open100k(b *testing.B) {
	const docs, per, dims = 12500, 8, 256
	dir := b.TempDir()
	s, err := Open(dir, Options{CompactMinBytes: -1}) // all in the snapshot (compactNow), none in the log
	if err != nil {
		b.Fatal(err)
	}
	set := testSettings
	set.Dimensions = dims
	if _, err := s.CreateCollection(b.Context(), "c", set); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for d := range docs {
		doc, ps := testDoc(rng, fmt.Sprint("d", d), "m", per)
		for i := range ps {
			ps[i].Vector = storebench.UnitVector(rng, dims)
		}
		if err := s.Put(b.Context(), "c", doc, ps); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.compactNow("c"); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Collection(b.Context(), "c"); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
