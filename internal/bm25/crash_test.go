package bm25

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/crashtest"
)

var crashTrials = flag.Int("crash-trials", 3, "SIGKILLed writers in TestCrash_IndexWriterKilled (make crash-store runs more)")

const (
	crashDocs = 20  // distinct document ids
	crashOps  = 300 // a full writer run: op i replaces (or, every ninth, deletes) doc i%crashDocs
)

// TestMain lets the test binary act as the writer TestCrash_IndexWriterKilled
// kills: with SEMSEARCH_BM25_CRASH_DIR set it runs crashWriter and exits.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SEMSEARCH_BM25_CRASH_DIR"); dir != "" {
		if err := crashWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashOp is op i: the document it writes and its passages, or nil
// passages and deleted for a delete.
func crashOp(i int) (id string, deleted bool, doc Document) {
	id = fmt.Sprintf("d%02d", i%crashDocs)
	if i%9 == 8 {
		return id, true, Document{}
	}
	doc = Document{ID: id, Hash: "v" + strconv.Itoa(i)}
	for c := range 1 + i%3 {
		doc.Passages = append(doc.Passages, Passage{Chunk: c, Text: fmt.Sprintf("op%d chunk%d shared words w%d", i, c, i%11)})
	}
	return id, false, doc
}

// crashState is the documents' hashes after ops 0..n-1.
func crashState(n int) map[string]string {
	out := map[string]string{}
	for i := range n {
		id, deleted, doc := crashOp(i)
		if deleted {
			delete(out, id)
		} else {
			out[id] = doc.Hash
		}
	}
	return out
}

// crashWriter performs every op, printing "ack i" once op i is durable,
// with a new generation written every few KB of log.
func crashWriter(dir string) error {
	ix, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	ix.compactMin = 2 << 10
	out := bufio.NewWriter(os.Stdout)
	ctx := context.Background()
	for i := range crashOps {
		id, deleted, doc := crashOp(i)
		if deleted {
			err = ix.Delete(ctx, id)
		} else {
			err = ix.ReplaceMany(ctx, doc)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ack", i)
		out.Flush()
	}
	return ix.Close()
}

// TestCrash_IndexWriterKilled SIGKILLs a writer process (batches and the
// generations they trigger) at random points. The index must always open,
// hold exactly the state after the last acknowledged op or the one after
// it, find each document by its words, and rerunning the writer must end
// in the state of an uninterrupted run.
func TestCrash_IndexWriterKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	writer := func(dir string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SEMSEARCH_BM25_CRASH_DIR="+dir)
		return cmd
	}
	start := time.Now()
	if out, err := writer(filepath.Join(t.TempDir(), "c.bm25")).CombinedOutput(); err != nil {
		t.Fatalf("writer: %v\n%s", err, out)
	}
	full := time.Since(start)
	for trial := range *crashTrials {
		dir := filepath.Join(t.TempDir(), "c.bm25")
		delay := time.Duration(rng.Int64N(int64(full)))
		last := crashtest.Kill(t, writer(dir), delay)

		ix, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("trial %d (killed after %v, op %d acknowledged): open: %v", trial, delay, last, err)
		}
		got := hashesOf(t, ix)
		ops := last + 1
		if !maps.Equal(got, crashState(ops)) {
			ops++
			if !maps.Equal(got, crashState(ops)) {
				t.Fatalf("trial %d: op %d acknowledged, but the index holds %v", trial, last, got)
			}
		}
		checkFindable(t, ix, ops)
		t.Logf("trial %d: killed after %v, %d ops acknowledged, the index holds %d", trial, delay.Round(time.Millisecond), last+1, ops)
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		if out, err := writer(dir).CombinedOutput(); err != nil {
			t.Fatalf("trial %d: rerun: %v\n%s", trial, err, out)
		}
		ix, err = Open(dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := hashesOf(t, ix); !maps.Equal(got, crashState(crashOps)) {
			t.Fatalf("trial %d: after a full rerun the index holds %v", trial, got)
		}
		checkFindable(t, ix, crashOps)
		ix.Close()
		// What a killed compaction left is gone: one generation remains.
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		for i := range names {
			names[i] = filepath.Base(names[i])
		}
		if len(names) != 4 || !slices.Contains(names, currentFile) || !slices.Contains(names, lockFile) {
			t.Fatalf("trial %d: after a full rerun the index holds %v, want %s, %s, one segment and one log", trial, names, currentFile, lockFile)
		}
	}
}

func hashesOf(t *testing.T, ix *Index) map[string]string {
	t.Helper()
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkFindable searches each document of the state after n ops by the
// words of its passages.
func checkFindable(t *testing.T, ix *Index, n int) {
	t.Helper()
	for id, h := range crashState(n) {
		op, _ := strconv.Atoi(h[1:])
		_, _, doc := crashOp(op)
		for _, p := range doc.Passages {
			hits := mustSearch(t, ix, fmt.Sprintf("op%d chunk%d", op, p.Chunk), 1, nil)
			if len(hits) != 1 || hits[0].DocID != id || hits[0].Chunk != p.Chunk || hits[0].Hash != h {
				t.Fatalf("search for %s chunk %d (op %d): %+v", id, p.Chunk, op, hits)
			}
		}
	}
}
