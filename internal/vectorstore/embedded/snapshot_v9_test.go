package embedded

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// fixtureVector is passage j of document i in testdata/datadir-v6 (made by
// 5f71bf9's code: a version 6 snapshot of doc-0..4 without doc-2, and
// doc-5 in the log after it).
func fixtureVector(i, j int) []float32 {
	v := make([]float32, 8)
	var n float64
	for k := range v {
		v[k] = float32(math.Sin(float64(i*16 + j*8 + k + 1)))
		n += float64(v[k] * v[k])
	}
	for k := range v {
		v[k] /= float32(math.Sqrt(n))
	}
	return v
}

func copyFixture(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkFixture checks that the store holds the fixture's documents and
// vectors and ranks them.
func checkFixture(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var keys []vectorstore.PassageKey
	for _, i := range []int{0, 1, 2, 3, 4, 5} {
		for j := range 2 {
			keys = append(keys, vectorstore.PassageKey{DocID: fmt.Sprintf("doc-%d", i), Chunk: j})
		}
	}
	hits, err := s.Lookup(ctx, "fixture", keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 10 {
		t.Fatalf("%d passages, want 10 (doc-2 deleted)", len(hits))
	}
	for _, h := range hits {
		var i int
		fmt.Sscanf(h.DocID, "doc-%d", &i)
		if i == 2 {
			t.Fatal("doc-2 was deleted")
		}
		if want := fixtureVector(i, h.Chunk); !slices.Equal(h.Vector, want) {
			t.Fatalf("%s #%d: vector %v, want %v", h.DocID, h.Chunk, h.Vector, want)
		}
	}
	for _, i := range []int{0, 3, 5} {
		got, err := s.Query(ctx, "fixture", fixtureVector(i, 1), 3, vectorstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].DocID != fmt.Sprintf("doc-%d", i) || got[0].Chunk != 1 || got[0].Score < 0.9999 {
			t.Fatalf("query with doc-%d #1's vector: %+v", i, got)
		}
	}
	got, err := s.Query(ctx, "fixture", fixtureVector(3, 0), 10, vectorstore.Filter{Meta: map[string]string{"odd": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("filtered to odd documents: %d hits, want 6", len(got))
	}
}

// TestSnapshotV6Fixture: a data directory written by 5f71bf9 (snapshot
// version 6 and a log) opens with its documents and vectors; a compaction
// rewrites it as version 9, which opens (mapped) to the same.
func TestSnapshotV6Fixture(t *testing.T) {
	dir := copyFixture(t, filepath.Join("testdata", "datadir-v6"))
	path := filepath.Join(dir, "fixture"+fileExt)
	if head, _ := os.ReadFile(path); !bytes.HasPrefix(head, []byte(magicV6)) {
		t.Fatal("the fixture is not a version 6 snapshot")
	}
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	checkFixture(t, s)
	if err := s.compactNow("fixture"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if head, _ := os.ReadFile(path); !bytes.HasPrefix(head, []byte(magic)) {
		t.Fatal("compaction did not write a version 9 snapshot")
	}
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkFixture(t, s)
}

// TestSnapshotV9Mapped: a version 9 snapshot of more than a block of
// vectors is mapped; slots of mapped blocks are reused by later passages
// (written in the process's own copy, never in the file) and the partial
// last block grows; each state reopens the same, and a corrupted vector
// byte is refused by the checksum.
func TestSnapshotV9Mapped(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const dims, docs = 16, 700 // 2,100 passages: two full blocks and a partial one
	vec := func(i, j, v int) []float32 {
		x := make([]float32, dims)
		for k := range x {
			x[k] = float32(math.Cos(float64(i*7+j*3+k*11+v*5) * 0.37))
		}
		return x
	}
	put := func(s *Store, i, v int) {
		d := vectorstore.Document{ID: fmt.Sprintf("d%04d", i), Text: "a\nb\nc\n", Hash: fmt.Sprint(v)}
		var ps []vectorstore.Passage
		for j := range 3 {
			ps = append(ps, vectorstore.Passage{Chunk: j, Start: 2 * j, End: 2*j + 1, Vector: vec(i, j, v)})
		}
		if err := s.Put(ctx, "m", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, "m", vectorstore.Settings{Dimensions: dims}); err != nil {
		t.Fatal(err)
	}
	for i := range docs {
		put(s, i, 0)
	}
	if err := s.compactNow("m"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	file, err := os.ReadFile(filepath.Join(dir, "m"+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	check := func(s *Store, version map[int]int) {
		t.Helper()
		for _, i := range []int{0, 5, 350, 699} {
			v := version[i]
			got, err := s.Query(ctx, "m", vec(i, 1, v), 1, vectorstore.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].DocID != fmt.Sprintf("d%04d", i) || got[0].Chunk != 1 {
				t.Fatalf("d%04d version %d: query found %+v", i, v, got)
			}
		}
	}
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	check(s, nil)
	if c := s.cols["m"]; c == nil || c.arena.mapped == nil {
		t.Fatal("the version 9 snapshot was not mapped")
	}
	// Replacing documents frees slots in mapped blocks, and the next
	// puts reuse them.
	for _, i := range []int{0, 5, 350} {
		put(s, i, 1)
	}
	put(s, 699, 2)
	version := map[int]int{0: 1, 5: 1, 350: 1, 699: 2}
	check(s, version)
	if now, _ := os.ReadFile(filepath.Join(dir, "m"+fileExt)); !bytes.Equal(now, file) {
		t.Fatal("writing to reused slots changed the snapshot file")
	}
	if err := s.compactNow("m"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	check(s, version)
	s.Close()

	path := filepath.Join(dir, "m"+fileExt)
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Collection(ctx, "m")
	if err == nil && waitVerified(s, "m") {
		_, err = s.Collection(ctx, "m")
	}
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("CRC-32C")) {
		t.Fatalf("corrupted snapshot: %v, want a checksum error", err)
	}
}
