package bm25

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCollections_readerNeverLocksWriter: a read-only reader (a `semsearch
// mcp` without --writes) that searched an index first must not keep a
// writer (`semsearch serve`) out of it afterwards; while the writer holds
// it, the reader's searches fail fast with ErrLocked (the engine then
// answers by vectors), and after the writer is gone the reader sees what
// it wrote.
func TestCollections_readerNeverLocksWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w0, err := Open(filepath.Join(dir, "news.bm25"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w0.ReplaceMany(ctx, Document{ID: "a", Hash: "1", Passages: []Passage{{Text: "Quagga zebras roam near Etosha."}}}); err != nil {
		t.Fatal(err)
	}
	w0.Close()

	ro := OpenCollections(dir, Options{ReadOnly: true})
	defer ro.Close()
	search := func(q string) ([]Hit, error) {
		var hits []Hit
		err := ro.Use("news", func(ix *Index) error {
			var err error
			hits, err = ix.Search(ctx, q, 5, nil)
			return err
		})
		return hits, err
	}
	if hits, err := search("quagga"); err != nil || len(hits) != 1 {
		t.Fatalf("reader's first search: %v %v", hits, err)
	}

	start := time.Now()
	w, err := Open(filepath.Join(dir, "news.bm25"), Options{})
	if err != nil {
		t.Fatalf("writer after a reader searched: %v (the reader locks the writer out)", err)
	}
	if err := w.ReplaceMany(ctx, Document{ID: "b", Hash: "2", Passages: []Passage{{Text: "Okapi sightings in Ituri."}}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("writer opened and wrote in %v", time.Since(start))

	start = time.Now()
	if _, err := search("okapi"); !errors.Is(err, ErrLocked) {
		t.Errorf("reader's search while the writer holds the index: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("reader took %v to see the writer's lock, want it at once", d)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if hits, err := search("okapi"); err != nil || len(hits) != 1 || hits[0].DocID != "b" {
		t.Errorf("reader's search after the writer left: %v %v, want the writer's document b", hits, err)
	}
}

// TestOpen_writerWaitsForReader: a writer that opens while a reader is in
// the middle of a search waits for it (a moment) instead of failing.
func TestOpen_writerWaitsForReader(t *testing.T) {
	src := oneDocIndex(t)
	r, err := Open(src, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		r.Close()
	}()
	w, err := Open(src, Options{})
	if err != nil {
		t.Fatalf("writer while a reader held the index for 200ms: %v", err)
	}
	w.Close()
}
