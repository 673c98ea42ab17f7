package article

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkArticle fails t when a breaks an invariant every loaded article keeps:
// valid UTF-8 text with content, an ID, a known format, and Skip spans that
// are ordered, non-overlapping, non-empty, within Text and on line
// boundaries.
func checkArticle(t testing.TB, a Article) {
	t.Helper()
	if err := articleInvariant(a); err != "" {
		t.Errorf("article %q: %s", a.ID, err)
	}
}

func articleInvariant(a Article) string {
	switch {
	case a.ID == "":
		return "empty ID"
	case !slices.Contains([]string{"text", "markdown", "html", "json", "pdf", "docx", "epub"}, a.Format):
		return "unknown format " + a.Format
	case !utf8.ValidString(a.Text):
		return "text is not valid UTF-8"
	case !hasContent(a.Text, a.Skip):
		return "no text outside Skip"
	}
	prev := 0
	for _, s := range a.Skip {
		switch {
		case s.Start < prev:
			return "skip spans out of order or overlapping"
		case s.End <= s.Start:
			return "empty skip span"
		case s.End > len(a.Text):
			return "skip span past end of text"
		case s.Start > 0 && a.Text[s.Start-1] != '\n':
			return "skip span does not start a line"
		case s.End < len(a.Text) && a.Text[s.End-1] != '\n':
			return "skip span does not end a line"
		}
		prev = s.End
	}
	return ""
}

// skippedLines returns the trimmed non-empty lines of a.Text inside Skip.
func skippedLines(a Article) []string {
	var out []string
	for _, s := range a.Skip {
		for _, l := range strings.Split(a.Text[s.Start:s.End], "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// checkSkipPartition fails t unless the non-empty lines of a.Text for which
// want is true are exactly those in Skip: noise goes, every other line stays.
func checkSkipPartition(t *testing.T, a Article, want func(line string) bool) {
	t.Helper()
	skipped := map[int]bool{}
	for _, l := range splitLines(a.Text) {
		for _, s := range a.Skip {
			if l.start >= s.Start && l.start < s.End {
				skipped[l.start] = true
			}
		}
	}
	for _, l := range splitLines(a.Text) {
		c := l.content(a.Text)
		if c == "" {
			continue
		}
		if w := want(c); w != skipped[l.start] {
			if w {
				t.Errorf("line %q: want it in Skip, it is content", c)
			} else {
				t.Errorf("line %q: want it content, it is in Skip", c)
			}
		}
	}
}

// readTestdata returns the bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeTree creates files (slash-separated path -> content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func articleIDs(arts []Article) []string {
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	return ids
}

func problemKinds(probs []Problem) map[string]string {
	m := map[string]string{}
	for _, p := range probs {
		m[filepath.ToSlash(p.Source)] += p.Kind + ";"
	}
	return m
}
