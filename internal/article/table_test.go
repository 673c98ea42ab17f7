package article

import (
	"strings"
	"testing"
)

// Issue 22 item 3: an HTML table reaches the chunker as the Word loader
// gives one: a paragraph a row, cells joined by " | " (empty cells kept),
// each row cited by its line in the file.
func TestParse_HTMLTable(t *testing.T) {
	src := "<html><head><title>Costs</title></head><body>\n<p>The harbour costs.</p>\n<table>\n" +
		"<tr><th>Item</th><th>Contractor</th><th>Cost</th></tr>\n" +
		"<tr><td>Wall</td><td></td><td>12000</td></tr>\n" +
		"<tr><td>Quay <b>east</b></td><td>Smith &amp; Co</td><td>8000</td></tr>\n" +
		"</table>\n</body></html>\n"
	arts, _, err := Parse("costs.html", "costs.html", []byte(src), "")
	if err != nil || len(arts) != 1 {
		t.Fatalf("Parse: %v %v", arts, err)
	}
	a := arts[0]
	for _, row := range []string{"\n\nItem | Contractor | Cost\n\n", "\n\nWall | | 12000\n\n", "\n\nQuay east | Smith & Co | 8000"} {
		if !strings.Contains(a.Text, row) {
			t.Errorf("no row %q in\n%q", row, a.Text)
		}
	}
	line := strings.Count(a.Text[:strings.Index(a.Text, "Quay east")], "\n") + 1
	if r := a.SourceLine(line); r.First != 6 {
		t.Errorf("row cited at line %d of the file, want 6", r.First)
	}
}
