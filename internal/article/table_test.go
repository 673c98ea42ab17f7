package article

import (
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
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

// cellGlyphs lays out table rows as layoutLines receives them from a PDF
// whose font widths are known: cells (split at "\t") 40 units apart, a
// wide gap no text line has, words within a cell 3 apart.
func cellGlyphs(rows ...string) []pdf.Text {
	var out []pdf.Text
	y := 700.0
	for _, row := range rows {
		x := 72.0
		for _, cell := range strings.Split(row, "\t") {
			for _, w := range strings.Fields(cell) {
				for _, r := range w {
					out = append(out, pdf.Text{S: string(r), X: x, Y: y, W: 5, FontSize: 10, Font: "F"})
					x += 5
				}
				x += 3
			}
			x += 40
		}
		y -= 14
	}
	return out
}

// Issue 22 item 3: a PDF table row (three or more runs of text on one
// baseline, wide gaps apart) reads as cells joined by " | ", as Word's and
// HTML's do; two columns of prose (one wide gap) stay text.
func TestLayoutLines_tableRows(t *testing.T) {
	var got []string
	for _, l := range layoutLines(cellGlyphs("Item\tContractor\tCost in pounds", "Quay east\tSmith and Co\t8000", "left column text\tright column text")) {
		got = append(got, l.text)
	}
	want := []string{"Item | Contractor | Cost in pounds", "Quay east | Smith and Co | 8000", "left column text right column text"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// spacedCellGlyphs lays out table rows as Chromium prints them: spaces are
// drawn as glyphs, widths are known, and cells (split at "\t") stand only
// their padding apart, 12 units at a 10-unit font.
func spacedCellGlyphs(rows ...string) []pdf.Text {
	var out []pdf.Text
	y := 700.0
	for _, row := range rows {
		x := 72.0
		for _, cell := range strings.Split(row, "\t") {
			for i, r := range cell {
				if i > 0 && r == ' ' {
					out = append(out, pdf.Text{S: " ", X: x, Y: y, W: 3, FontSize: 10, Font: "F"})
					x += 3
					continue
				}
				out = append(out, pdf.Text{S: string(r), X: x, Y: y, W: 5, FontSize: 10, Font: "F"})
				x += 5
			}
			x += 12
		}
		y -= 14
	}
	return out
}

// TestLayoutLines_tableRowsDrawnSpaces: on a page that draws its spaces
// (Chromium's), a gap with no space in it, over most of an em, parts
// cells, and three of them make a row; words keep their drawn spaces.
func TestLayoutLines_tableRowsDrawnSpaces(t *testing.T) {
	var got []string
	for _, l := range layoutLines(spacedCellGlyphs("Route\tAdult fare\tChild fare", "Harbour to Island\t12 pounds\t6 pounds", "Fares are paid on board.")) {
		got = append(got, l.text)
	}
	want := []string{"Route | Adult fare | Child fare", "Harbour to Island | 12 pounds | 6 pounds", "Fares are paid on board."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
