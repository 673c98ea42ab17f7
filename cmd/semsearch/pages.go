package main

import (
	"fmt"
	"strings"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// cutPages returns pages "A-B" (1-based, inclusive) of a PDF's stored
// text, each after a "--- page N ---" line; with lines "C-D" only the
// lines of those pages that citations number C to D (lines within a page,
// as in `page 3, lines 4-9`).
func cutPages(doc vectorstore.Document, pages, lines string) (string, error) {
	n := len(doc.Pages)
	if n == 0 {
		return "", fmt.Errorf("--pages: %s has no pages (format %s); use --lines or --bytes", doc.ID, doc.Format)
	}
	s, e, err := parseRange(pages)
	if err != nil || s < 1 || s > e || e > n {
		return "", fmt.Errorf("--pages %q: want A-B within 1-%d", pages, n)
	}
	ls, le := 0, 0
	if lines != "" {
		if ls, le, err = parseRange(lines); err != nil || ls < 1 || ls > le {
			return "", fmt.Errorf("--lines %q: want A-B, lines within the page as cited", lines)
		}
	}
	var b strings.Builder
	for p := s; p <= e; p++ {
		start, end := doc.Pages[p-1], len(doc.Text)
		if p < n {
			end = doc.Pages[p]
		}
		fmt.Fprintf(&b, "--- page %d ---\n", p)
		// The Text line the page starts on, to map its lines through
		// doc.Lines to the lines citations count.
		first := strings.Count(doc.Text[:start], "\n")
		for i, l := range strings.SplitAfter(strings.TrimRight(doc.Text[start:end], "\n"), "\n") {
			if lines != "" {
				k := first + i
				if k >= len(doc.Lines) || doc.Lines[k].First < ls || doc.Lines[k].First > le || strings.TrimSpace(l) == "" {
					continue
				}
			}
			b.WriteString(strings.TrimRight(l, "\n") + "\n")
		}
	}
	return b.String(), nil
}
