package bm25

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// format2Fixture is an index in format 2 as semsearch wrote it when the
// format was new: a segment (documents a and b) and a log of two batches
// after it (c added, a deleted). Later versions must still open it.
const format2Fixture = "testdata/format2.bm25"

// TestFormat2Fixture: the committed format 2 index opens, for reading and
// for writing, with what it held.
func TestFormat2Fixture(t *testing.T) {
	if os.Getenv("SEMSEARCH_WRITE_FIXTURE") != "" {
		writeFormat2Fixture(t)
	}
	for _, ro := range []bool{true, false} {
		dir := filepath.Join(t.TempDir(), "f.bm25")
		if out, err := exec.Command("cp", "-a", format2Fixture, dir).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		ix, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("read-only %t: %v", ro, err)
		}
		wantCount(t, ix, 2, 3)
		h, err := ix.Hashes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"b": "hash-b", "c": "hash-c"}; !maps.Equal(h, want) {
			t.Errorf("read-only %t: hashes %v, want %v", ro, h, want)
		}
		if got := ids(mustSearch(t, ix, "harbour storm", 5, nil)); !slices.Equal(got, []string{"c/1", "b/0"}) {
			t.Errorf("read-only %t: search harbour storm: %v", ro, got)
		}
		if got := mustSearch(t, ix, "quagga", 5, nil); len(got) != 0 {
			t.Errorf("read-only %t: the deleted document a is found: %v", ro, got)
		}
		if !ro {
			put(t, ix, "d", "storm")
			wantCount(t, ix, 3, 4)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// writeFormat2Fixture writes format2Fixture (SEMSEARCH_WRITE_FIXTURE=1).
func writeFormat2Fixture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w.bm25")
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, ix, "a", "Quagga zebras roam near Etosha.")
	put(t, ix, "b", "The harbour wall held in the storm.")
	if err := ix.Close(); err != nil { // writes the segment
		t.Fatal(err)
	}
	if ix, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	put(t, ix, "c", "Engineers inspected the outer wall.", "Harbour storm damage was repaired before the storm season.")
	if err := ix.Delete(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	// Copied while open, so that the log keeps its batches.
	os.RemoveAll(format2Fixture)
	if out, err := exec.Command("cp", "-a", dir, format2Fixture).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	os.Remove(filepath.Join(format2Fixture, lockFile))
}
