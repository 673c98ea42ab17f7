package embedded

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// TestLog_TornTail cuts the change log at every byte of its last records
// and at random points before: each cut opens (read-only and writable) with
// exactly the changes whose records are whole, and a writer drops the torn
// rest so its next writes survive.
func TestLog_TornTail(t *testing.T) {
	ctx := t.Context()
	src := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	w := mustOpen(t, src, Options{CompactMinBytes: -1})
	if _, err := w.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	// states[i] is the content once the log holds ends[i] bytes.
	ends := []int64{int64(walHeader)}
	states := []map[string]string{{}}
	cur := map[string]string{}
	step := func() {
		ends = append(ends, w.cols["c"].log.size)
		states = append(states, maps.Clone(cur))
	}
	for i := range 12 {
		id := fmt.Sprintf("d%d", i%5)
		if i%4 == 3 {
			if _, err := w.Delete(ctx, "c", id); err != nil {
				t.Fatal(err)
			}
			delete(cur, id)
		} else {
			d, ps := testDoc(rng, id, fmt.Sprintf("v%d", i), 3)
			mustPut(t, w, "c", d, ps)
			cur[id] = d.Hash
		}
		step()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(src, "c"+walExt))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(filepath.Join(src, "c"+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	var cuts []int
	// Every byte around the start of the last record and of the one before,
	// every 13th byte of the last record, and random points.
	for _, e := range ends[len(ends)-3 : len(ends)-1] {
		for c := int(e) - 3; c <= int(e)+recHeader+4; c++ {
			cuts = append(cuts, c)
		}
	}
	for c := int(ends[len(ends)-2]); c <= len(log); c += 13 {
		cuts = append(cuts, c)
	}
	cuts = append(cuts, len(log)-1, len(log))
	for range 20 {
		cuts = append(cuts, rng.IntN(len(log)))
	}
	for _, cut := range cuts {
		want := states[0]
		for i, e := range ends {
			if e <= int64(cut) {
				want = states[i]
			}
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "c"+fileExt), snap, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "c"+walExt), log[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		r := mustOpen(t, dir, Options{ReadOnly: true})
		checkContents(t, r, "c", want, 3)
		w := mustOpen(t, dir, Options{})
		checkContents(t, w, "c", want, 3)
		d, ps := testDoc(rng, "after", "v9", 3)
		mustPut(t, w, "c", d, ps)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		after := maps.Clone(want)
		after["after"] = "v9"
		r2 := mustOpen(t, dir, Options{ReadOnly: true})
		checkContents(t, r2, "c", after, 3)
		if t.Failed() {
			t.Fatalf("log cut at byte %d of %d", cut, len(log))
		}
	}
}

// TestCompaction_ConcurrentWrites compacts after every few writes while
// writers, deleters and queries run; the state reopened at the end is the
// writers' final state, and the log has been restarted.
func TestCompaction_ConcurrentWrites(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{CompactMinBytes: 1, CompactFraction: 0.01})
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 40
	final := make([]map[string]string, writers)
	var wg sync.WaitGroup
	for w := range writers {
		final[w] = map[string]string{}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range rounds {
				id := fmt.Sprintf("w%d-%d", w, i%7)
				if i%5 == 4 {
					if _, err := s.Delete(ctx, "c", id); err != nil {
						t.Error(err)
						return
					}
					delete(final[w], id)
				} else {
					d, ps := testDoc(rng, id, fmt.Sprintf("v%d", i), 3)
					if err := s.Put(ctx, "c", d, ps); err != nil {
						t.Error(err)
						return
					}
					final[w][id] = d.Hash
				}
				if err := s.Flush(ctx); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Query(ctx, "c", storebench.UnitVector(rng, testDims), 5, vectorstore.Filter{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := map[string]string{}
	for _, m := range final {
		for k, v := range m {
			want[k] = v
		}
	}
	checkContents(t, s, "c", want, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if gen := s.cols["c"].gen; gen < 3 {
		t.Errorf("snapshot generation %d: compaction never ran", gen)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", want, 3)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"LOCK", "c" + fileExt, "c" + walExt}) {
		t.Errorf("files after compactions: %v", names)
	}
}

// TestQuery_Recall: on a collection large enough for the int8 first pass,
// the top 10 match the exact ranking, with and without a filter that keeps
// most passages (scanned with a mask) or few (ranked directly).
func TestQuery_Recall(t *testing.T) {
	ctx := t.Context()
	const dims, docs, per = 256, 2100, 8 // 4.3M values > exactFloats
	s := mustOpen(t, t.TempDir(), Options{CompactMinBytes: -1})
	set := vectorstore.Settings{Model: "test", Dimensions: dims}
	if _, err := s.CreateCollection(ctx, "c", set); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 3))
	var ids []string
	for i := range docs {
		id := fmt.Sprintf("d%04d", i)
		ids = append(ids, id)
		ps := make([]vectorstore.Passage, per)
		for j := range ps {
			ps[j] = vectorstore.Passage{Chunk: j, Vector: storebench.UnitVector(rng, dims)}
		}
		d := vectorstore.Document{ID: id, Hash: "h"}
		if i%3 == 0 {
			d.Meta = map[string]string{"third": "yes"}
		} else if i == 1 {
			d.Meta = map[string]string{"one": "yes"}
		}
		if err := s.Put(ctx, "c", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	c := s.cols["c"]
	if c.arena.live*dims <= exactFloats {
		t.Fatal("collection too small for the int8 pass")
	}
	filters := map[string]vectorstore.Filter{
		"none": {},
		"most": {DocIDs: ids[:docs*3/4]},
		"few":  {DocIDs: ids[:3]},
		// Filters on metadata: evaluated per document in slot order.
		"meta third": {Meta: map[string]string{"third": "yes"}},
		"meta one":   {Meta: map[string]string{"one": "yes"}},
	}
	for name, f := range filters {
		found, total := 0, 0
		for range 10 {
			q := storebench.UnitVector(rng, dims)
			hits, err := s.Query(ctx, "c", q, 10, f)
			if err != nil {
				t.Fatal(err)
			}
			exact := newTopK(10)
			match := f.Matcher()
			for slot, e := range c.arena.owner {
				if e != nil && match(&e.Doc) {
					exact.push(dot32(q, c.arena.vec(int32(slot))), int32(slot))
				}
			}
			want := map[string]bool{}
			for _, x := range exact.h {
				want[fmt.Sprint(c.arena.owner[x.slot].Doc.ID, "#", c.arena.chunk[x.slot])] = true
			}
			for _, h := range hits {
				if want[fmt.Sprint(h.DocID, "#", h.Chunk)] {
					found++
				}
			}
			total += len(want)
		}
		if recall := float64(found) / float64(total); recall < 0.99 {
			t.Errorf("filter %s: recall@10 = %.3f, want >= 0.99", name, recall)
		}
	}
}

// TestOpen_ReadOnlyDirectory: a reader of a directory it may not write
// (a torn log tail and a crash's temporary file in it) searches, and leaves
// every file as it was.
func TestOpen_ReadOnlyDirectory(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{CompactMinBytes: -1})
	if _, err := w.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, id := range []string{"a", "b"} {
		d, ps := testDoc(rng, id, "v1", 3)
		mustPut(t, w, "c", d, ps)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "c"+walExt)
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x40, 0, 0, 0, 1, 2}) // a record cut short
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "c.123.tmp"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		before[e.Name()] = b
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	for name := range before {
		os.Chmod(filepath.Join(dir, name), 0o444)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", map[string]string{"a": "v1", "b": "v1"}, 3)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != len(before) {
		t.Errorf("files after a read-only open: %d, before %d", len(entries), len(before))
	}
	for name, b := range before {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, b) {
			t.Errorf("read-only open changed %s (%v)", name, err)
		}
	}
}
