package main

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// letterEmbedder is a tiny offline embedder for building data directories
// without Ollama: a vector of letter counts.
type letterEmbedder struct{}

func (letterEmbedder) vec(s string) []float32 {
	v := make([]float32, 26)
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			v[r-'a']++
		}
	}
	var n float32
	for _, x := range v {
		n += x * x
	}
	if n > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(float64(n)))
		}
	}
	return v
}

func (l letterEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = l.vec(t)
	}
	return out, nil
}

func (l letterEmbedder) EmbedQuery(_ context.Context, t string) ([]float32, error) {
	return l.vec(t), nil
}

// offlineData indexes arts into collection "news" of a new data directory
// with the model name "m", the CLI's default chunking and a real BM25 index.
func offlineData(t *testing.T, arts []article.Article) string {
	t.Helper()
	dir := t.TempDir()
	store, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kw := bm25.OpenCollections(dir, bm25.Options{})
	eng, err := engine.New(store, letterEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(), TitleContext: true, Keywords: bm25.NewKeywordIndex(kw)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(t.Context(), "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(store.Close(), kw.Close()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sampleArts() []article.Article {
	return []article.Article{
		{ID: "zebra.txt", Source: "zebra.txt", Title: "Zebras", Text: "Zebras\n\nQuagga zebras roam the savannah near Etosha."},
		{ID: "fruit.txt", Source: "fruit.txt", Title: "Breakfast", Text: "Breakfast\n\nBananas and apples are popular breakfast fruit."},
	}
}

// hungOllama listens and accepts connections but never answers.
func hungOllama(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// runFor runs the CLI with a time limit of its own, so that a hang shows
// as a failure, not as a stuck test.
func runFor(t *testing.T, limit time.Duration, args ...string) (string, string, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	var out, errOut strings.Builder
	app := newApp(strings.NewReader(""), &out, &errOut)
	start := time.Now()
	err := app.RunContext(ctx, interspersed(app, append([]string{"semsearch"}, args...)))
	return out.String(), errOut.String(), err, time.Since(start)
}

// TestCLI_HungOllama: with an Ollama that accepts connections and never
// answers, bm25 search answers at once without it, and every other command
// fails within its deadline saying that Ollama did not answer.
func TestCLI_HungOllama(t *testing.T) {
	data := offlineData(t, sampleArts())
	g := []string{"--data", data, "--collection", "news", "--model", "m", "--ollama", hungOllama(t)}

	out, _, err, took := runFor(t, 20*time.Second, append([]string{"search", "--mode", "bm25", "--json", "quagga"}, g...)...)
	if err != nil || !strings.Contains(out, `"doc_id": "zebra.txt"`) || took > 3*time.Second {
		t.Errorf("bm25 search with a hung Ollama: took %s, err %v, out %s", took, err, out)
	}

	for _, args := range [][]string{
		{"search", "--timeout", "2s", "quagga"},
		{"search", "--mode", "vector", "--timeout", "2s", "quagga"},
		{"index", "--timeout", "2s", filepath.Join("..", "..", "examples", "articles")},
	} {
		_, _, err, took := runFor(t, 20*time.Second, append(args, g...)...)
		if err == nil || !strings.Contains(err.Error(), "did not answer within 2s") || took > 5*time.Second {
			t.Errorf("%s with a hung Ollama: took %s, err %v", strings.Join(args, " "), took, err)
		}
	}
	// Without --timeout, index is bounded by --ollama-timeout per request.
	_, _, err, took = runFor(t, 20*time.Second, append([]string{"index", "--ollama-timeout", "300ms", filepath.Join("..", "..", "examples", "articles")}, g...)...)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 300ms") || took > 10*time.Second {
		t.Errorf("index with a hung Ollama and --ollama-timeout: took %s, err %v", took, err)
	}
}

// damage kinds for the BM25 directory.
var bm25Damage = []struct {
	name string
	do   func(t *testing.T, dir string)
}{
	{"missing", func(t *testing.T, dir string) {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}},
	{"garbage", func(t *testing.T, dir string) {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"CURRENT", "seg.1", "log.1"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("garbage garbage garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"empty files", func(t *testing.T, dir string) {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				os.Truncate(p, 0)
			}
			return nil
		})
	}},
	{"no metadata", func(t *testing.T, dir string) {
		os.Remove(filepath.Join(dir, "CURRENT"))
	}},
	{"older format", func(t *testing.T, dir string) {
		// What semsearch wrote before BM25 index format 2: a bleve index.
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		copyDir(t, "testdata/datadir-v8/data/default.bm25", dir)
	}},
}

// TestCLI_DamagedBM25: a missing or damaged BM25 index is never an empty
// answer: bm25 search fails naming the fix, hybrid search falls back to
// vectors saying so, and `repair` rebuilds it from the stored passages
// without Ollama.
func TestCLI_DamagedBM25(t *testing.T) {
	for _, dmg := range bm25Damage {
		t.Run(dmg.name, func(t *testing.T) {
			data := offlineData(t, sampleArts())
			g := []string{"--data", data, "--collection", "news", "--model", "m", "--ollama", downAddr(t)}
			dmg.do(t, filepath.Join(data, "news.bm25"))

			out, _, err, _ := runFor(t, 20*time.Second, append([]string{"search", "--mode", "bm25", "quagga"}, g...)...)
			if err == nil || !strings.Contains(err.Error(), "semsearch repair --collection news") {
				t.Errorf("bm25 search on a %s index: err %v, out %q; want a failure naming the fix", dmg.name, err, out)
			}
			out, _, err, _ = runFor(t, 20*time.Second, append([]string{"repair"}, g...)...)
			if err != nil || !strings.Contains(out, "rebuilt") || !strings.Contains(out, "2 documents stored, 2 re-sent") {
				t.Fatalf("repair: %v %q", err, out)
			}
			out, _, err, _ = runFor(t, 20*time.Second, append([]string{"search", "--mode", "bm25", "--json", "quagga"}, g...)...)
			if err != nil || !strings.Contains(out, `"doc_id": "zebra.txt"`) {
				t.Errorf("bm25 search after repair: %v %q", err, out)
			}
		})
	}
}

// TestEngine_RebuildsDamagedBM25: a writer (index, serve) rebuilds a damaged
// BM25 index from the stored passages on its own, and CheckKeywords (what
// /readyz asks) reports a damaged index a reader cannot repair.
func TestEngine_RebuildsDamagedBM25(t *testing.T) {
	data := offlineData(t, sampleArts())
	bm25Damage[1].do(t, filepath.Join(data, "news.bm25"))
	openEngine := func(writable bool) (*engine.Engine, func()) {
		store, err := embedded.Open(data, embedded.Options{ReadOnly: !writable})
		if err != nil {
			t.Fatal(err)
		}
		kw := bm25.OpenCollections(data, bm25.Options{ReadOnly: !writable})
		eng, err := engine.New(store, letterEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(), Keywords: bm25.NewKeywordIndex(kw), ReadOnly: !writable})
		if err != nil {
			t.Fatal(err)
		}
		return eng, func() { store.Close(); kw.Close() }
	}
	reader, done := openEngine(false)
	if err := reader.CheckKeywords(t.Context()); !errors.Is(err, engine.ErrKeywordsDamaged) {
		t.Errorf("read-only check of a damaged index: %v", err)
	}
	resp, err := reader.Search(t.Context(), "news", engine.Query{Text: "quagga", K: 1})
	if err != nil || resp.Mode != engine.Vector || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "semsearch repair") {
		t.Errorf("hybrid search on a damaged index: %+v %v", resp, err)
	}
	done()
	writer, done := openEngine(true)
	defer done()
	if err := writer.CheckKeywords(t.Context()); err != nil {
		t.Errorf("writer did not rebuild: %v", err)
	}
	resp, err = writer.Search(t.Context(), "news", engine.Query{Text: "quagga", K: 1, Mode: engine.BM25})
	if err != nil || len(resp.Results) != 1 || resp.Results[0].DocID != "zebra.txt" {
		t.Errorf("bm25 search after the writer's rebuild: %+v %v", resp.Results, err)
	}
}
