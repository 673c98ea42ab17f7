package article

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	pdf "github.com/ledongthuc/pdf"
)

// TestParsePDF_chromium reads a PDF that Chromium printed, with its header
// (date, title) and footer (file URL, "1/3") on every page, from
// testdata/pdf/printed.html, whose three sections each start a page: every
// sentence is on the page its section was printed on, and the running
// header and footer are gone.
func TestParsePDF_chromium(t *testing.T) {
	data, err := os.ReadFile("testdata/pdf/printed.pdf")
	if err != nil {
		t.Fatal(err)
	}
	arts, probs, err := Parse("reports/printed.pdf", "printed.pdf", data, "")
	if err != nil || len(probs) != 0 || len(arts) != 1 {
		t.Fatalf("Parse = %d articles, %v, %v", len(arts), probs, err)
	}
	a := arts[0]
	if a.Format != FormatPDF || a.Title != "Oval Office photos" || len(a.Pages) != 3 || a.Published.IsZero() {
		t.Fatalf("format %q title %q pages %v published %v", a.Format, a.Title, a.Pages, a.Published)
	}
	for _, c := range []struct {
		sentence string
		page     int
	}{
		{"President Donald Trump has met with Russian Foreign Minister Sergei Lavrov", 1},
		{"studies global criminal law and security.", 1},
		{"Lavrov joked about Comey's firing as he entered an earlier meeting", 2},
		{"possible coordination with Russian Federation to hack the election.", 2},
		{"Those zones are envisioned under a deal struck by Russia, Iran and", 3},
		{"Discuss This Article", 3},
	} {
		i := strings.Index(a.Text, c.sentence)
		if i < 0 {
			t.Errorf("%q not in the text", c.sentence)
			continue
		}
		if p := PageOf(a.Pages, i); p != c.page {
			t.Errorf("%q on page %d, want %d", c.sentence, p, c.page)
		}
	}
	for _, running := range []string{"file:///", "1/3", "2/3", "3/3", "PM"} {
		if strings.Contains(a.Text, running) {
			t.Errorf("running header or footer %q kept", running)
		}
	}
	// Lines count within a page: the first line of page 2 is line 1.
	line := strings.Count(a.Text[:a.Pages[1]], "\n") + 1
	if r := a.SourceLine(line); r.First != 1 {
		t.Errorf("page 2 starts on page line %d, want 1", r.First)
	}
}

// glyphs lays out words as glyphs of a font whose widths are known (as
// TeX's Type 1 fonts are): each line a baseline 14 units below the last,
// words 3 units apart, each glyph 5 wide.
func glyphs(lines ...string) []pdf.Text {
	var out []pdf.Text
	y := 700.0
	for _, l := range lines {
		if l == "" {
			y -= 14 // a paragraph gap
			continue
		}
		x := 72.0
		for _, w := range strings.Fields(l) {
			for _, r := range w {
				out = append(out, pdf.Text{S: string(r), X: x, Y: y, W: 5, FontSize: 10, Font: "F"})
				x += 5
			}
			x += 3
		}
		y -= 14
	}
	return out
}

// TestLayoutLines: words are spaced by their gaps, hyphenation at a line
// end is joined, ligatures are unfolded, paragraphs found by their gaps.
func TestLayoutLines(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string
		want string // lines joined by "|", "¶" before a paragraph
	}{
		{"words", []string{"the quick brown fox"}, "the quick brown fox"},
		{"hyphen joined", []string{"a docu-", "ment follows here"}, "a document|follows here"},
		{"hyphen kept before a capital", []string{"Anglo-", "Saxon times"}, "Anglo-|Saxon times"},
		{"hyphen of a one-word line", []string{"inter-", "national"}, "international"},
		{"ligatures", []string{"the ﬁrst ﬂoor oﬃce"}, "the first floor office"},
		{"paragraphs", []string{"one line", "two line", "three line", "", "new para"}, "one line|two line|three line|¶new para"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var parts []string
			for _, l := range layoutLines(glyphs(c.in...)) {
				s := l.text
				if l.gap {
					s = "¶" + s
				}
				parts = append(parts, s)
			}
			if got := strings.Join(parts, "|"); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// place lays out words as glyphs (5 wide, 3 apart) from x along baseline y.
func place(x, y float64, line string) []pdf.Text {
	var out []pdf.Text
	for _, w := range strings.Fields(line) {
		for _, r := range w {
			out = append(out, pdf.Text{S: string(r), X: x, Y: y, W: 5, FontSize: 10, Font: "F"})
			x += 5
		}
		x += 3
	}
	return out
}

// TestLayoutNewlineGlyph: a glyph that decodes to "\n" and has a width
// (the library's own extraction made one at each change of font in pdfTeX
// files) must not eat the space before the next word.
func TestLayoutNewlineGlyph(t *testing.T) {
	g := place(72, 700, "For integer types,")
	g = append(g, pdf.Text{S: "\n", X: 72 + 85, Y: 700, W: 8, FontSize: 10, Font: "F"})
	g = append(g, place(72+90, 700, "signed and unsigned")...)
	var got []string
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	if want := "For integer types, signed and unsigned"; strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

// TestLayoutColumns: a page set in two columns reads down the left column,
// then down the right, with a full-width heading above them and a footer
// below; a table whose cells are short keeps its rows.
func TestLayoutColumns(t *testing.T) {
	left := []string{"one two three four five six", "seven eight nine ten eleven", "twelve thirteen fourteen", "fifteen sixteen seventeen"}
	right := []string{"alpha beta gamma delta eps", "zeta eta theta iota kappa", "lambda mu nu xi omicron pi", "rho sigma tau upsilon phi"}
	var g []pdf.Text
	g = append(g, place(72, 740, "A heading that runs across both of the columns of this page")...)
	for i := range left {
		y := 700 - 14*float64(i)
		g = append(g, place(72, y, left[i])...)
		g = append(g, place(300, y, right[i])...)
	}
	g = append(g, place(72, 600, "left foot")...)
	g = append(g, place(300, 600, "right foot")...)
	var got []string
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	want := append(append([]string{"A heading that runs across both of the columns of this page"}, append(left, right...)...), "left foot right foot")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("two columns:\ngot  %q\nwant %q", got, want)
	}

	// Three columns (a newsletter): each read down before the next.
	cols := [3][]string{
		{"the first column opens", "and runs down the page", "to its very last line", "where the column ends"},
		{"the second column then", "carries the story on", "for a few lines more", "before it stops here"},
		{"a third column closes", "the page with its own", "lines of plain prose", "and a final word too"},
	}
	g = place(72, 740, "A headline across all three columns of the newsletter page")
	for i := range 4 {
		y := 700 - 14*float64(i)
		for c, x := range []float64{72, 250, 428} {
			g = append(g, place(x, y, cols[c][i])...)
		}
	}
	got = nil
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	want = append([]string{"A headline across all three columns of the newsletter page"}, append(append(cols[0], cols[1]...), cols[2]...)...)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("three columns:\ngot  %q\nwant %q", got, want)
	}

	// The story goes on at the top of the second and third columns; the
	// first column starts a line lower, and its baselines, after a
	// paragraph's gap, fall between theirs. The lines of all columns
	// together then lie closer than a line's height, which must not make
	// the top line seem a running header (read before the first column).
	g = nil
	var want3 []string
	line := func(c, i int) string { return fmt.Sprintf("column %d carries line %d", c, i) }
	for c, x := range []float64{72, 250, 428} {
		ys := []float64{740, 726, 712, 698, 684, 670, 656, 642}
		if c == 0 {
			ys = []float64{725, 707, 693, 679, 665, 651}
		}
		for i, y := range ys {
			g = append(g, place(x, y, line(c, i))...)
			want3 = append(want3, line(c, i))
		}
	}
	got = nil
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	if strings.Join(got, "|") != strings.Join(want3, "|") {
		t.Errorf("three columns, baselines apart:\ngot  %q\nwant %q", got, want3)
	}

	// Chromium's pages draw their spaces, and some of its fonts give no
	// widths: a line that spans the two columns between two blocks of
	// them is read whole, after the block above, whether its font gives
	// widths or not.
	for _, spanWidth := range []float64{5, 0} {
		spaced := func(x, y float64, line string, w float64) []pdf.Text {
			var out []pdf.Text
			for i, word := range strings.Fields(line) {
				if i > 0 {
					out = append(out, pdf.Text{S: " ", X: x, Y: y, W: 3 * min(w, 1), FontSize: 10, Font: "F"})
					x += 3
				}
				for _, r := range word {
					out = append(out, pdf.Text{S: string(r), X: x, Y: y, W: w, FontSize: 10, Font: "F"})
					x += 5
				}
			}
			return out
		}
		g = nil
		var want []string
		block := func(top float64, tag string) {
			var l, r []string
			for i := range 4 {
				y := top - 14*float64(i)
				l = append(l, fmt.Sprintf("left %s column line %d of text", tag, i))
				r = append(r, fmt.Sprintf("right %s column line %d of text", tag, i))
				g = append(g, spaced(72, y, l[i], 5)...)
				g = append(g, spaced(300, y, r[i], 5)...)
			}
			want = append(append(want, l...), r...)
		}
		block(740, "upper")
		g = append(g, spaced(72, 670, "a line across both of the columns, in between the two blocks of them", spanWidth)...)
		want = append(want, "a line across both of the columns, in between the two blocks of them")
		block(650, "lower")
		got = nil
		for _, l := range layoutLines(g) {
			got = append(got, l.text)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("two columns with a spanning line (its glyphs %v wide):\ngot  %q\nwant %q", spanWidth, got, want)
		}
	}

	// A large heading, narrower than the page and a little above the
	// columns, stands apart from them as before: the page is still read
	// column by column.
	g = nil
	for _, r := range "A big heading" {
		g = append(g, pdf.Text{S: string(r), X: 200 + 14*float64(len(g)), Y: 730, W: 13, FontSize: 24, Font: "F"})
	}
	for i := range left {
		y := 700 - 14*float64(i)
		g = append(g, place(72, y, left[i])...)
		g = append(g, place(300, y, right[i])...)
	}
	got = nil
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	if want := append([]string{"A big heading"}, append(left, right...)...); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("two columns under a big heading:\ngot  %q\nwant %q", got, want)
	}

	// A table of three columns of short cells keeps its rows.
	g = nil
	table := [][3]string{{"Item", "Count", "Price"}, {"apples", "12", "3.50"}, {"pears", "7", "2.10"}, {"plums", "30", "4.00"}, {"figs", "5", "6.25"}}
	for i, r := range table {
		y := 700 - 14*float64(i)
		for c, x := range []float64{72, 250, 428} {
			g = append(g, place(x, y, r[c])...)
		}
	}
	got = nil
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	if want := "Item | Count | Price|apples | 12 | 3.50|pears | 7 | 2.10|plums | 30 | 4.00|figs | 5 | 6.25"; strings.Join(got, "|") != want {
		t.Errorf("three-column table:\ngot  %q\nwant %q", strings.Join(got, "|"), want)
	}

	g = nil
	rows := [][2]string{{"Name", "Value"}, {"alpha", "1"}, {"beta", "2"}, {"gamma", "3"}, {"delta", "4"}}
	for i, r := range rows {
		y := 700 - 14*float64(i)
		g = append(g, place(72, y, r[0])...)
		g = append(g, place(300, y, r[1])...)
	}
	got = nil
	for _, l := range layoutLines(g) {
		got = append(got, l.text)
	}
	if want := "Name Value|alpha 1|beta 2|gamma 3|delta 4"; strings.Join(got, "|") != want {
		t.Errorf("table:\ngot  %q\nwant %q", strings.Join(got, "|"), want)
	}
}

// TestLayoutFarGlyph: a glyph placed far off the page (a damaged or
// crafted file) neither lays the page out in columns nor makes the
// column search allocate by its distance (a table of 10^9 cells).
func TestLayoutFarGlyph(t *testing.T) {
	var g []pdf.Text
	for i := range 8 {
		g = append(g, place(72, 700-14*float64(i), "a line of ordinary text here")...)
	}
	g = append(g, pdf.Text{S: "x", X: 1e9, Y: 700 - 14*3, W: 5, FontSize: 10, Font: "F"})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lines := layoutLines(g)
	runtime.ReadMemStats(&after)
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; len(lines) != 8 || mb > 16 {
		t.Errorf("%d lines, %d MB allocated", len(lines), mb)
	}
}

// TestDropRunning: lines that repeat at the top or bottom of most pages,
// numbers aside, and lone page numbers go; body text that merely repeats
// in the middle of pages stays.
func TestDropRunning(t *testing.T) {
	page := func(n int, body ...string) pdfPage {
		var p pdfPage
		for _, l := range append(append([]string{"Annual Report 2026", fmt.Sprintf("Chapter %d", n)}, body...), fmt.Sprintf("- %d -", n)) {
			p.lines = append(p.lines, pdfLine{text: l})
		}
		return p
	}
	pages := []pdfPage{
		page(1, "alpha", "beta", "gamma", "delta", "Summary", "epsilon"),
		page(2, "zeta", "eta", "Summary", "theta", "iota", "kappa"),
		page(3, "lambda", "mu", "nu", "xi", "omicron", "pi"),
	}
	dropRunning(pages)
	var got []string
	for _, p := range pages {
		for _, l := range p.lines {
			got = append(got, l.text)
		}
	}
	want := "alpha beta gamma delta Summary epsilon zeta eta Summary theta iota kappa lambda mu nu xi omicron pi"
	if strings.Join(got, " ") != want {
		t.Errorf("kept %q\nwant %q", strings.Join(got, " "), want)
	}
}

// minimalPDF writes a PDF of n pages whose content streams are contents
// (no text when empty), with a correct cross-reference table.
func minimalPDF(n int, contents string) []byte {
	var b strings.Builder
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 3+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for i := range n {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "+
			"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>", 4+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(contents), contents))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return []byte(b.String())
}

// TestParsePDF_problems: a PDF without a text layer is reported as such
// with its page count (not as a binary file), a broken one as broken; a
// PDF with text is read.
func TestParsePDF_problems(t *testing.T) {
	for _, c := range []struct {
		name, file string
		data       []byte
		want       string // in the skip reason; "" to load
	}{
		{"scanned", "scan.pdf", minimalPDF(4, "q 100 0 0 100 0 0 cm Q"), "without a text layer (scanned?): 4 pages"},
		{"text", "t.pdf", minimalPDF(1, "BT /F1 12 Tf 72 700 Td (Hello PDF world) Tj ET"), ""},
		{"truncated", "cut.pdf", minimalPDF(2, "")[:60], "broken PDF"},
		{"not a pdf", "x.pdf", []byte("hello, I am text"), "broken PDF"},
		{"sniffed without extension", "upload", minimalPDF(2, ""), "without a text layer (scanned?): 2 pages"},
	} {
		t.Run(c.name, func(t *testing.T) {
			arts, probs, err := Parse(c.file, c.file, c.data, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(arts) != 1 || !strings.Contains(arts[0].Text, "Hello PDF world") || len(probs) != 0 {
					t.Fatalf("got %+v, %v", arts, probs)
				}
				return
			}
			if len(arts) != 0 || len(probs) != 1 || probs[0].Kind != KindSkipped || !strings.Contains(probs[0].Reason, c.want) {
				t.Fatalf("got %d articles, problems %v; want a skip saying %q", len(arts), probs, c.want)
			}
		})
	}
}

func TestPageOf(t *testing.T) {
	pages := []int{0, 10, 10, 25}
	for off, want := range map[int]int{0: 1, 9: 1, 10: 3, 24: 3, 25: 4, 99: 4} {
		if got := PageOf(pages, off); got != want {
			t.Errorf("PageOf(%d) = %d, want %d", off, got, want)
		}
	}
	if PageOf(nil, 5) != 0 {
		t.Error("no pages: want 0")
	}
}
