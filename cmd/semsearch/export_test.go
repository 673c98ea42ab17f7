package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore/weaviatestore"
)

// weaviateForTest returns the Weaviate the test command started (make
// test: SEMSEARCH_TEST_WEAVIATE), or skips.
func weaviateForTest(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SEMSEARCH_TEST_WEAVIATE")
	if u == "" {
		t.Skip("needs Weaviate: run `make test` or `make test-weaviate`, or set SEMSEARCH_TEST_WEAVIATE=weaviate://127.0.0.1:8090 after `make weaviate`")
	}
	return u
}

type searchOut struct {
	Results []struct {
		DocID string  `json:"doc_id"`
		Chunk int     `json:"chunk"`
		Score float64 `json:"score"`
		Text  string  `json:"text"`
	} `json:"results"`
}

func searchRanking(t *testing.T, args ...string) searchOut {
	t.Helper()
	out, errOut, err := run(t, "", append([]string{"search", "--json", "-k", "10"}, args...)...)
	if err != nil {
		t.Fatalf("search %v: %v\n%s", args, err, errOut)
	}
	var r searchOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("search output: %v\n%s", err, out)
	}
	return r
}

// sameResults compares rankings: same passages in the same order, scores
// equal up to float32 rounding.
func sameResults(t *testing.T, what string, got, want searchOut) {
	t.Helper()
	if len(got.Results) != len(want.Results) || len(want.Results) == 0 {
		t.Fatalf("%s: %d results, want %d (> 0)", what, len(got.Results), len(want.Results))
	}
	for i := range want.Results {
		g, w := got.Results[i], want.Results[i]
		if g.DocID != w.DocID || g.Chunk != w.Chunk || g.Text != w.Text || abs(g.Score-w.Score) > 1e-4 {
			t.Errorf("%s: result %d = %s#%d %.6f, want %s#%d %.6f", what, i, g.DocID, g.Chunk, g.Score, w.DocID, w.Chunk, w.Score)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestExportImport_roundTrip moves the sample collection embedded ->
// Weaviate -> embedded with export and import (no re-embedding) and checks
// that every search mode gives the same results on both copies as on the
// original.
func TestExportImport_roundTrip(t *testing.T) {
	rt := realRuntime(t)
	store := weaviateForTest(t)
	dataA, dataB := t.TempDir(), t.TempDir()
	dump1, dump2 := filepath.Join(t.TempDir(), "a.jsonl"), filepath.Join(t.TempDir(), "b.jsonl")
	coll := fmt.Sprintf("roundtrip-%d", time.Now().UnixNano())
	g := append([]string{"--collection", coll}, rt...)
	emb := func(data string, args ...string) []string {
		return append(append(slices.Clone(args), "--data", data), g...)
	}
	wv := func(args ...string) []string { return append(append(slices.Clone(args), "--store", store), g...) }
	must := func(args ...string) string {
		t.Helper()
		_, errOut, err := run(t, "", args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return errOut
	}
	must(emb(dataA, "index", copyArticles(t))...)
	must(emb(dataA, "export", "-o", dump1)...)
	t.Cleanup(func() { dropWeaviateCollection(t, store, coll) })
	msg := must(wv("import", dump1)...)
	t.Log(msg)
	must(wv("export", "-o", dump2)...)
	must(emb(dataB, "import", dump2)...)

	for _, q := range []string{"Who did Trump fire the day before meeting Lavrov?", "What did Lavrov joke about?", "photos of the Oval Office"} {
		for _, mode := range []string{"vector", "bm25", "hybrid"} {
			orig := searchRanking(t, emb(dataA, "--mode", mode, q)...)
			back := searchRanking(t, emb(dataB, "--mode", mode, q)...)
			sameResults(t, "embedded after the round trip, "+mode+" "+q, back, orig)
			// Weaviate's BM25 ranks the same terms with the same formula, so
			// every mode matches across the backends too.
			onW := searchRanking(t, wv("--mode", mode, q)...)
			sameResults(t, "Weaviate copy, "+mode+" "+q, onW, orig)
		}
	}
}

func dropWeaviateCollection(t *testing.T, url, coll string) {
	opt, err := weaviatestore.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	s, err := weaviatestore.Open(opt)
	if err != nil {
		t.Error(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.DeleteCollection(ctx, coll); err != nil {
		t.Logf("cleanup: %v", err)
	}
}
