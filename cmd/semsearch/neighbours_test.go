package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

var _ engine.WordNeighbours = (*wordNeighbours)(nil)

func TestParseExpand(t *testing.T) {
	tests := []struct {
		in   string
		want engine.WordExpansion
		ok   bool
	}{
		{"off", engine.WordExpansion{}, true},
		{"0", engine.WordExpansion{}, true},
		{"2:0.5:0.6", engine.WordExpansion{Terms: 2, Weight: 0.5, MinSimilarity: 0.6}, true},
		{"2:0.5:0.6:20", engine.WordExpansion{Terms: 2, Weight: 0.5, MinSimilarity: 0.6, Within: 20}, true},
		{"2:0.5:0.6:x", engine.WordExpansion{}, false},
		{"2:0.5:0.6:-1", engine.WordExpansion{}, false},
		{"2:0.5:0.6:1:2", engine.WordExpansion{}, false},
		{"2:0.5", engine.WordExpansion{}, false},
		{"x:0.5:0.6", engine.WordExpansion{}, false},
		{"2:0:0.6", engine.WordExpansion{}, false},
		{"2:0.5:1", engine.WordExpansion{}, false},
	}
	for _, tt := range tests {
		got, err := parseExpand(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseExpand(%q) = %+v, %v; want %+v, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLettersOnly(t *testing.T) {
	for w, want := range map[string]bool{"sacked": true, "café": true, "n't": false, "1990s": false, "co-op": false, "an": false} {
		if got := lettersOnly(w); got != want {
			t.Errorf("lettersOnly(%q) = %t, want %t", w, got, want)
		}
	}
}

// TestSearch_Expand: a BM25 search for a word no passage holds finds the
// passage that holds its word-vector neighbour once --expand is on, and
// --expand without word vectors is a usage error that says how to get them.
func TestSearch_Expand(t *testing.T) {
	data := offlineData(t, sampleArts())
	vecs := filepath.Join(t.TempDir(), "glove.txt")
	writeFile(t, vecs, "the 0 0 1\nwildebeest 1 0 0\nzebras 0.9 0.1 0\nbreakfast 0 1 0\n1990 0.99 0 0\n")
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "wildebeest", "relevant": ["zebra.txt"]}`+"\n")
	t.Setenv("SEMSEARCH_CACHE", t.TempDir()) // no cached tarball
	g := []string{"--data", data, "--collection", "news", "--model", "m", "--ollama", downAddr(t), "--mode", "bm25"}

	out, _, err := run(t, "", append([]string{"search", "--json", "wildebeest"}, g...)...)
	if err != nil || strings.Contains(out, "zebra.txt") {
		t.Fatalf("without expansion: err %v, out %s", err, out)
	}
	out, errOut, err := run(t, "", append([]string{"search", "--json", "--expand", "1:0.5:0.5", "--word-vectors", vecs, "wildebeest"}, g...)...)
	if err != nil || !strings.Contains(out, `"doc_id": "zebra.txt"`) || strings.Contains(out, "fruit.txt") {
		t.Errorf("with expansion: err %v, out %s, stderr %s", err, out, errOut)
	}

	for name, args := range map[string][]string{
		"no vectors":       {"search", "--expand", "1:0.5:0.5", "wildebeest"},
		"missing file":     {"search", "--expand", "1:0.5:0.5", "--word-vectors", filepath.Join(t.TempDir(), "none.txt"), "wildebeest"},
		"bad setting":      {"search", "--expand", "1:0.5", "--word-vectors", vecs, "wildebeest"},
		"sweep no vectors": {"eval", "--dataset", queries, "--corpus", vecs, "--sweep", "expand=off,1:0.5:0.5"},
	} {
		_, errOut, code := runExit(t, "", append(args, g...)...)
		if code != 2 || !strings.Contains(errOut, "expan") && !strings.Contains(errOut, "word-vectors") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message about expansion or word vectors", name, code, errOut)
		}
		if name == "no vectors" && !strings.Contains(errOut, "--word-vectors") {
			t.Errorf("%s: %q does not say how to give word vectors", name, errOut)
		}
	}
}
