package embedded

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// richDoc is document i of testdata/datadir-v9 with every field of a
// document and its passages set, so that a catalog codec that drops one
// is caught (version v of the document: the log holds later versions).
func richDoc(i, v int) (vectorstore.Document, []vectorstore.Passage) {
	text := fmt.Sprintf("Title %d\n\nFirst passage of document %d, version %d.\nSecond passage, with ünïcode and a tab\t.\n", i, i, v)
	d := vectorstore.Document{
		ID: fmt.Sprintf("doc-%d", i), Source: fmt.Sprintf("dir/doc-%d.epub", i), Format: "epub",
		Title: fmt.Sprintf("Document %d", i), Author: "A. Writer", URL: fmt.Sprintf("https://example.org/%d", i),
		Published: time.Date(2020, 1, 2+i, 3, 4, 5, 6, time.FixedZone("X", 3600)),
		Meta:      map[string]string{"odd": fmt.Sprint(i%2 == 1), "lang": "en"},
		Hash:      fmt.Sprintf("hash-%d-%d", i, v), Text: text,
		Skip: []article.Span{{Start: 0, End: 8}}, Lines: []article.LineRange{{First: 1, Last: 1}, {First: 3, Last: 4}},
		LayoutRecorded: true, Pages: []int{0, 40}, Chapters: []article.Chapter{{Start: 0, Title: "One"}, {Start: 40, Title: "Two"}},
		Indexed: time.Date(2026, 12, 1, 0, 0, i, 0, time.UTC),
	}
	if i == 1 {
		d.Meta = nil // a document without metadata
	}
	var ps []vectorstore.Passage
	for j := range 2 {
		start := 9 + j*40
		ps = append(ps, vectorstore.Passage{Chunk: j, Start: start, End: start + 30, LineStart: 3 + j, LineEnd: 3 + j, Vector: fixtureVector(i, j+v)})
	}
	return d, ps
}

// makeRichDataDir writes richDoc 0..4 to a store in dir, records sources,
// compacts (a snapshot of the current version), then deletes doc-2 and puts
// doc-5 and a second version of doc-3 (in the log).
func makeRichDataDir(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, "fixture", vectorstore.Settings{Model: "fake", Dimensions: 8}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		d, ps := richDoc(i, 0)
		if err := s.Put(ctx, "fixture", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordSources(ctx, "fixture", vectorstore.Sources{Roots: []vectorstore.SourceRoot{{Path: "/data/books", Include: []string{"*.epub"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.compactNow("fixture"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "fixture", "doc-2"); err != nil {
		t.Fatal(err)
	}
	for _, iv := range [][2]int{{5, 0}, {3, 1}} {
		d, ps := richDoc(iv[0], iv[1])
		if err := s.Put(ctx, "fixture", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMakeV9Fixture wrote testdata/datadir-v9 with the code of main at
// 5f87350 (snapshot version 9): SEMSEARCH_MAKE_FIXTURE=DIR writes it to DIR.
func TestMakeV9Fixture(t *testing.T) {
	dir := os.Getenv("SEMSEARCH_MAKE_FIXTURE")
	if dir == "" {
		t.Skip("writes a fixture: set SEMSEARCH_MAKE_FIXTURE=DIR")
	}
	makeRichDataDir(t, dir)
}

// checkRich checks that s holds what makeRichDataDir wrote, field by field,
// against a store written now with the same calls.
func checkRich(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	want := t.TempDir()
	makeRichDataDir(t, want)
	w, err := Open(want, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var keys []vectorstore.PassageKey
	for i := range 6 {
		id := fmt.Sprintf("doc-%d", i)
		got, gerr := s.Document(ctx, "fixture", id)
		exp, eerr := w.Document(ctx, "fixture", id)
		if (gerr == nil) != (eerr == nil) || !reflect.DeepEqual(got, exp) {
			t.Errorf("%s: got %+v (%v)\nwant %+v (%v)", id, got, gerr, exp, eerr)
		}
		for j := range 2 {
			keys = append(keys, vectorstore.PassageKey{DocID: id, Chunk: j})
		}
	}
	got, err := s.Lookup(ctx, "fixture", keys)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := w.Lookup(ctx, "fixture", keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || !reflect.DeepEqual(got, exp) {
		t.Errorf("passages: got %+v\nwant %+v", got, exp)
	}
	src, err := s.Sources(ctx, "fixture")
	if err != nil || len(src.Roots) != 1 || src.Roots[0].Path != "/data/books" {
		t.Errorf("sources %+v, %v", src, err)
	}
	hits, err := s.Query(ctx, "fixture", fixtureVector(3, 2), 3, vectorstore.Filter{Meta: map[string]string{"odd": "true"}})
	if err != nil || len(hits) != 3 || hits[0].DocID != "doc-3" || hits[0].Chunk != 1 || hits[0].Score < 0.9999 {
		t.Errorf("query: %+v, %v", hits, err)
	}
}

// TestSnapshotV9Fixture: a data directory written by main at 5f87350
// (snapshot version 9 with every document field set, and a log after it)
// opens with every field; its compaction rewrites it in the current version,
// which opens to the same.
func TestSnapshotV9Fixture(t *testing.T) {
	dir := copyFixture(t, filepath.Join("testdata", "datadir-v9"))
	path := filepath.Join(dir, "fixture"+fileExt)
	head, _ := os.ReadFile(path)
	if snapshotVersion(string(head[:len(magic)])) != 9 {
		t.Fatal("the fixture is not a version 9 snapshot")
	}
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	checkRich(t, s)
	if err := s.compactNow("fixture"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if head, _ := os.ReadFile(path); string(head[:len(magic)]) != magic {
		t.Fatal("compaction did not write a snapshot of the current version")
	}
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRich(t, s)
}

// TestSnapshotV10Sections: a flipped byte in any part of a version 10
// snapshot is found and reported with the file and the part: the header,
// catalog and scales when the collection opens; the vector sections (and
// their checksums) in the background, after which the collection's queries
// and writes fail, and a compaction refuses to copy the damage into a new
// file (the damaged one stays as it is). Before version 10 the whole file
// was checked before the collection opened, so opening with a damaged
// vector failed.
func TestSnapshotV10Sections(t *testing.T) {
	src := t.TempDir()
	makeRichDataDir(t, src)
	s, err := Open(src, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.compactNow("fixture"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(src, "fixture"+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	if string(good[:len(magic)]) != magic {
		t.Fatal("not a snapshot of the current version")
	}
	le := func(b []byte) uint64 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	catEnd := int64(len(magic)+16) + int64(le(good[len(magic)+8:len(magic)+16]))
	nvec, dims := le(good[catEnd+4:catEnd+12]), le(good[catEnd:catEnd+4])
	f32, i8, sign, scale, size := vecLayout(catEnd+20, nvec, dims, v10Trailer)
	if size != int64(len(good)) {
		t.Fatalf("layout gives %d bytes, file has %d", size, len(good))
	}
	tests := []struct {
		name    string
		at      int64
		atOpen  bool
		mention string
	}{
		{"header", int64(len(magic)) + 3, true, "catalog"},
		{"catalog", catEnd - 10, true, "catalog"},
		{"float32", f32 + 5, false, "float32"},
		{"padding after int8", sign - 1, false, "int8"},
		{"padding before float32", f32 - 1, true, "catalog"},
		{"int8", (i8 + sign) / 2, false, "int8"},
		{"sign bits", sign + 3, false, "sign bits"},
		{"scales", scale + 2, true, "scales"},
		{"checksum of the int8 section", size - 3*crcBytes, false, "int8"},
		{"checksum of the scales", size - 1, true, "scales"},
	}
	if sign-1 < i8+int64(nvec*dims) || f32-1 < catEnd+20 {
		t.Fatal("the fixture's sections have no padding to test")
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t, src)
			path := filepath.Join(dir, "fixture"+fileExt)
			bad := slices.Clone(good)
			bad[tc.at] ^= 0x10
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, Options{CompactMinBytes: -1})
			if err != nil {
				t.Fatal(err)
			}
			// The verification waits until the first query is answered.
			release := make(chan struct{})
			s.testHookVerify = func() { <-release }
			defer s.Close()
			_, err = s.Collection(ctx, "fixture")
			if tc.atOpen != (err != nil) {
				t.Fatalf("opening: %v; want an error at open: %v", err, tc.atOpen)
			}
			if err == nil {
				// Queries run meanwhile; the damage is found behind them.
				if _, err := s.Query(ctx, "fixture", fixtureVector(0, 0), 2, vectorstore.Filter{}); err != nil {
					t.Fatalf("query before the verification ended: %v", err)
				}
				close(release)
				if !waitVerified(s, "fixture") {
					t.Fatal("no verification of the vector sections")
				}
				_, err = s.Query(ctx, "fixture", fixtureVector(0, 0), 2, vectorstore.Filter{})
				if err == nil {
					t.Fatal("a query of the damaged collection succeeded")
				}
				d, ps := richDoc(7, 0)
				if perr := s.Put(ctx, "fixture", d, ps); perr == nil {
					t.Error("a write to the damaged collection succeeded")
				}
				if cerr := s.compactNow("fixture"); cerr == nil {
					t.Error("the damaged collection was compacted")
				}
			}
			for _, want := range []string{path, tc.mention, "re-index"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			s.Close()
			if now, _ := os.ReadFile(path); !bytes.Equal(now, bad) {
				t.Error("the damaged file was changed")
			}
		})
	}
}

// TestSnapshotV10ReuseWhileVerifying: slots freed in mapped blocks are not
// reused while the vectors are being verified (a reused slot writes to a
// private copy of the mapped page, which the verifier would read as
// damage); afterwards they are.
func TestSnapshotV10ReuseWhileVerifying(t *testing.T) {
	dir := t.TempDir()
	makeRichDataDir(t, dir)
	ctx := context.Background()
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.compactNow("fixture"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	s.testHookVerify = func() { <-release }
	if _, err := s.Collection(ctx, "fixture"); err != nil {
		t.Fatal(err)
	}
	for _, iv := range [][2]int{{0, 3}, {6, 0}, {1, 3}, {7, 0}} { // replace (frees two slots), then add
		d, ps := richDoc(iv[0], iv[1])
		if err := s.Put(ctx, "fixture", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	waitVerified(s, "fixture")
	if _, err := s.Query(ctx, "fixture", fixtureVector(6, 1), 1, vectorstore.Filter{}); err != nil {
		t.Fatalf("after writes during the verification: %v", err)
	}
	s.mu.RLock()
	free := len(s.cols["fixture"].arena.free)
	s.mu.RUnlock()
	d, ps := richDoc(8, 0)
	if err := s.Put(ctx, "fixture", d, ps); err != nil {
		t.Fatal(err)
	}
	s.mu.RLock()
	after := len(s.cols["fixture"].arena.free)
	s.mu.RUnlock()
	if free == 0 || after != free-2 {
		t.Errorf("free slots %d before a put of 2 passages after the verification, %d after; want them reused", free, after)
	}
}

// TestSnapshotV9RewrittenByWriter: a writer that keeps a version 9
// collection loaded a minute (serve, watch) rewrites it in the current
// version in the background, so that the slower open of version 9 (a
// catalog decoded by gob, every vector checked first) is paid once after
// an upgrade, not at every start until the log happens to grow enough for
// a compaction. A short command (closed before that) does not wait for a
// rewrite as it closes, and a read-only store leaves the file as it is.
func TestSnapshotV9RewrittenByWriter(t *testing.T) {
	for _, c := range []struct {
		name     string
		readOnly bool
		stay     time.Duration
		want     int
	}{
		{"writer that stays", false, 2 * time.Minute, snapshotVersion(magic)},
		{"short command", false, time.Second, 9},
		{"read-only", true, 2 * time.Minute, 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t, filepath.Join("testdata", "datadir-v9"))
			path := filepath.Join(dir, "fixture"+fileExt)
			synctest.Test(t, func(t *testing.T) {
				s, err := Open(dir, Options{ReadOnly: c.readOnly})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Hashes(t.Context(), "fixture"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(c.stay)
				synctest.Wait()
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			})
			head, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshotVersion(string(head[:len(magic)])); got != c.want {
				t.Fatalf("the snapshot is version %d, want %d", got, c.want)
			}
			s := mustOpen(t, dir, Options{ReadOnly: true})
			checkRich(t, s)
		})
	}
}
