package chunk

import (
	"fmt"
	"strings"
	"testing"
)

// tableText builds a document with a table of rows rows: Markdown (pipes
// at both ends and a separator row under the header, rows one a line) or
// the loaders' form for Word and HTML (cells joined by " | ", rows as
// paragraphs).
func tableText(markdown bool, rows int, long string) string {
	var b strings.Builder
	b.WriteString("Harbour costs\n\nThe council published the costs of the harbour works this week.\n\n")
	row := func(cells ...string) {
		if markdown {
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		} else {
			b.WriteString(strings.Join(cells, " | ") + "\n\n")
		}
	}
	row("Item", "Contractor", "Cost in pounds")
	if markdown {
		b.WriteString("|---|---|---:|\n")
	}
	for i := 1; i <= rows; i++ {
		note, cost := fmt.Sprintf("outer wall section %d repaired with new concrete blocks", i), fmt.Sprintf("%d000", i)
		if i == 3 && long != "" {
			note, cost = long, cost+" "+long
		}
		row(fmt.Sprintf("Section %d", i), note, cost)
	}
	b.WriteString("\nWork starts in May.\n")
	return b.String()
}

// Issue 22 item 3: a passage that holds table rows but not the header
// repeats the header as context (HeaderStart:HeaderEnd, outside its own
// span, so citations stay exact); rows are never split unless one alone
// exceeds Max, and then at cell boundaries.
func TestSplit_Tables(t *testing.T) {
	opt := Options{Unit: Words, Size: 30, Overlap: 8, Max: 40}
	long := "a very long note about the repairs to this part of the wall which the engineers said would take until the autumn to finish"
	for _, tt := range []struct {
		name     string
		markdown bool
		long     string
		header   string
	}{
		{"markdown", true, "", "| Item | Contractor | Cost in pounds |\n|---|---|---:|"},
		{"cells joined by bars", false, "", "Item | Contractor | Cost in pounds"},
		{"a row over max", false, long, "Item | Contractor | Cost in pounds"},
		{"markdown row over max", true, long, "| Item | Contractor | Cost in pounds |\n|---|---|---:|"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := tableText(tt.markdown, 12, tt.long)
			chunks, err := Split(text, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			headerAt := strings.Index(text, tt.header)
			withHeader := 0
			for _, c := range chunks {
				body := text[c.Start:c.End]
				rows := strings.Contains(body, "Section ") || strings.Contains(body, "a very long note")
				if !rows {
					if c.HeaderEnd != 0 {
						t.Errorf("chunk %d holds no row, yet has header context %q", c.Index, text[c.HeaderStart:c.HeaderEnd])
					}
					continue
				}
				if c.Start > headerAt {
					// Holds rows but not the header: the header is its context.
					if got := text[c.HeaderStart:c.HeaderEnd]; got != tt.header {
						t.Errorf("chunk %d %q: header context %q, want %q", c.Index, body, got, tt.header)
					}
					withHeader++
				}
				// A row is cut only when it alone exceeds Max, and then
				// at a cell boundary.
				for _, edge := range []int{c.Start, c.End} {
					lineStart := strings.LastIndexByte(text[:edge], '\n') + 1
					lineEnd := len(text)
					if i := strings.IndexByte(text[edge:], '\n'); i >= 0 {
						lineEnd = edge + i
					}
					line := text[lineStart:lineEnd]
					if strings.TrimSpace(text[lineStart:edge]) == "" || strings.TrimSpace(text[edge:lineEnd]) == "" {
						continue // at a row's edge
					}
					if !strings.Contains(line, "a very long note") {
						t.Errorf("chunk %d cuts the row %q", c.Index, line)
					}
					if before, after := strings.TrimRight(text[lineStart:edge], " "), strings.TrimLeft(text[edge:lineEnd], " "); !strings.HasSuffix(before, "|") && !strings.HasPrefix(after, "|") {
						t.Errorf("chunk %d cuts the long row inside a cell: ...%q / %q...", c.Index, before[max(0, len(before)-20):], after[:min(20, len(after))])
					}
				}
			}
			if withHeader < 2 {
				t.Errorf("%d passages repeat the header; want the table spread over several", withHeader)
			}
		})
	}
}

// TableHeader finds, for a passage's start, the header Split gave it.
func TestTableHeader(t *testing.T) {
	opt := Options{Unit: Words, Size: 30, Overlap: 8, Max: 40}
	for _, markdown := range []bool{true, false} {
		text := tableText(markdown, 12, "")
		chunks, err := Split(text, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			got := TableHeader(text, nil, c.Start)
			if got.Start != c.HeaderStart || got.End != c.HeaderEnd {
				t.Errorf("chunk %d %q: TableHeader %v, Split gave %d-%d", c.Index, text[c.Start:c.End], got, c.HeaderStart, c.HeaderEnd)
			}
		}
	}
}
