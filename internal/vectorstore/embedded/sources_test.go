package embedded

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

// TestSources_changesOnly: recording the sources again after a few files
// changed (a watch batch) appends those files to the log, not the whole
// report: a folder of 2,000 files costs a saved file about a file's
// bytes. The sources read back the same, before and after reopening and
// from a read-only store, and listing reads the log's last record.
func TestSources_changesOnly(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{CompactMinBytes: -1})
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	src := vectorstore.Sources{Roots: []vectorstore.SourceRoot{{Path: "/notes", Added: when}}}
	for i := range 2000 {
		p := fmt.Sprintf("/notes/n%04d.md", i)
		src.Files = append(src.Files, vectorstore.FileReport{Path: p, Status: vectorstore.FileIndexed, IDs: []string{p[7:]}, Articles: 1, Passages: 3, When: when})
	}
	if err := s.RecordSources(ctx, "c", src); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "c.wal"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	full := size()
	// One file edited, one deleted, one added, and the root's options
	// changed.
	next := vectorstore.Sources{Roots: []vectorstore.SourceRoot{{Path: "/notes", Exclude: []string{"*.tmp"}, Added: when}}}
	for _, f := range src.Files {
		switch f.Path {
		case "/notes/n0007.md":
			f.Passages, f.When = 4, when.Add(time.Minute)
			f.IDs = []string{"n0007.md"}
		case "/notes/n0008.md":
			continue
		}
		next.Files = append(next.Files, f)
	}
	next.Files = append(next.Files, vectorstore.FileReport{Path: "/notes/x.md", Status: vectorstore.FileIndexed, IDs: []string{"x.md"}, Articles: 1, Passages: 1, When: when})
	if err := s.RecordSources(ctx, "c", next); err != nil {
		t.Fatal(err)
	}
	if grew := size() - full; grew > 1024 {
		t.Errorf("recording 3 changed files of 2,000 appended %d bytes (the whole report took %d)", grew, full)
	}
	check := func(s *Store, when string) {
		t.Helper()
		got, err := s.Sources(ctx, "c")
		if err != nil || !reflect.DeepEqual(got, next) {
			t.Fatalf("%s: %d roots, %d files, %v; want the sources recorded last", when, len(got.Roots), len(got.Files), err)
		}
	}
	check(s, "recorded")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	check(r, "read-only, from the log")
	if list, err := r.Collections(ctx); err != nil || len(list) != 1 {
		t.Errorf("listing: %+v, %v", list, err)
	}
	r.Close()
	s = mustOpen(t, dir, Options{CompactMinBytes: -1})
	check(s, "reopened")
	if err := s.compactNow("c"); err != nil {
		t.Fatal(err)
	}
	check(s, "compacted")
}

// TestDiffSources: applying the change diffSources finds to the old
// report gives the new one, for random reports (files added, removed and
// changed anywhere, either report empty); reports out of order get no
// change.
func TestDiffSources(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	report := func() []vectorstore.FileReport {
		var files []vectorstore.FileReport
		for i := range 40 {
			if rng.IntN(3) == 0 {
				continue
			}
			files = append(files, vectorstore.FileReport{Path: fmt.Sprintf("/d/%02d.md", i), Status: vectorstore.FileIndexed, Passages: rng.IntN(3)})
		}
		return files
	}
	for trial := range 500 {
		old := vectorstore.Sources{Files: report()}
		next := vectorstore.Sources{Roots: []vectorstore.SourceRoot{{Path: "/d"}}, Files: report()}
		ch, ok := diffSources(old, next)
		if !ok {
			t.Fatalf("trial %d: no change found for ordered reports", trial)
		}
		if got := ch.apply(old); !reflect.DeepEqual(got.Files, next.Files) && (len(got.Files) != 0 || len(next.Files) != 0) || !reflect.DeepEqual(got.Roots, next.Roots) {
			t.Fatalf("trial %d: applying the change gave %v, want %v", trial, got, next)
		}
	}
	unordered := vectorstore.Sources{Files: []vectorstore.FileReport{{Path: "/b"}, {Path: "/a"}}}
	if _, ok := diffSources(vectorstore.Sources{}, unordered); ok {
		t.Error("a change for files out of order")
	}
	twice := vectorstore.Sources{Files: []vectorstore.FileReport{{Path: "/a"}, {Path: "/a"}}}
	if _, ok := diffSources(vectorstore.Sources{}, twice); ok {
		t.Error("a change for a path given twice")
	}
}

// TestSameReportEveryField: changing any one field of a file report (by
// reflection, so a field added later counts) makes it another report.
func TestSameReportEveryField(t *testing.T) {
	base := vectorstore.FileReport{Path: "/a", Status: vectorstore.FileIndexed, Reason: "r", IDs: []string{"a"},
		Articles: 1, Passages: 2, Pages: 3, When: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	if !sameReport(base, base) {
		t.Fatal("a report differs from itself")
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		changed := base
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch v := f.Interface().(type) {
		case string:
			f.SetString(v + "x")
		case int:
			f.SetInt(int64(v + 1))
		case []string:
			f.Set(reflect.ValueOf(append(slices.Clone(v), "x")))
		case time.Time:
			f.Set(reflect.ValueOf(v.Add(time.Second)))
		default:
			t.Fatalf("FileReport.%s is a %T: teach sameReport and this test to compare it", typ.Field(i).Name, v)
		}
		if sameReport(base, changed) {
			t.Errorf("sameReport misses a change of FileReport.%s", typ.Field(i).Name)
		}
	}
}
