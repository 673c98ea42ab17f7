package embedded

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestSources: a collection's sources are kept in its snapshot (durable
// when RecordSources returns, through later writes and compactions), and
// a collection replacing it (a rebuild's staging) keeps them; a renamed
// one carries its own.
func TestSources(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	set := vectorstore.Settings{Model: "m", Dimensions: testDims}
	src := vectorstore.Sources{
		Roots: []vectorstore.SourceRoot{{Path: "/docs", Include: []string{"*.md"}, IDPrefix: "d/", Added: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}},
		Files: []vectorstore.FileReport{{Path: "/docs/a.md", Status: vectorstore.FileIndexed, IDs: []string{"d/a.md"}, Articles: 1, Passages: 2}},
	}
	s := mustOpen(t, dir, Options{})
	if _, err := s.CreateCollection(ctx, "c", set); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sources(ctx, "c"); err != nil || len(got.Roots) != 0 {
		t.Fatalf("a new collection's sources: %+v, %v", got, err)
	}
	if err := s.RecordSources(ctx, "c", src); err != nil {
		t.Fatal(err)
	}
	// Durable when it returns: a copy of the directory taken now (a
	// crash) has them, from the change log.
	crashed := t.TempDir()
	for _, f := range []string{"c.collection", "c.wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := mustOpen(t, crashed, Options{ReadOnly: true}).Sources(ctx, "c"); err != nil || !reflect.DeepEqual(got, src) {
		t.Fatalf("after a crash right after RecordSources: %+v, %v", got, err)
	}
	d, ps := testDoc(rng, "d/a.md", "x", 2)
	mustPut(t, s, "c", d, ps)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	if got, err := s.Sources(ctx, "c"); err != nil || !reflect.DeepEqual(got, src) {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	// A collection replacing another brings its own (a rebuild copies
	// them to its staging collection first).
	if _, err := s.CreateCollection(ctx, "stage", set); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSources(ctx, "stage", src); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceCollection(ctx, "c", "stage"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sources(ctx, "c"); err != nil || !reflect.DeepEqual(got, src) {
		t.Errorf("after a rebuild's switch: %+v, %v", got, err)
	}
	// A rename moves them along.
	if err := s.ReplaceCollection(ctx, "renamed", "c"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := mustOpen(t, dir, Options{ReadOnly: true})
	if got, err := r.Sources(ctx, "renamed"); err != nil || !reflect.DeepEqual(got, src) {
		t.Errorf("after a rename, read-only: %+v, %v", got, err)
	}
}

// TestSourcesListing: a collection whose log ends with a sources record is
// listed from that record (the counts it carries) without being loaded.
func TestSourcesListing(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	s := mustOpen(t, dir, Options{CompactMinBytes: -1})
	if _, err := s.CreateCollection(ctx, "c", vectorstore.Settings{Model: "m", Dimensions: testDims}); err != nil {
		t.Fatal(err)
	}
	d, ps := testDoc(rng, "a", "x", 3)
	mustPut(t, s, "c", d, ps)
	if err := s.RecordSources(ctx, "c", vectorstore.Sources{Roots: []vectorstore.SourceRoot{{Path: "/docs"}}}); err != nil {
		t.Fatal(err)
	}
	// A reader lists it while the writer still has it open: from its
	// snapshot's summary and its log's last record.
	r := mustOpen(t, dir, Options{ReadOnly: true})
	cols, err := r.Collections(ctx)
	if err != nil || len(cols) != 1 || cols[0].Documents != 1 || cols[0].Passages != 3 {
		t.Fatalf("listing: %+v, %v", cols, err)
	}
	if got := r.loaded(); len(got) != 0 {
		t.Errorf("listing loaded %v", got)
	}
}
