package bm25

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// TestIndex_generationsLikeOneBatch: whatever the history (documents
// replaced and deleted, generations written in between, the index closed
// and opened again), the index answers exactly as one built afresh from
// the documents it ends with: the same counts, hashes and hits with the
// same scores.
func TestIndex_generationsLikeOneBatch(t *testing.T) {
	words := []string{"harbour", "storm", "wall", "permit", "engineer", "ferry", "island", "debris", "channel", "season", "lamp", "quagga"}
	text := func(rng *rand.Rand) string {
		var s string
		for range 3 + rng.IntN(20) {
			s += words[rng.IntN(len(words))] + " "
		}
		return s
	}
	for seed := range 8 {
		rng := rand.New(rand.NewPCG(uint64(seed), 9))
		dir := filepath.Join(t.TempDir(), "h.bm25")
		ix, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ix.compactMin = 1 << 10
		final := map[string]Document{}
		for op := range 300 {
			id := fmt.Sprintf("d%02d", rng.IntN(40))
			switch r := rng.IntN(10); {
			case r < 2:
				if err := ix.Delete(t.Context(), id); err != nil {
					t.Fatal(err)
				}
				delete(final, id)
			case r == 2 && op%7 == 0:
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
				if ix, err = Open(dir, Options{}); err != nil {
					t.Fatal(err)
				}
				ix.compactMin = 1 << 10
			default:
				d := Document{ID: id, Hash: fmt.Sprintf("h%d", op)}
				for c := range rng.IntN(4) {
					d.Passages = append(d.Passages, Passage{Chunk: c * 2, Title: "T " + id, Text: text(rng)})
				}
				if err := ix.ReplaceMany(t.Context(), d); err != nil {
					t.Fatal(err)
				}
				final[id] = d
			}
		}
		fresh, _ := openTemp(t, Options{})
		if err := fresh.ReplaceMany(t.Context(), slices.Collect(maps.Values(final))...); err != nil {
			t.Fatal(err)
		}
		same := func(what string) {
			t.Helper()
			gd, gp, _ := ix.Count()
			wd, wp, _ := fresh.Count()
			if gd != wd || gp != wp {
				t.Fatalf("seed %d, %s: %d documents, %d passages; fresh: %d, %d", seed, what, gd, gp, wd, wp)
			}
			if g, w := hashesOf(t, ix), hashesOf(t, fresh); !maps.Equal(g, w) {
				t.Fatalf("seed %d, %s: hashes %v; fresh %v", seed, what, g, w)
			}
			for _, q := range []string{"harbour storm", "quagga", "permit engineer ferry", "t d07"} {
				g, w := mustSearch(t, ix, q, 50, nil), mustSearch(t, fresh, q, 50, nil)
				if !slices.Equal(g, w) {
					t.Fatalf("seed %d, %s, %q:\n%v\nfresh:\n%v", seed, what, q, g, w)
				}
			}
		}
		same("as written")
		// Generations were written (a compaction that fails is not an
		// error of the write that triggered it, so it must be seen here).
		if ix.cur.gen < 10 || ix.compactAt != 0 || ix.logSize >= max(ix.compactMin, ix.segSize) {
			t.Fatalf("seed %d: %d generations written, the last one failed (%t), a log of %d bytes beside a segment of %d",
				seed, ix.cur.gen, ix.compactAt != 0, ix.logSize, ix.segSize)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		if ix, err = Open(dir, Options{ReadOnly: true}); err != nil {
			t.Fatal(err)
		}
		if ix.st.seg == nil {
			t.Fatalf("seed %d: reopened without a segment", seed)
		}
		same("reopened")
		ix.Close()
	}
}
