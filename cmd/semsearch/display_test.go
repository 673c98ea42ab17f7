package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
