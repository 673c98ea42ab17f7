package weaviatestore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weaviate/weaviate/entities/models"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestStore_staleCleanupSparesPassagesBeingWritten deletes the stale
// passages of a document again and again while passages of its current
// generation are being written: every one of those must survive, and the
// stale ones (older and newer generations, chunks past the end) must go.
// This is what a replica that acknowledged nothing yet sees when a QUORUM
// Put's cleanup reaches it: with a NotEqual filter on gen, Weaviate matched
// passages whose gen entry was not indexed yet, and the cluster test found
// one passage missing on every replica after an acknowledged import.
func TestStore_staleCleanupSparesPassagesBeingWritten(t *testing.T) {
	url := testStoreURL(t)
	s := openTest(t, url, t.Name()+time.Now().String())
	t.Cleanup(func() { dropPrefix(t, s) })
	ctx := t.Context()
	if _, err := s.CreateCollection(ctx, "c", vectorstore.Settings{Model: "m", Dimensions: 4, Chunking: "lines"}); err != nil {
		t.Fatal(err)
	}
	const gen, n = int64(1_000_000), 1500
	obj := func(g int64, chunk int) *models.Object {
		text := fmt.Sprintf("passage %d of generation %d with a few words to index: river bank water boat", chunk, g)
		return &models.Object{Class: s.psgClass("c"), ID: strfmtUUID(passageUUID(s.key("c"), "d", g, chunk)),
			Vector: []float32{1, float32(chunk%7 + 1), 2, 3},
			Properties: map[string]any{"doc_id": "d", "gen": g, "chunk": chunk, "start": 0, "end": len(text),
				"line_start": 1, "line_end": 1, "text": text, "title": "d", "terms": text, "filter_kv": []string{"k=v"}}}
	}
	// Stale: an older and a newer generation, and a chunk of the current
	// one past its end.
	stale := []*models.Object{obj(gen-5, 0), obj(gen-5, 1), obj(gen-1, 0), obj(gen+3, 0), obj(gen, n), obj(gen, n+1)}
	if err := s.upsert(ctx, "stale", stale); err != nil {
		t.Fatal(err)
	}
	current := make([]*models.Object, n)
	for i := range current {
		current[i] = obj(gen, i)
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	var cleanups atomic.Int64
	wg.Go(func() {
		for !done.Load() {
			if err := s.removeStale(ctx, "c", "d", gen, n); err != nil {
				t.Error(err)
				return
			}
			cleanups.Add(1)
		}
	})
	// Batches of 100: many writes in flight while the cleanups run.
	for i := 0; i < n; i += 100 {
		if err := s.upsert(ctx, "current", current[i:i+100]); err != nil {
			done.Store(true)
			wg.Wait()
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	if err := s.removeStale(ctx, "c", "d", gen, n); err != nil {
		t.Fatal(err)
	}
	held := passagesByGen(t, s, "c")
	t.Logf("%d cleanups ran while %d passages were written; held by generation: %v", cleanups.Load(), n, held)
	if cleanups.Load() < 2 {
		t.Errorf("only %d cleanups ran during the writes: the test did not race them", cleanups.Load())
	}
	want := map[int64]int{gen: n}
	if fmt.Sprint(held) != fmt.Sprint(want) {
		t.Errorf("passages held by generation = %v, want %v (the cleanup removed passages being written, or left stale ones)", held, want)
	}
}

// passagesByGen returns how many passage objects of coll the node holds
// per generation.
func passagesByGen(t *testing.T, s *Store, coll string) map[int64]int {
	t.Helper()
	class := s.psgClass(coll)
	q := fmt.Sprintf(`{Aggregate{%s(groupBy:["gen"], limit:1000){groupedBy{value} meta{count}}}}`, class)
	resp, err := s.nodes[0].GraphQL().Raw().WithQuery(q).Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors[0].Message)
	}
	var out struct {
		Aggregate map[string][]struct {
			GroupedBy struct{ Value string } `json:"groupedBy"`
			Meta      struct{ Count int }    `json:"meta"`
		}
	}
	b, _ := json.Marshal(resp.Data)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	held := map[int64]int{}
	for _, r := range out.Aggregate[class] {
		// Weaviate groups numbers as floats ("1e+06").
		g, err := strconv.ParseFloat(r.GroupedBy.Value, 64)
		if err != nil {
			t.Fatalf("generation %q: %v", r.GroupedBy.Value, err)
		}
		held[int64(g)] = r.Meta.Count
	}
	return held
}

// TestStore_putRepeatedWritesSameObjects puts one version of a document
// twice, as index or import run again after a failed write does: the second
// Put must write the same passage objects (same generation, same ids), so a
// first attempt that Weaviate commits after its client gave up (the cluster
// test saw one, after the retry had finished) lands on them instead of
// leaving a generation no document points at. Another version gets another
// generation.
func TestStore_putRepeatedWritesSameObjects(t *testing.T) {
	url := testStoreURL(t)
	s := openTest(t, url, t.Name()+time.Now().String())
	t.Cleanup(func() { dropPrefix(t, s) })
	ctx := t.Context()
	if _, err := s.CreateCollection(ctx, "c", vectorstore.Settings{Model: "m", Dimensions: 2, Chunking: "lines"}); err != nil {
		t.Fatal(err)
	}
	version := func(text string) (vectorstore.Document, []vectorstore.Passage) {
		return vectorstore.Document{ID: "d", Source: "d.txt", Title: "D", Hash: text, Text: text + "\n" + text},
			[]vectorstore.Passage{{Chunk: 0, Start: 0, End: len(text), LineStart: 1, LineEnd: 1, Vector: []float32{1, 0}},
				{Chunk: 1, Start: len(text) + 1, End: 2*len(text) + 1, LineStart: 2, LineEnd: 2, Vector: []float32{0, 1}}}
	}
	put := func(text string) map[int64]int {
		d, ps := version(text)
		if err := s.Put(ctx, "c", d, ps); err != nil {
			t.Fatal(err)
		}
		return passagesByGen(t, s, "c")
	}
	first := put("one")
	again := put("one")
	if len(first) != 1 || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("the same version put twice: passages by generation %v, then %v; want the same single generation", first, again)
	}
	other := put("two")
	for g := range other {
		if _, same := first[g]; same || len(other) != 1 {
			t.Errorf("another version: passages by generation %v after %v; want one new generation", other, first)
		}
	}
}
