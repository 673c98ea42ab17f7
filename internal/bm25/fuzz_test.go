package bm25

import (
	"context"
	"path/filepath"
	"testing"
)

// FuzzIndex_Search: any query text (from users, over HTTP) searches without
// error or panic, and returns at most k hits, best first.
func FuzzIndex_Search(f *testing.F) {
	ix, err := Open(filepath.Join(f.TempDir(), "fuzz.bm25"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ix.Close() })
	err = ix.ReplaceMany(context.Background(),
		Document{ID: "a", Hash: "1", Passages: []Passage{{Chunk: 0, Title: "Comey", Text: "President Trump fired FBI director James Comey."}}},
		Document{ID: "b", Hash: "2", Passages: []Passage{{Chunk: 0, Text: "Bananas and apples for breakfast."}, {Chunk: 1, Text: "Fired up for breakfast."}}},
	)
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{"fired breakfast", "", "the of and", "\xff\x00", `"Comey" +director -x`, "ünïcödé 漢字"} {
		f.Add(q, uint8(3))
	}
	f.Fuzz(func(t *testing.T, query string, k uint8) {
		n := int(k%10) + 1
		hits, err := ix.Search(context.Background(), query, n, nil)
		if err != nil {
			t.Fatalf("search %q: %v", query, err)
		}
		if len(hits) > n {
			t.Fatalf("search %q: %d hits for k %d", query, len(hits), n)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Fatalf("search %q: hits not best first: %+v", query, hits)
			}
		}
	})
}
