package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

var crashTrials = flag.Int("crash-trials", 3, "SIGKILLed index runs in TestCrash_IndexKilled (make crash-store runs more)")

// TestMain lets the test binary stand in for the semsearch binary: with
// SEMSEARCH_CRASH_CHILD=1 it runs the CLI (TestCrash_IndexKilled kills it).
func TestMain(m *testing.M) {
	if os.Getenv("SEMSEARCH_CRASH_CHILD") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashOllama is a minimal Ollama for the crash test: deterministic unit
// vectors from a hash of each input.
func crashOllama(t *testing.T, dims int) *httptest.Server {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		vecs := make([][]float32, len(req.Input))
		for i, in := range req.Input {
			h := fnv.New64a()
			h.Write([]byte(in))
			v := storebench.UnitVector(rand.New(rand.NewPCG(h.Sum64(), 1)), dims)
			vecs[i] = v
		}
		reply(w, map[string]any{"model": req.Model, "embeddings": vecs})
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"details": map[string]string{"format": "gguf", "family": "bert"}, "capabilities": []string{"embedding"}})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"models": []map[string]string{{"name": "fake:latest", "model": "fake:latest", "digest": "0123456789ab"}}})
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]string{"version": "0.6.5"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

var versionRE = regexp.MustCompile(`version (\d+)\.`)

// writeArticle writes article i at version v (-1 deletes it).
func writeArticle(t *testing.T, dir string, i, v int) {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("a%03d.txt", i))
	if v < 0 {
		os.Remove(path)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Article %d\n\nThis is article %d, version %d.", i, i, v)
	for s := range 20 + i%17 {
		fmt.Fprintf(&b, " Sentence %d of article %d talks about storage, crashes and logs in version %d.", s, i, v)
	}
	if err := os.WriteFile(path, []byte(b.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCrash_IndexKilled SIGKILLs `semsearch index --prune` at random points
// while it replaces, adds and removes articles, then checks what the next
// process finds: the store opens, every document is whole and either its
// version before the run or after it, and after the repair every index run
// starts with, the BM25 index holds exactly the store's documents. A rerun
// then converges to the state of an uninterrupted run.
func TestCrash_IndexKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	srv := crashOllama(t, 16)
	data, corpus := t.TempDir(), t.TempDir()
	const articles = 150
	prev := map[string]int{} // article id -> version stored
	for i := range articles {
		writeArticle(t, corpus, i, 0)
	}
	args := []string{"--data", data, "--collection", "c", "--ollama", srv.URL, "--model", "fake", "--log-level", "error", "--chunk-size", "40", "--chunk-overlap", "0"}
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], append(append([]string{"index", "--prune"}, args...), corpus)...)
		cmd.Env = append(os.Environ(), "SEMSEARCH_CRASH_CHILD=1")
		return cmd
	}
	start := time.Now()
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("first index run: %v\n%s", err, out)
	}
	full := time.Since(start)
	cur := state(t, ctx, data)
	for id, v := range cur {
		prev[id] = v
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	mid := 0
	for trial := range *crashTrials {
		v := trial + 1
		want := map[string]int{}
		for id, ver := range prev {
			want[id] = ver
		}
		for i := range articles {
			id := fmt.Sprintf("a%03d.txt", i)
			switch r := rng.IntN(10); {
			case r < 5:
				writeArticle(t, corpus, i, v)
				want[id] = v
			case r == 5:
				writeArticle(t, corpus, i, -1)
				delete(want, id)
			case r == 6:
				if _, ok := prev[id]; !ok {
					writeArticle(t, corpus, i, v)
					want[id] = v
				}
			}
		}
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(full) + 1))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		got := state(t, ctx, data)
		for id, ver := range got {
			old, hadOld := prev[id]
			nw, hasNew := want[id]
			if !(hadOld && ver == old) && !(hasNew && ver == nw) {
				t.Errorf("trial %d (killed after %v): %s at version %d, want %v (before) or %v (after)", trial, delay, id, ver, verStr(old, hadOld), verStr(nw, hasNew))
			}
		}
		applied, changes := 0, 0
		for id := range union(prev, want) {
			o, hadOld := prev[id]
			n, hasNew := want[id]
			if o == n && hadOld == hasNew {
				continue
			}
			changes++
			if g, ok := got[id]; ok == hasNew && (!ok || g == n) {
				applied++
			}
		}
		t.Logf("trial %d: killed after %v of a %v run: %d of %d changes applied", trial, delay.Round(time.Millisecond), full.Round(time.Millisecond), applied, changes)
		mid += min(applied, 1) * min(changes-applied, 1)
		for id := range prev {
			if _, ok := got[id]; !ok {
				if _, gone := want[id]; gone {
					t.Errorf("trial %d: %s vanished though it was neither deleted nor replaced", trial, id)
				}
			}
		}
		if out, err := child().CombinedOutput(); err != nil {
			t.Fatalf("trial %d: index rerun: %v\n%s", trial, err, out)
		}
		got = state(t, ctx, data)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("trial %d: after the rerun the collection holds %v, want %v", trial, got, want)
		}
		prev = got
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d of %d kills landed part way through the changes", mid, *crashTrials)
}

func union(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func verStr(v int, ok bool) string {
	if !ok {
		return "absent"
	}
	return strconv.Itoa(v)
}

// state opens the data directory as the next writer would, runs the repair
// every index run starts with, checks that each document is whole and that
// the BM25 index matches the store, and returns each document's version.
func state(t *testing.T, ctx context.Context, data string) map[string]int {
	t.Helper()
	store, err := embedded.Open(data, embedded.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer store.Close()
	kw := bm25.OpenCollections(data, bm25.Options{})
	defer kw.Close()
	// The settings the child indexes with (see args in TestCrash_IndexKilled).
	opts := chunk.DefaultOptions()
	opts.Size, opts.Overlap = 40, 0
	e, err := engine.New(store, nil, engine.Config{Model: "fake", Keywords: bm25.NewKeywordIndex(kw), Chunk: opts, TitleContext: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Collection(ctx, "c"); err != nil {
		t.Fatalf("open collection: %v", err)
	}
	// An index run with nothing to index: the repair step alone.
	if _, err := e.Index(ctx, "c", nil, engine.IndexOptions{}); err != nil {
		t.Fatalf("repair: %v", err)
	}
	docs, _, err := store.Documents(ctx, "c", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	hashes := map[string]string{}
	for _, d := range docs {
		full, err := store.Document(ctx, "c", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := versionRE.FindAllStringSubmatch(full.Text, -1)
		if len(m) == 0 {
			t.Fatalf("%s: no version in %.60q", d.ID, full.Text)
		}
		v, _ := strconv.Atoi(m[0][1])
		for _, x := range m {
			if x[1] != m[0][1] {
				t.Errorf("%s mixes versions %s and %s", d.ID, m[0][1], x[1])
			}
		}
		keys := make([]vectorstore.PassageKey, full.Passages)
		for i := range keys {
			keys[i] = vectorstore.PassageKey{DocID: d.ID, Chunk: i}
		}
		hits, err := store.Lookup(ctx, "c", keys)
		if err != nil || len(hits) != full.Passages || full.Passages == 0 {
			t.Errorf("%s: %d of %d passages (%v)", d.ID, len(hits), full.Passages, err)
		}
		for _, h := range hits {
			if len(h.Vector) == 0 || !strings.Contains(h.Text, fmt.Sprint("version ", v)) && strings.Contains(h.Text, "version ") {
				t.Errorf("%s passage %d: no vector or another version: %.60q", d.ID, h.Chunk, h.Text)
			}
		}
		out[d.ID] = v
		hashes[d.ID] = full.Hash
	}
	kh, err := bm25.NewKeywordIndex(kw).Hashes(ctx, "c")
	if err != nil {
		t.Fatalf("bm25 hashes: %v", err)
	}
	if fmt.Sprint(kh) != fmt.Sprint(hashes) {
		t.Errorf("after the repair the BM25 index holds %d documents, the store %d; they differ", len(kh), len(hashes))
	}
	return out
}
