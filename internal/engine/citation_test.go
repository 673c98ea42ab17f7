package engine

import (
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestCitation: lines for text, a page (and lines within it) or a page
// range for a PDF, paragraphs for Word, chapter and paragraphs for EPUB.
func TestCitation(t *testing.T) {
	hit := func(format string, ls, le, ps, pe int, chapter string) vectorstore.Hit {
		return vectorstore.Hit{Title: "T", Source: "s", Format: format,
			Passage: vectorstore.Passage{LineStart: ls, LineEnd: le, PageStart: ps, PageEnd: pe, Chapter: chapter}}
	}
	for _, c := range []struct {
		h    vectorstore.Hit
		want string
	}{
		{hit("text", 3, 5, 0, 0, ""), `"T", s, lines 3-5`},
		{hit("markdown", 4, 4, 0, 0, ""), `"T", s, line 4`},
		{hit("pdf", 4, 9, 3, 3, ""), `"T", s, page 3, lines 4-9`},
		{hit("pdf", 30, 2, 3, 4, ""), `"T", s, pages 3-4`},
		{hit("docx", 3, 5, 0, 0, ""), `"T", s, paragraphs 3-5`},
		{hit("epub", 2, 2, 0, 0, "Storm"), `"T", s, chapter "Storm", paragraph 2`},
	} {
		if got := Citation(c.h); got != c.want {
			t.Errorf("Citation(%s) = %s, want %s", c.h.Format, got, c.want)
		}
	}
}
