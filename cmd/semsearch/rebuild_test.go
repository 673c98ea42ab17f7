package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// storedDocs opens the embedded store in data and returns the collection
// and its documents with their passages, by id.
func storedDocs(t *testing.T, data, collection string) (vectorstore.Collection, map[string][]vectorstore.Hit, map[string]vectorstore.Document) {
	t.Helper()
	ctx := context.Background()
	s, err := embedded.Open(data, embedded.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	col, err := s.Collection(ctx, collection)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := s.Documents(ctx, collection, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	hits, docs := map[string][]vectorstore.Hit{}, map[string]vectorstore.Document{}
	for _, d := range list {
		doc, h, err := vectorstore.DocumentPassages(ctx, s, collection, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		hits[d.ID], docs[d.ID] = h, doc
	}
	return col, hits, docs
}

// TestIndex_RebuildKeepsUnnamedArticles is issue 19's repro: a note added
// from stdin is not on the rebuild's command line, and must survive it,
// re-chunked with the new settings like the rest.
func TestIndex_RebuildKeepsUnnamedArticles(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data, folder := t.TempDir(), t.TempDir()
	long := strings.Repeat("The harbour wall was repaired after the storm, and the ferry runs again. ", 30)
	for name, text := range map[string]string{
		"a.txt": "Harbour news\n\n" + long,
		"b.md":  "---\ntitle: Bees\n---\n\n# Bees\n\n" + strings.Repeat("Rooftop hives give city honey in summer. ", 40),
	} {
		if err := os.WriteFile(filepath.Join(folder, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := f.flags(data)
	if _, stderr, err := run(t, "", append(flags, "index", folder)...); err != nil {
		t.Fatalf("index: %v\n%s", err, stderr)
	}
	note := "Permit note\n\n" + strings.Repeat("Renew the harbour permit before the storm season and call the engineers. ", 25)
	if _, stderr, err := run(t, note, append(flags, "index", "--id", "note1", "-")...); err != nil {
		t.Fatalf("index note: %v\n%s", err, stderr)
	}
	_, before, _ := storedDocs(t, data, "default")
	out, stderr, err := run(t, "", append(flags, "index", "--rebuild", "--dry-run", "--chunk-size", "100", folder)...)
	if err != nil || !strings.Contains(out, "0 new, 0 updated, 2 unchanged") || !strings.Contains(out, "1 of them from the stored text") {
		t.Errorf("index --rebuild --dry-run: %v\n%s%s", err, out, stderr)
	}
	start := time.Now()
	out, stderr, err = run(t, "", append(flags, "index", "--rebuild", "--chunk-size", "100", folder)...)
	if err != nil {
		t.Fatalf("index --rebuild: %v\n%s%s", err, out, stderr)
	}
	col, after, docs := storedDocs(t, data, "default")
	if !strings.Contains(col.Settings.Chunking, "size=100") {
		t.Errorf("collection chunking %q, want size=100", col.Settings.Chunking)
	}
	for _, id := range []string{"a.txt", "b.md", "note1"} {
		if _, ok := after[id]; !ok {
			t.Errorf("%s is gone after the rebuild (output %q)", id, out)
			continue
		}
		if !docs[id].Indexed.After(start) {
			t.Errorf("%s was not re-embedded: indexed %s, rebuild started %s", id, docs[id].Indexed, start)
		}
		if spans(after[id]) == spans(before[id]) {
			t.Errorf("%s has the same passages after the rebuild with --chunk-size 100 as before (%s): not re-chunked", id, spans(after[id]))
		}
	}
	for _, h := range after["b.md"] {
		if strings.Contains(h.Text, "title: Bees") {
			t.Errorf("b.md passage %d holds the front matter: %q", h.Chunk, h.Text)
		}
	}
	// The BM25 index holds the rebuilt passages: a keyword search cites them.
	out, stderr, err = run(t, "", append(flags, "search", "--mode", "bm25", "-k", "50", "permit engineers")...)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "id note1") {
		t.Errorf("bm25 search does not find note1 after the rebuild:\n%s", out)
	}
}

// spans lists the byte ranges of passages, for comparison.
func spans(hits []vectorstore.Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "[%d,%d)", h.Start, h.End)
	}
	return b.String()
}

// copyDir copies the directory tree src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDataDirV3 opens a data directory written before documents recorded
// their skip spans and line map (testdata/datadir-v3, made by an older
// semsearch), searches it, and rebuilds it from the store alone: the
// rebuilt passages keep out what the original run kept out (front matter,
// a byline and dateline) and cite the HTML page's lines as before.
func TestDataDirV3(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v3/data", data)
	flags := f.flags(data)
	out, stderr, err := run(t, "", append(flags, "search", "-k", "2", "harbour wall storm")...)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "id harbour.html") || !strings.Contains(out, "id note1") {
		t.Errorf("search of the old data directory:\n%s", out)
	}
	out, stderr, err = run(t, "", append(flags, "index", "--rebuild", "--chunk-size", "12", "--chunk-overlap", "0")...)
	if err != nil {
		t.Fatalf("index --rebuild: %v\n%s%s", err, out, stderr)
	}
	col, hits, docs := storedDocs(t, data, "default")
	if col.Documents != 4 || !strings.Contains(col.Settings.Chunking, "size=12") {
		t.Fatalf("after the rebuild: %+v", col)
	}
	for id, hs := range hits {
		if len(hs) < 2 {
			t.Errorf("%s: %d passages after rebuilding with 12-word passages", id, len(hs))
		}
		if docs[id].Text == "" {
			t.Errorf("%s lost its text", id)
		}
	}
	for _, h := range hits["bees.md"] {
		if h.Start < strings.Index(docs["bees.md"].Text, "# Bees") {
			t.Errorf("bees.md passage %d starts in the front matter: %q", h.Chunk, h.Text)
		}
	}
	for _, h := range hits["rates.txt"] {
		if strings.Contains(h.Text, "Sam Ledger") || strings.Contains(h.Text, "March 3") {
			t.Errorf("rates.txt passage %d holds the byline or dateline: %q", h.Chunk, h.Text)
		}
	}
	for _, h := range hits["harbour.html"] {
		// The page's article text is on lines 11-20 of the file.
		if h.LineStart < 11 || h.LineEnd > 20 || h.LineStart > h.LineEnd {
			t.Errorf("harbour.html passage %d cites lines %d-%d, outside the article's 11-20", h.Chunk, h.LineStart, h.LineEnd)
		}
	}
	for _, h := range hits["note1"] {
		if h.LineStart < 1 || h.LineEnd > 2 {
			t.Errorf("note1 passage %d cites lines %d-%d of a 2-line note", h.Chunk, h.LineStart, h.LineEnd)
		}
	}
	for id, d := range docs {
		if !d.LayoutRecorded {
			t.Errorf("%s: rebuilt document has no recorded layout", id)
		}
	}
	out, stderr, err = run(t, "", append(flags, "search", "--mode", "bm25", "-k", "3", "permit engineers")...)
	if err != nil || !strings.Contains(out, "id note1") {
		t.Errorf("bm25 search after the rebuild: %v\n%s%s", err, out, stderr)
	}
}
