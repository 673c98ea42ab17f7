package embedded

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestReplaceCollection_CrashBeforeNewLog: a crash after the switched
// snapshot is in place but before the new change log is written leaves the
// replaced collection's log (and the staging files). Opening must give the
// staged contents only: the old log's records, older than the switch, are
// not replayed over them, neither by a reader nor by a writer.
func TestReplaceCollection_CrashBeforeNewLog(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	set := vectorstore.Settings{Model: "m", Dimensions: testDims}
	s := mustOpen(t, dir, Options{CompactMinBytes: -1})
	old, staged := map[string]string{}, map[string]string{}
	for _, c := range []string{"c", "stage"} {
		if _, err := s.CreateCollection(ctx, c, set); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"a", "b", "c"} {
		d, ps := testDoc(rng, id, "old", 2)
		mustPut(t, s, "c", d, ps)
		old[id] = "old"
		if i > 0 {
			d, ps = testDoc(rng, id, "new", 2)
			mustPut(t, s, "stage", d, ps)
			staged[id] = "new"
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	saved := map[string][]byte{}
	for _, f := range []string{"c.wal", "stage.collection", "stage.wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		saved[f] = b
	}
	if err := s.ReplaceCollection(ctx, "c", "stage"); err != nil {
		t.Fatal(err)
	}
	checkContents(t, s, "c", staged, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The crash: the old log and the staging files are back.
	for f, b := range saved {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", staged, 2)
	r.Close()
	w := mustOpen(t, dir, Options{})
	checkContents(t, w, "c", staged, 2)
	checkContents(t, w, "stage", staged, 2) // left for the next rebuild to delete
	d, ps := testDoc(rng, "d", "later", 2)
	mustPut(t, w, "c", d, ps)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = mustOpen(t, dir, Options{})
	want := map[string]string{"b": "new", "c": "new", "d": "later"}
	checkContents(t, w, "c", want, 2)
	// The log of the switched collection is a version 2 log.
	b, err := os.ReadFile(filepath.Join(dir, "c.wal"))
	if err != nil || !strings.HasPrefix(string(b), walMagic) {
		t.Errorf("c.wal starts %q (%v), want %q", b[:min(len(b), len(walMagic))], err, walMagic)
	}
}

// TestOpen_UpgradesVersion1Log: a writer opening a version 1 change log
// marks it version 2 before appending records an older semsearch would
// read without their new fields; a reader leaves it alone.
func TestOpen_UpgradesVersion1Log(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	s := mustOpen(t, dir, Options{CompactMinBytes: -1})
	if _, err := s.CreateCollection(ctx, "c", vectorstore.Settings{Model: "m", Dimensions: testDims}); err != nil {
		t.Fatal(err)
	}
	d, ps := testDoc(rng, "a", "v1", 2)
	mustPut(t, s, "c", d, ps)
	s.Close()
	path := filepath.Join(dir, "c.wal")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(b, walMagicV1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", map[string]string{"a": "v1"}, 2)
	r.Close()
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), walMagicV1) {
		t.Errorf("a reader changed the log's header")
	}
	w := mustOpen(t, dir, Options{})
	checkContents(t, w, "c", map[string]string{"a": "v1"}, 2)
	w.Close()
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), walMagic) {
		t.Errorf("log header after a writer opened it: %q, want %q", b[:len(walMagic)], walMagic)
	}
}
