package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/lexicon"
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
		{"2:NaN:NaN", engine.WordExpansion{}, false},
		{"2:0.5:NaN", engine.WordExpansion{}, false},
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
	writeFile(t, vecs, "the 0 0 1\nwildebeest 1 0 0\nzebras 0.9 0.1 0\nbreakfast 0 1 0\n1990 0.99 0 0\nbanana 0 0.3 1\n")
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

	// With a thesaurus the expansion word is the one it relates to the
	// query word's base form, however far its vector.
	thesaurus := t.TempDir()
	writeFile(t, filepath.Join(thesaurus, "data.noun"), "00000001 05 n 02 wildebeest 0 banana 0 000 | made up\n")
	out, errOut, err = run(t, "", append([]string{"search", "--json", "--expand", "1:0.5:0", "--word-vectors", vecs, "--thesaurus", thesaurus, "wildebeests"}, g...)...)
	if err != nil || !strings.Contains(out, `"doc_id": "fruit.txt"`) || strings.Contains(out, "zebra.txt") {
		t.Errorf("with a thesaurus: err %v, out %s, stderr %s", err, out, errOut)
	}

	for name, args := range map[string][]string{
		"missing thesaurus": {"search", "--expand", "1:0.5:0.5", "--word-vectors", vecs, "--thesaurus", filepath.Join(t.TempDir(), "none"), "wildebeest"},
		"bad relations":     {"search", "--expand", "1:0.5:0.5", "--word-vectors", vecs, "--thesaurus", thesaurus, "--thesaurus-relations", "antonyms", "wildebeest"},
	} {
		_, errOut, code := runExit(t, "", append(args, g...)...)
		if code != 2 || !strings.Contains(errOut, "--thesaurus") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message naming the flag", name, code, errOut)
		}
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

// TestWordNeighbours_readOutlivesCaller: the first search to need the word
// vectors starts reading them, but a search that gives up does not stop the
// read, and the next search gets its result.
func TestWordNeighbours_readOutlivesCaller(t *testing.T) {
	// Long enough for the reader to look at its context on the way.
	var b strings.Builder
	b.WriteString("the 0 0 1\nwildebeest 1 0 0\nzebras 0.9 0.1 0\nbreakfast 0 1 0\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "filler%d 0 0.5 0.5\n", i)
	}
	vecs := filepath.Join(t.TempDir(), "glove.txt")
	writeFile(t, vecs, b.String())
	w := &wordNeighbours{path: vecs, log: slog.New(slog.DiscardHandler)}
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := w.Neighbours(gone, "wildebeest", 1); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled search: err %v, want context.Canceled (or the answer, had the read won)", err)
	}
	w.mu.Lock()
	loading := w.loading
	w.mu.Unlock()
	if loading != nil {
		<-loading
	}
	w.mu.Lock()
	idx, readErr := w.words, w.err
	w.mu.Unlock()
	if idx == nil {
		t.Fatalf("the read started by a cancelled search did not finish: %v", readErr)
	}
	ns, err := w.Neighbours(t.Context(), "wildebeest", 1)
	if err != nil || len(ns) != 1 || ns[0].Word != "zebras" {
		t.Fatalf("next search: %+v, %v; want zebras", ns, err)
	}

	missing := &wordNeighbours{path: filepath.Join(t.TempDir(), "none.txt"), log: slog.New(slog.DiscardHandler)}
	for range 2 { // a failed read is tried again, and fails again
		if _, err := missing.Neighbours(t.Context(), "wildebeest", 1); err == nil {
			t.Fatal("missing file: no error")
		}
	}
}

// TestWordNeighbours_thesaurus: with a thesaurus, a word's neighbours are
// the words it relates to the word's base form, most similar first by the
// vectors, cut to n; words without vectors and words that are not words of
// letters are left out, and the vectors' own nearest words are not used.
func TestWordNeighbours_thesaurus(t *testing.T) {
	dir := t.TempDir()
	vecs := filepath.Join(dir, "glove.txt")
	writeFile(t, vecs, "dismiss 1 0 0\nsack 0.9 0.1 0\nfire 0.5 0.5 0\nterminate 0.1 0.9 0\nsacking 1 0.01 0\nsacked 0.99 0 0\nbanana 0 0 1\n")
	thesaurus := filepath.Join(dir, "wn")
	if err := os.Mkdir(thesaurus, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(thesaurus, "data.verb"),
		"00000001 41 v 06 dismiss 0 terminate 0 fire 0 sack 0 can 0 x2 0 000 | made up\n")
	w := &wordNeighbours{path: vecs, thesaurus: thesaurus, relations: lexicon.Relations{Synonyms: true}, log: slog.New(slog.DiscardHandler)}
	tests := []struct {
		word string
		n    int
		want []string
	}{
		{"dismiss", 10, []string{"sack", "fire", "terminate"}}, // "can" has no vector, "x2" is not letters; "sacked" is near but unrelated
		{"dismiss", 2, []string{"sack", "fire"}},
		{"dismissed", 1, []string{"sack"}},                       // by its base form, whose vector stands in for its own
		{"sacking", 3, []string{"dismiss", "fire", "terminate"}}, // the relations of its base form "sack", ranked by its own vector
		{"banana", 3, nil},
	}
	for _, tt := range tests {
		ns, err := w.Neighbours(t.Context(), tt.word, tt.n)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ns {
			got = append(got, x.Word)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Neighbours(%q, %d) = %q, want %q", tt.word, tt.n, got, tt.want)
		}
	}

	bad := &wordNeighbours{path: vecs, thesaurus: dir, relations: lexicon.Relations{Synonyms: true}, log: slog.New(slog.DiscardHandler)}
	if _, err := bad.Neighbours(t.Context(), "dismiss", 1); !errors.Is(err, lexicon.ErrNoData) {
		t.Errorf("a thesaurus without data files: error %v, want lexicon.ErrNoData", err)
	}
}
