package main

import (
	"context"
	"errors"
	"math"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/chromemstore"
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
	store, err := chromemstore.Open(dir, chromemstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kw := bm25.OpenCollections(dir, bm25.Options{})
	eng, err := engine.New(store, letterEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions(), TitleContext: true, Keywords: keywordIndex{kw}})
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
