package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// bbcDir copies BBC articles (folder/name) from the shared test data into
// a new directory, keeping their folders; it skips when the data is not there.
func bbcDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("../../../shared/data/bbc", n))
		if os.IsNotExist(err) {
			t.Skip("the BBC corpus is not in ../shared/data/bbc")
		} else if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, n), string(b))
	}
	return dir
}

// Issue 21 item 13: identical articles (tech/003 and tech/036) fill the
// results once, naming the copy; --keep-duplicates shows both.
func TestSearch_FoldsDuplicates(t *testing.T) {
	dir := bbcDir(t, "tech/003.txt", "tech/036.txt", "tech/001.txt")
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	q := "Microsoft seeking spyware trojan"
	out, errOut, code := runExit(t, "", append([]string{"search", "-k", "3", q}, g...)...)
	if code != 0 {
		t.Fatalf("search: %s", errOut)
	}
	if n3, n36 := strings.Count(out, "tech/003.txt, line"), strings.Count(out, "tech/036.txt, line"); n3+n36 != 4 || !strings.Contains(out, "(the same text is also in") {
		t.Errorf("want each passage of the article once, naming its copy (4 citations in all), got %d+%d:\n%s", n3, n36, out)
	}
	out, _, _ = runExit(t, "", append([]string{"search", "-k", "3", "--json", q}, g...)...)
	if !strings.Contains(out, `"duplicates": [`) {
		t.Errorf("search --json names no duplicates:\n%s", out)
	}
	out, errOut, code = runExit(t, "", append([]string{"search", "-k", "3", "--keep-duplicates", q}, g...)...)
	if code != 0 {
		t.Fatalf("search --keep-duplicates: %s", errOut)
	}
	if !strings.Contains(out, "id tech/003.txt") || !strings.Contains(out, "id tech/036.txt") || strings.Contains(out, "also in") {
		t.Errorf("--keep-duplicates does not show both copies:\n%s", out)
	}
}

// Issue 21 item 17: a printed passage keeps its line breaks (wrapped and
// indented), shows the title once (in the citation), and stays safe for
// the terminal.
func TestPrintResults_KeepsLinesShowsTitleOnce(t *testing.T) {
	text := "Comey timeline\n\nMay 9, 2017: Comey fired\nTrump, heeding advice from his attorney general, " +
		strings.Repeat("dismissed the director ", 6) + "\n\n\n\x1b[31mred\n"
	h := vectorstore.Hit{DocID: "comey.txt", Title: "Comey timeline", Source: "comey.txt",
		Passage: vectorstore.Passage{LineStart: 1, LineEnd: 7, Text: text}}
	var b strings.Builder
	printResults(&b, engine.Response{Collection: "news", Query: "q", Mode: engine.Hybrid, Model: "m",
		Results: []engine.Result{{Hit: h, Rank: 1, Citation: engine.Citation(h)}}})
	out := b.String()
	for _, want := range []string{
		"\n    May 9, 2017: Comey fired\n    Trump, heeding advice",
		"dismissed the director\n    dismissed", // long lines wrap, indented
		"director\n\n    \\x1b[31mred\n",        // runs of blank lines become one; escapes shown, not sent
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Comey timeline"); n != 1 {
		t.Errorf("title printed %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("terminal escape printed raw:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 104 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
}

// Issue 21 item 11: a filter that matches nothing says which and why on
// stderr, beside "no passages found".
func TestSearch_EmptyFilterSaysWhy(t *testing.T) {
	dir := bbcDir(t, "sport/001.txt", "tech/001.txt")
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--filter", "category=sport"}, `no document of "default" has a field "category"`},
		{[]string{"--doc", "sport/999.txt"}, `no document of "default" has the id "sport/999.txt"`},
		{[]string{"--after", "2005-01-01"}, "2 of its 2 documents have no date"},
	} {
		args := append(append([]string{"search"}, tt.flags...), "the match")
		out, errOut, code := runExit(t, "", append(args, g...)...)
		if code != 0 || !strings.Contains(out, "no passages found") || !strings.Contains(errOut, "warning: filter: ") || !strings.Contains(errOut, tt.want) {
			t.Errorf("search %v: exit %d, no %q in\n%s%s", tt.flags, code, tt.want, out, errOut)
		}
	}
}

// Issue 21 item 11: --doc-prefix keeps a folder's articles.
func TestSearch_DocPrefix(t *testing.T) {
	dir := bbcDir(t, "sport/001.txt", "sport/002.txt", "tech/001.txt", "tech/002.txt")
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"search", "--json", "-k", "4", "--doc-prefix", "sport/", "the game"}, g...)...)
	if code != 0 || !strings.Contains(out, `"doc_id": "sport/`) || strings.Contains(out, `"doc_id": "tech/`) {
		t.Errorf("--doc-prefix sport/: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, _ = runExit(t, "", append([]string{"search", "--doc-prefix", "music/", "the game"}, g...)...)
	if !strings.Contains(errOut, `starting with "music/"`) {
		t.Errorf("--doc-prefix music/: %s", errOut)
	}
}

// Issue 21 item 15: collections lists, drops (asking first, or --yes) and
// renames (without embedding again) collections.
func TestCollections_ListDropRename(t *testing.T) {
	dir := bbcDir(t, "sport/001.txt", "tech/001.txt")
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	for _, col := range []string{"bbc", "eval-bbc-1234abcd"} {
		if _, errOut, code := runExit(t, "", append([]string{"index", "-c", col, dir}, g...)...); code != 0 {
			t.Fatalf("index: %s", errOut)
		}
	}
	out, errOut, code := runExit(t, "", append([]string{"collections"}, g...)...)
	if code != 0 || !strings.Contains(out, "bbc\t2 articles") || !strings.Contains(out, "eval-bbc-1234abcd\t2 articles") {
		t.Fatalf("collections: %d\n%s%s", code, out, errOut)
	}
	// Not confirmed: nothing dropped.
	_, errOut, code = runExit(t, "no\n", append([]string{"collections", "drop", "eval-bbc-1234abcd"}, g...)...)
	if code != 2 || !strings.Contains(errOut, "nothing was dropped") {
		t.Errorf("drop answered no: %d %s", code, errOut)
	}
	out, errOut, code = runExit(t, "yes\n", append([]string{"collections", "drop", "eval-bbc-1234abcd"}, g...)...)
	if code != 0 || !strings.Contains(out, `dropped collection "eval-bbc-1234abcd" (2 articles`) {
		t.Errorf("drop answered yes: %d %s%s", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"collections", "drop", "--yes", "nope"}, g...)...)
	if code == 0 || !strings.Contains(errOut, `collection "nope" does not exist`) || !strings.Contains(errOut, "bbc") {
		t.Errorf("drop nope: %d %s", code, errOut)
	}
	calls := f.embeds.Load()
	out, errOut, code = runExit(t, "", append([]string{"collections", "rename", "bbc", "news"}, g...)...)
	if code != 0 || !strings.Contains(out, `renamed collection "bbc" to "news"`) {
		t.Fatalf("rename: %d %s%s", code, out, errOut)
	}
	out, _, _ = runExit(t, "", append([]string{"collections"}, g...)...)
	if strings.TrimSpace(out) != "news\t2 articles, "+strings.SplitN(strings.SplitN(out, ", ", 2)[1], "\n", 2)[0] {
		t.Errorf("after rename and drop: %q", out)
	}
	out, errOut, code = runExit(t, "", append([]string{"search", "-c", "news", "--mode", "bm25", "Claxton hurdles"}, g...)...)
	if code != 0 || !strings.Contains(out, "id sport/001.txt") {
		t.Errorf("bm25 search of the renamed collection: %d %s%s", code, out, errOut)
	}
	if f.embeds.Load() != calls {
		t.Errorf("rename embedded again: %d embedding calls", f.embeds.Load()-calls)
	}
}

// Issue 21 item 15: eval's summary names the collection it used.
func TestEval_SummaryNamesCollection(t *testing.T) {
	f := newFakeOllama(t, "fake")
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "zebras graze", "relevant": ["animals/zebra.txt"]}`+"\n")
	_, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", evalCorpus(t)}, f.flags(t.TempDir())...)...)
	if code != 0 || !regexp.MustCompile(`over 3 documents in collection "eval-queries-[0-9a-f]{8}"`).MatchString(errOut) {
		t.Errorf("eval: %d, no collection named in\n%s", code, errOut)
	}
}
