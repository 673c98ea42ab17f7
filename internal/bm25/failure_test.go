package bm25

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// noPanic runs fn, turning a panic into a test failure.
func noPanic(t *testing.T, what string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	return fn()
}

func hashIDs(t *testing.T, ix *Index) []string {
	t.Helper()
	var h map[string]string
	err := noPanic(t, "Hashes", func() (err error) {
		h, err = ix.Hashes(t.Context())
		return err
	})
	if err != nil {
		t.Fatalf("Hashes: %v", err)
	}
	return slices.Sorted(maps.Keys(h))
}

// smallDisk returns a directory on a tmpfs of size bytes (root only).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file that takes every free byte of dir's file system.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestIndex_fullDisk: on a full disk a write fails with ENOSPC and loses
// nothing written before; once space is freed, writes work again, and the
// files hold exactly what was acknowledged.
func TestIndex_fullDisk(t *testing.T) {
	disk := smallDisk(t, "1m")
	dir := filepath.Join(disk, "c.bm25")
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	put(t, ix, "a", "alpha words")
	filler := filepath.Join(disk, "filler")
	fill(t, filler)

	// More than the last page of the log has left: distinct words.
	big := make([]Passage, 2000)
	for i := range big {
		big[i] = Passage{Chunk: i, Text: fmt.Sprintf("beta word%d term%d", i, i)}
	}
	err = noPanic(t, "Replace", func() error { return ix.Replace(t.Context(), "b", "hash-b", big) })
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Replace on a full disk: %v, want an error matching syscall.ENOSPC", err)
	}
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after the failed write: documents %v, want [a]", got)
	}
	if got := ids(mustSearch(t, ix, "beta", 5, nil)); len(got) != 0 {
		t.Errorf("search beta after the failed write: %v, want nothing", got)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	put(t, ix, "c", "gamma words")
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("after space was freed: documents %v, want [a c]", got)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("reopened: documents %v, want [a c]", got)
	}
	if got := ids(mustSearch(t, ix, "gamma", 5, nil)); !slices.Equal(got, []string{"c/0"}) {
		t.Errorf("reopened, search gamma: %v", got)
	}
}

// TestIndex_fullDiskCompaction: a new generation that does not fit leaves
// the current one in use, every write acknowledged stays, and the logger
// says so.
func TestIndex_fullDiskCompaction(t *testing.T) {
	disk := smallDisk(t, "1m")
	dir := filepath.Join(disk, "c.bm25")
	var logged strings.Builder
	ix, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	put(t, ix, "a", "alpha words")
	fill(t, filepath.Join(disk, "filler"))
	// Closing writes a segment, which no longer fits.
	if err := ix.Close(); err != nil {
		t.Fatalf("Close on a full disk: %v", err)
	}
	if !strings.Contains(logged.String(), "could not be written at close") || !strings.Contains(logged.String(), "no space left") {
		t.Errorf("logged: %q, want the generation that failed and why", logged.String())
	}
	ix, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer ix.Close()
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a"}) {
		t.Errorf("reopened: documents %v, want [a]", got)
	}
}

// twoRecordIndex returns a copy of an index whose log holds two batches
// (documents a and b) and no segment, as a writer left it, and the log's
// path.
func twoRecordIndex(t *testing.T) (dir, log string) {
	t.Helper()
	ix, src := openTemp(t, Options{})
	put(t, ix, "a", "alpha words")
	put(t, ix, "b", "beta words")
	dir = filepath.Join(t.TempDir(), "copy.bm25")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	os.Remove(filepath.Join(dir, lockFile))
	return dir, logPath(dir, 1)
}

// TestIndex_tornLog: a batch a crash cut short is dropped (it was never
// acknowledged), by readers and writers alike, and the writer's next batch
// follows the last whole one.
func TestIndex_tornLog(t *testing.T) {
	dir, log := twoRecordIndex(t)
	fi, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(log, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a torn log: %v", err)
	}
	if got := hashIDs(t, r); !slices.Equal(got, []string{"a"}) {
		t.Errorf("reader: documents %v, want [a]", got)
	}
	r.Close()
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("writable open of a torn log: %v", err)
	}
	put(t, w, "c", "gamma words")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := hashIDs(t, w); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("after a write and a reopen: documents %v, want [a c]", got)
	}
}

// TestIndex_zeroTail: a log whose size reached the disk before its data (a
// crash on some file systems) ends in zeros; they are a torn write, not
// damage.
func TestIndex_zeroTail(t *testing.T) {
	dir, log := twoRecordIndex(t)
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 100))
	f.Close()
	for _, ro := range []bool{true, false} {
		ix, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("read-only %t: %v", ro, err)
		}
		if got := hashIDs(t, ix); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("read-only %t: documents %v, want [a b]", ro, got)
		}
		if !ro {
			put(t, ix, "c", "gamma")
		}
		ix.Close()
	}
}

// TestIndex_moreTokensThanBytes: a passage repeating a word thousands of
// times holds more tokens than its segment has bytes; the segment is valid.
func TestIndex_moreTokensThanBytes(t *testing.T) {
	ix, dir := openTemp(t, Options{})
	put(t, ix, "a", strings.Repeat("zebra ", 5000))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer ix.Close()
	if got := ids(mustSearch(t, ix, "zebra", 1, nil)); !slices.Equal(got, []string{"a/0"}) {
		t.Errorf("search: %v", got)
	}
}

// TestOpen_damagedFiles: files that fail their checksums, or that the
// index names but are gone, are ErrDamaged, for readers and writers.
func TestOpen_damagedFiles(t *testing.T) {
	flip := func(at func(size int) int) func(string) error {
		return func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[at(len(b))] ^= 0x10
			return os.WriteFile(p, b, 0o600)
		}
	}
	truncate := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		return os.Truncate(p, fi.Size()/2)
	}
	compacted := func(t *testing.T) string { return oneDocIndex(t) } // generation 2: a segment, an empty log
	logged := func(t *testing.T) string { d, _ := twoRecordIndex(t); return d }
	for _, tc := range []struct {
		name  string
		index func(*testing.T) string
		file  string
		do    func(p string) error
	}{
		{"truncated segment", compacted, "seg.2", truncate},
		{"bit-flipped segment", compacted, "seg.2", flip(func(n int) int { return n / 2 })},
		{"missing segment", compacted, "seg.2", os.Remove},
		{"missing log", compacted, "log.2", os.Remove},
		{"bit-flipped CURRENT", compacted, currentFile, flip(func(n int) int { return n - 6 })},
		{"empty CURRENT", compacted, currentFile, func(p string) error { return os.Truncate(p, 0) }},
		{"missing CURRENT", compacted, currentFile, os.Remove},
		{"bit-flipped first log record", logged, "log.1", flip(func(int) int { return logHeaderSize + recordHeaderSize + 2 })},
		{"bit-flipped length of the first log record", logged, "log.1", flip(func(int) int { return logHeaderSize + 1 })},
		{"bit-flipped checksum of the first log record", logged, "log.1", flip(func(int) int { return logHeaderSize + 9 })},
		{"bit-flipped log header", logged, "log.1", flip(func(int) int { return 2 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.index(t)
			if err := tc.do(filepath.Join(dir, tc.file)); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{true, false} {
				ix, err := Open(dir, Options{ReadOnly: ro})
				if err == nil {
					ix.Close()
				}
				if !errors.Is(err, ErrDamaged) {
					t.Errorf("read-only %t: %v, want ErrDamaged", ro, err)
				}
			}
		})
	}
}

// TestOpen_legacyIndex: an index in the format semsearch kept before (a
// bleve index, from a committed data directory) is ErrDamaged, saying which
// format it is in, and is not touched.
func TestOpen_legacyIndex(t *testing.T) {
	src := "../../cmd/semsearch/testdata/datadir-v8/data/default.bm25"
	dir := filepath.Join(t.TempDir(), "default.bm25")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, ro := range []bool{true, false} {
		ix, err := Open(dir, Options{ReadOnly: ro})
		if err == nil {
			ix.Close()
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(fmt.Sprint(err), "format 1") {
			t.Errorf("read-only %t: %v, want ErrDamaged naming format 1", ro, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		t.Errorf("the old index was touched: %v", err)
	}
}
