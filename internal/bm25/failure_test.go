package bm25

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"
)

// bleveIndex names bleve.Index for embedding (it has a method named Index).
type bleveIndex = bleve.Index

// faultyBleve is a bleve index that fails the way bleve does on a full disk:
// a batch fails with an error that formats ENOSPC with %v (bleve's persister
// does), and from then on every read panics ("assignment to entry in nil
// map" in zapx's inverted index cache). With broken set it panics at once.
type faultyBleve struct {
	bleveIndex
	batchErr error
	broken   atomic.Bool
}

func (f *faultyBleve) Batch(b *bleve.Batch) error {
	if f.batchErr != nil {
		f.broken.Store(true)
		return f.batchErr
	}
	return f.bleveIndex.Batch(b)
}

func (f *faultyBleve) Advanced() (index.Index, error) {
	if f.broken.Load() {
		var m map[string]int
		m["segment"] = 1 // the runtime's own panic, as in zapx
	}
	return f.bleveIndex.Advanced()
}

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

func TestIndex_fullDisk(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "a", "alpha words")
	enospc := fmt.Errorf("segment: %s persist err: %v", "store/000000000005.zap",
		&os.PathError{Op: "write", Path: "store/000000000005.zap", Err: syscall.ENOSPC})
	ix.bix = &faultyBleve{bleveIndex: ix.bix, batchErr: enospc}

	err := noPanic(t, "Replace", func() error { return ix.Replace(t.Context(), "b", "hash-b", []Passage{{Text: "beta words"}}) })
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Replace on a full disk: %v, want an error matching syscall.ENOSPC", err)
	}
	// The failed batch left bleve's memory unusable: the index is read
	// again from its files, which hold what was written before.
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a"}) {
		t.Errorf("after the failed write: documents %v, want [a]", got)
	}
	put(t, ix, "b", "beta words")
	if got := hashIDs(t, ix); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after space was freed: documents %v, want [a b]", got)
	}
	if got := ids(mustSearch(t, ix, "beta", 5, nil)); !slices.Equal(got, []string{"b/0"}) {
		t.Errorf("search beta after space was freed: %v", got)
	}
}

func TestIndex_blevePanic(t *testing.T) {
	calls := []struct {
		name string
		call func(*testing.T, *Index) error
	}{
		{"Search", func(t *testing.T, ix *Index) error { _, err := ix.Search(t.Context(), "alpha", 5, nil); return err }},
		{"Hashes", func(t *testing.T, ix *Index) error { _, err := ix.Hashes(t.Context()); return err }},
		{"Count", func(t *testing.T, ix *Index) error { _, _, err := ix.Count(); return err }},
		{"Replace", func(t *testing.T, ix *Index) error {
			return ix.Replace(t.Context(), "b", "hash-b", []Passage{{Text: "beta"}})
		}},
		{"Delete", func(t *testing.T, ix *Index) error { return ix.Delete(t.Context(), "a") }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			ix, _ := openTemp(t, Options{})
			put(t, ix, "a", "alpha words")
			f := &faultyBleve{bleveIndex: ix.bix}
			f.broken.Store(true)
			ix.bix = f
			err := noPanic(t, tc.name, func() error { return tc.call(t, ix) })
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("%s with bleve panicking: %v, want an error matching ErrDamaged", tc.name, err)
			}
			// Marked for repair: the next call reads the files afresh.
			if err := noPanic(t, tc.name, func() error { return tc.call(t, ix) }); err != nil {
				t.Fatalf("%s again: %v", tc.name, err)
			}
			if err := ix.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
