package bm25_test

import (
	"errors"
	"testing"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/engine"
)

var _ engine.KeywordIndex = bm25.KeywordIndex{}

// TestKeywordIndex: the engine's keyword index on bm25 collections stores,
// finds (with each hit's document version), deletes and drops passages, and
// turns the bm25 errors the engine branches on into its sentinels.
func TestKeywordIndex(t *testing.T) {
	dir := t.TempDir()
	cols := bm25.OpenCollections(dir, bm25.Options{})
	t.Cleanup(func() { cols.Close() })
	kw := bm25.NewKeywordIndex(cols)
	ctx := t.Context()
	docs := []engine.KeywordDoc{
		{ID: "zebra.txt", Hash: "h1", Passages: []engine.KeywordPassage{{Chunk: 0, Title: "Zebras", Text: "Quagga zebras roam the savannah."}}},
		{ID: "sport.txt", Hash: "h2", Passages: []engine.KeywordPassage{{Chunk: 0, Title: "Football", Text: "The club won the final."}, {Chunk: 1, Text: "Penalties decided the championship."}}},
	}
	if err := kw.Replace(ctx, "c", docs); err != nil {
		t.Fatal(err)
	}
	hits, err := kw.Search(ctx, "c", "championship penalties", 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0] != (engine.KeywordHit{DocID: "sport.txt", Chunk: 1, Score: hits[0].Score, Hash: "h2"}) || hits[0].Score <= 0 {
		t.Errorf("Search = %+v, want sport.txt passage 1 (hash h2) first", hits)
	}
	if hits, err := kw.Search(ctx, "c", "championship", 5, func(id string) bool { return id != "sport.txt" }); err != nil || len(hits) != 0 {
		t.Errorf("Search with sport.txt disallowed = %+v, %v; want nothing", hits, err)
	}
	if h, err := kw.Hashes(ctx, "c"); err != nil || len(h) != 2 || h["zebra.txt"] != "h1" {
		t.Errorf("Hashes = %v, %v", h, err)
	}
	if err := kw.Delete(ctx, "c", "zebra.txt"); err != nil {
		t.Fatal(err)
	}
	if h, _ := kw.Hashes(ctx, "c"); len(h) != 1 {
		t.Errorf("after Delete, Hashes = %v, want sport.txt only", h)
	}

	// Another writer on the same directory finds the index held: busy.
	other := bm25.NewKeywordIndex(bm25.OpenCollections(dir, bm25.Options{}))
	if _, err := other.Hashes(ctx, "c"); !errors.Is(err, engine.ErrKeywordsBusy) || !errors.Is(err, bm25.ErrLocked) {
		t.Errorf("second writer: %v, want ErrKeywordsBusy wrapping ErrLocked", err)
	}
	// A reader of a collection that has no index: damaged (the engine
	// rebuilds it from the store).
	reader := bm25.NewKeywordIndex(bm25.OpenCollections(t.TempDir(), bm25.Options{ReadOnly: true}))
	if _, err := reader.Search(ctx, "none", "zebras", 5, nil); !errors.Is(err, engine.ErrKeywordsDamaged) || !errors.Is(err, bm25.ErrMissing) {
		t.Errorf("missing index: %v, want ErrKeywordsDamaged wrapping ErrMissing", err)
	}

	if err := kw.Drop(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if h, err := kw.Hashes(ctx, "c"); err != nil || len(h) != 0 {
		t.Errorf("after Drop, Hashes = %v, %v; want an empty index", h, err)
	}
}
