package article_test

import (
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
)

// TestParse_lineEndings: a file with old Mac line endings (a lone CR) has
// lines like any other: the first is the title, paragraphs split, and
// passages cite the lines an editor shows. The text keeps the file's byte
// offsets. CRLF and LF files are read as they are. (A CR-only file used to
// be one line, so its whole text became the title.)
func TestParse_lineEndings(t *testing.T) {
	lf := "Dollar gains on Greenspan speech\n\nThe dollar has hit its highest level against the euro.\n\nMarkets expect more rises.\nAnalysts agree.\n"
	for _, tc := range []struct {
		name, source, sep string
		wantSame          bool // Text is the file's bytes unchanged
	}{
		{"LF", "a.txt", "\n", true},
		{"CRLF", "a.txt", "\r\n", true},
		{"CR", "a.txt", "\r", false},
		{"CR markdown", "a.md", "\r", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := strings.ReplaceAll(lf, "\n", tc.sep)
			if tc.source == "a.md" {
				file = "# " + file
			}
			arts, probs, err := article.Parse(tc.source, "a", []byte(file), "")
			if err != nil || len(arts) != 1 {
				t.Fatalf("Parse: %v %v %v", arts, probs, err)
			}
			a := arts[0]
			if a.Title != "Dollar gains on Greenspan speech" {
				t.Errorf("title %q", a.Title)
			}
			if len(a.Text) != len(file) {
				t.Errorf("text of %d bytes for a file of %d: offsets no longer match the file", len(a.Text), len(file))
			}
			if tc.wantSame && a.Text != file {
				t.Errorf("text changed: %q", a.Text)
			}
			opt := chunk.Options{Unit: chunk.Words, Size: 8, Overlap: 0, Max: 12}
			chunks, err := chunk.Split(a.Text, a.Skip, opt)
			if err != nil {
				t.Fatal(err)
			}
			last := chunks[len(chunks)-1]
			if last.LineEnd < 5 || !strings.Contains(a.Text[last.Start:last.End], "Analysts agree.") {
				t.Errorf("last passage %q cites lines %d-%d, want it to end on line 6", a.Text[last.Start:last.End], last.LineStart, last.LineEnd)
			}
			for _, c := range chunks {
				if strings.Contains(a.Text[c.Start:c.End], "Analysts") && c.LineEnd != 6 {
					t.Errorf("passage %q cites lines %d-%d, want the end at line 6", a.Text[c.Start:c.End], c.LineStart, c.LineEnd)
				}
			}
		})
	}
}
