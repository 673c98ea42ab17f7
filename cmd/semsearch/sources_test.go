package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirV6 opens a data directory written before collections
// recorded their sources (testdata/datadir-v6, snapshot v6, log v3): it is
// searched, has no sources, and indexing a folder into it records the
// folder in a current (v4) log, which a compaction puts in a v8 snapshot.
func TestDataDirV6(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v6/data", data)
	base := []string{"--ollama", f.URL, "--data", data}
	out, stderr, err := run(t, "", append(base, "search", "-k", "2", "harbour wall storm")...)
	if err != nil || !strings.Contains(out, "id harbour.html") {
		t.Fatalf("search of the v6 data directory: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run(t, "", append(base, "sources")...)
	if err != nil || !strings.Contains(out, "no recorded sources") {
		t.Fatalf("sources of the v6 data directory: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := run(t, "", append(base, "sync")...); err == nil || !strings.Contains(err.Error(), "no recorded sources") {
		t.Errorf("sync without sources: %v\n%s%s", err, out, stderr)
	}
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "pollen.md"), []byte("# Pollen\n\nBees carry pollen.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, err := run(t, "", append(base, "index", docs)...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	wal, err := os.ReadFile(filepath.Join(data, "default.wal"))
	if err != nil || !strings.HasPrefix(string(wal), "semsearch log v6\n") {
		t.Errorf("log starts %.17q, %v", wal, err)
	}
	// A rebuild writes a new snapshot (of the current version), which
	// keeps the sources.
	if out, stderr, err := run(t, "", append(base, "index", "--rebuild")...); err != nil {
		t.Fatalf("index --rebuild: %v\n%s%s", err, out, stderr)
	}
	snap, err := os.ReadFile(filepath.Join(data, "default.collection"))
	if err != nil || !strings.HasPrefix(string(snap), "semsearch collection v10") {
		t.Errorf("snapshot starts %.24q, %v", snap, err)
	}
	out, _, err = run(t, "", append(base, "sources", "--json", "--files")...)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Roots []struct{ Path string }
		Files []struct {
			Path, Status string
			Passages     int
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Roots) != 1 || got.Roots[0].Path != docs || len(got.Files) != 1 || got.Files[0].Status != "indexed" || got.Files[0].Passages != 1 {
		t.Errorf("sources after indexing a folder: %s", out)
	}
	// Without --files the answer has no files key (not "files": null,
	// which reads as "no files").
	out, _, err = run(t, "", append(base, "sources", "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, ok := keys["files"]; ok || keys["roots"] == nil {
		t.Errorf("sources --json without --files: %s", out)
	}
}

// TestDataDirV7 opens a data directory written before collections
// recorded their sources (testdata/datadir-v7, snapshot v7 with its
// listing summary, log v3): it is searched and listed, and after a folder
// is indexed into it (a sources record last in its log) it is listed, from
// the log, with the right counts.
func TestDataDirV7(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v7/data", data)
	base := []string{"--ollama", f.URL, "--data", data}
	out, stderr, err := run(t, "", append(base, "search", "-k", "2", "harbour wall storm")...)
	if err != nil || !strings.Contains(out, "id harbour.html") {
		t.Fatalf("search of the v7 data directory: %v\n%s%s", err, out, stderr)
	}
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "pollen.md"), []byte("# Pollen\n\nBees carry pollen.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, err := run(t, "", append(base, "index", docs)...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run(t, "", append(base, "collections")...)
	if err != nil || !strings.Contains(out, "default\t5 articles, 5 passages") {
		t.Errorf("collections after the sources record: %v\n%s%s", err, out, stderr)
	}
	out, _, err = run(t, "", append(base, "sources")...)
	if err != nil || !strings.Contains(out, docs) {
		t.Errorf("sources: %v\n%s", err, out)
	}
}

// TestDataDirV8: a data directory of snapshot version 8 (sources in its
// catalog's log record, laid out before snapshots were mapped) is listed,
// searched and written, and keeps the sources it recorded; its first
// compaction rewrites it in the current version.
func TestDataDirV8(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v8/data", data)
	base := []string{"--ollama", f.URL, "--data", data}
	out, stderr, err := run(t, "", append(base, "collections")...)
	if err != nil || !strings.Contains(out, "default\t4 articles") {
		t.Fatalf("collections of the v8 data directory: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run(t, "", append(base, "search", "-k", "2", "harbour wall storm")...)
	if err != nil || !strings.Contains(out, "id harbour.html") {
		t.Fatalf("search of the v8 data directory: %v\n%s%s", err, out, stderr)
	}
	out, _, err = run(t, "", append(base, "sources")...)
	if err != nil || !strings.Contains(out, "datadir-v4/corpus") {
		t.Errorf("sources recorded in v8: %v\n%s", err, out)
	}
	if out, stderr, err := run(t, "The lighthouse lamp was cleaned on Sunday.\n", append(base, "index", "--id", "note2", "--title", "Lamp note", "-")...); err != nil {
		t.Fatalf("index into v8: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run(t, "", append(base, "search", "-k", "1", "lighthouse lamp cleaned")...)
	if err != nil || !strings.Contains(out, "id note2") {
		t.Errorf("search after a write: %v\n%s%s", err, out, stderr)
	}
	// The writer upgraded the log (version 4, whose sources record
	// replaces them whole) to the current version, and the sources read
	// from the version 4 record are still there.
	if wal, err := os.ReadFile(filepath.Join(data, "default.wal")); err != nil || !strings.HasPrefix(string(wal), "semsearch log v6\n") {
		t.Errorf("log after a write starts %.17q, %v", wal, err)
	}
	out, _, err = run(t, "", append(base, "sources")...)
	if err != nil || !strings.Contains(out, "datadir-v4/corpus") {
		t.Errorf("sources after the log's upgrade: %v\n%s", err, out)
	}
}

// TestSourcesFiles: index records each file with what it did (indexed,
// unchanged, skipped with the reason), and sync removes a deleted file's
// articles, keeps those of a file that fails to load, and moves a renamed
// one without embedding it.
func TestSourcesFiles(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	data, docs := t.TempDir(), t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(docs, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bees.md", "# Bees\n\nBees need water.\n")
	write("gone.md", "# Gone\n\nThis file will be deleted.\n")
	write("broken.json", `{"id": "j1", "text": "JSON that will break later"}`)
	write("big.txt", strings.Repeat("big ", 400))
	base := append(f.flags(data), "-c", "notes")
	if out, stderr, err := run(t, "", append(base, "index", "--max-file-size", "1000", "--exclude", "*.tmp", docs)...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	files := func() map[string]string {
		t.Helper()
		out, stderr, err := run(t, "", append(base, "sources", "--files")...)
		if err != nil {
			t.Fatalf("sources --files: %v\n%s", err, stderr)
		}
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			fields := strings.Fields(line)
			for _, fl := range fields {
				if strings.HasPrefix(fl, docs) {
					got[strings.TrimPrefix(fl, docs+"/")] = fields[0] + " " + fields[1] + " " + strings.Join(fields[slicesIndex(fields, fl)+1:], " ")
				}
			}
		}
		return got
	}
	got := files()
	if !strings.HasPrefix(got["bees.md"], "indexed 1") || !strings.HasPrefix(got["broken.json"], "indexed 1") ||
		!strings.HasPrefix(got["big.txt"], "skipped 0 file too large") {
		t.Fatalf("after index: %q", got)
	}
	out, _, err := run(t, "", append(base, "sources")...)
	if err != nil || !strings.Contains(out, docs+"  --exclude *.tmp --max-file-size 1000") || !strings.Contains(out, "4 files: 3 indexed, 0 unchanged, 1 skipped") {
		t.Errorf("sources: %v\n%s", err, out)
	}

	before := f.embeds.Load()
	os.Remove(filepath.Join(docs, "gone.md"))
	write("broken.json", `{"id": "j1", "text": `)
	write("sub/.keep", "")
	if err := os.Rename(filepath.Join(docs, "bees.md"), filepath.Join(docs, "sub", "bees.md")); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run(t, "", append(base, "sync")...)
	if err != nil || !strings.Contains(out, `synced "notes": 0 new (1 moved), 0 updated, 0 unchanged, 2 removed`) {
		t.Fatalf("sync: %v\n%s%s", err, out, stderr)
	}
	if n := f.embeds.Load() - before; n != 0 {
		t.Errorf("sync embedded %d times, want nothing (a move, a removal, a failure)", n)
	}
	got = files()
	if _, ok := got["gone.md"]; ok {
		t.Errorf("the deleted file is still reported: %q", got)
	}
	if !strings.HasPrefix(got["broken.json"], "failed 1") || !strings.HasPrefix(got["sub/bees.md"], "indexed 1 moved from bees.md") {
		t.Errorf("after sync: %q", got)
	}
	out, _, _ = run(t, "", append(base, "search", "--mode", "bm25", "-k", "5", "JSON break later")...)
	if !strings.Contains(out, "id j1") {
		t.Errorf("the article of the file that failed to load is gone:\n%s", out)
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
