package weaviatestore

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// TestBenchRows measures the store on a real node with seeded random unit
// vectors and prints one Markdown table row: import passages/s (through
// Put, 100 passages per document), Query p50/p99 for the top 10 (as the
// engine calls it: with the version check), and the server's RSS after.
// It runs only when SEMSEARCH_BENCH_WEAVIATE_N is set (make
// bench-store-weaviate sets it, 100000 by default).
func TestBenchRows(t *testing.T) {
	nStr := os.Getenv("SEMSEARCH_BENCH_WEAVIATE_N")
	if nStr == "" {
		t.Skip("set SEMSEARCH_BENCH_WEAVIATE_N (make bench-store-weaviate)")
	}
	url := testStoreURL(t)
	n, err := strconv.Atoi(nStr)
	if err != nil || n < 100 {
		t.Fatalf("SEMSEARCH_BENCH_WEAVIATE_N=%q: want a number >= 100", nStr)
	}
	dims := 768
	if d := os.Getenv("SEMSEARCH_BENCH_WEAVIATE_DIMS"); d != "" {
		dims, _ = strconv.Atoi(d)
	}
	s := openTest(t, url, "bench"+time.Now().String())
	t.Cleanup(func() { dropPrefix(t, s) })
	ctx := t.Context()
	if _, err := s.CreateCollection(ctx, "bench", vectorstore.Settings{Model: "random", Dimensions: dims, Chunking: "none"}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 7))
	unit := func() []float32 { return storebench.UnitVector(rng, dims) }
	const perDoc = 100
	start := time.Now()
	for d := 0; d*perDoc < n; d++ {
		m := min(perDoc, n-d*perDoc)
		var text strings.Builder
		ps := make([]vectorstore.Passage, m)
		for i := range m {
			st := text.Len()
			fmt.Fprintf(&text, "passage %d of document %d\n", i, d)
			ps[i] = vectorstore.Passage{Chunk: i, Start: st, End: text.Len(), LineStart: i + 1, LineEnd: i + 1, Vector: unit()}
		}
		doc := vectorstore.Document{ID: fmt.Sprintf("doc-%06d", d), Source: "bench", Hash: "h", Text: text.String()}
		if err := s.Put(ctx, "bench", doc, ps); err != nil {
			t.Fatal(err)
		}
	}
	importTime := time.Since(start)
	// Warm up (the store learns each document's generation once), then measure.
	for range 100 {
		if _, err := s.Query(ctx, "bench", unit(), 10, vectorstore.Filter{}); err != nil {
			t.Fatal(err)
		}
	}
	var lat []time.Duration
	for range 500 {
		q := unit()
		t0 := time.Now()
		hits, err := s.Query(ctx, "bench", q, 10, vectorstore.Filter{})
		if err != nil || len(hits) != 10 {
			t.Fatalf("Query: %d hits, %v", len(hits), err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	pct := func(p float64) string {
		return fmt.Sprintf("%.1f ms", float64(lat[int(p*float64(len(lat)-1))].Microseconds())/1000)
	}
	rss := "?"
	if pid := os.Getenv("SEMSEARCH_BENCH_WEAVIATE_PID"); pid != "" {
		if b, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
					kb, _ := strconv.Atoi(f[1])
					rss = fmt.Sprintf("%d MiB", kb/1024)
				}
			}
		}
	}
	fmt.Printf("| store | passages x dims | import passages/s | query p50 | query p99 | server RSS |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| weaviate (1 node, gRPC) | %d x %d | %.0f | %s | %s | %s |\n", n, dims, float64(n)/importTime.Seconds(), pct(0.50), pct(0.99), rss)
}
