package article

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	pdf "github.com/ledongthuc/pdf"
)

// PDF text is read with github.com/ledongthuc/pdf: pure Go (semsearch stays
// one static binary, no cgo, no WebAssembly runtime), maintained, and it
// decodes what text extraction needs (ToUnicode maps, CID fonts, standard
// encodings, xref and object streams, RC4/AES with an empty password). It
// gives each glyph run with its position; the layout below (lines, reading
// order, paragraphs, running headers and footers, hyphenation, ligatures)
// is semsearch's own. rsc.io/pdf, which it forked from, reads Chromium's
// CID fonts as glyph ids; pdfcpu processes PDFs but does not extract text
// in reading order; go-pdfium needs cgo or a WebAssembly runtime.

// pdfPage is the extracted text of one page: its lines, top to bottom.
type pdfPage struct {
	lines []pdfLine
}

type pdfLine struct {
	text string
	y    float64 // baseline, PDF units from the bottom
	size float64 // font size
	x    float64 // left edge
	gap  bool    // a paragraph break comes before this line
}

// errPDFEncrypted means a PDF needs a password semsearch does not have.
var errPDFEncrypted = errors.New("password-protected PDF: decrypt it first (e.g. qpdf --decrypt --password=... in.pdf out.pdf)")

// parsePDF extracts the text of a PDF into a, one page after another, with
// a.Pages holding where each page starts in a.Text and a.Lines the line
// within its page of each line of Text. It returns a reason to skip the
// file, or "".
func parsePDF(a *Article, data []byte) (skip string) {
	pages, info, err := readPDF(data)
	if err != nil {
		return err.Error()
	}
	a.Title, a.Author = info.title, info.author
	if t, ok := pdfDate(info.date); ok {
		a.Published = t
	}
	dropRunning(pages)
	var b strings.Builder
	var lines []LineRange
	a.Pages = make([]int, len(pages))
	for i, p := range pages {
		if i > 0 && b.Len() > 0 {
			// A page break is a paragraph break: the chunker may end a
			// passage there.
			b.WriteString("\n\n")
			last := lines[len(lines)-1]
			lines = append(lines, last)
		}
		a.Pages[i] = b.Len()
		n := 0 // line within the page, 1-based, counting the lines kept
		for j, l := range p.lines {
			n++
			if j > 0 {
				if l.gap {
					b.WriteString("\n\n")
					lines = append(lines, LineRange{n - 1, n - 1})
				} else {
					b.WriteByte('\n')
				}
			}
			b.WriteString(l.text)
			lines = append(lines, LineRange{n, n})
		}
	}
	a.Text = b.String()
	a.Lines = lines
	if strings.TrimSpace(a.Text) == "" {
		return fmt.Sprintf("PDF without a text layer (scanned?): %d pages and no text to index; semsearch does no OCR: add a text layer first (e.g. ocrmypdf in.pdf out.pdf) and index that", len(pages))
	}
	return ""
}

// readPDF reads the lines of every page. The PDF library panics on some
// malformed files: that is an error about the file, not a crash.
func readPDF(data []byte) (pages []pdfPage, info pdfInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			pages, err = nil, fmt.Errorf("broken PDF (the PDF reader failed on it: %v)", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "encrypt") {
			return nil, info, errPDFEncrypted
		}
		return nil, info, fmt.Errorf("broken PDF: %v", err)
	}
	n := r.NumPage()
	if n == 0 {
		return nil, info, errors.New("broken PDF: no pages")
	}
	in := r.Trailer().Key("Info")
	info = pdfInfo{title: strings.TrimSpace(in.Key("Title").Text()), author: strings.TrimSpace(in.Key("Author").Text()),
		date: in.Key("CreationDate").RawString()}
	pages = make([]pdfPage, n)
	for i := range n {
		pages[i] = readPDFPage(r.Page(i + 1))
	}
	return pages, info, nil
}

// pdfInfo is what a PDF's document information dictionary says.
type pdfInfo struct{ title, author, date string }

// pdfDate parses a PDF date, "D:YYYYMMDDHHmmSS" with an optional zone.
func pdfDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(s, "D:")
	if len(s) < 8 {
		return time.Time{}, false
	}
	n := min(len(s), 14)
	for n > 8 && (n%2 != 0 || !allDigits(s[:n])) {
		n--
	}
	if !allDigits(s[:n]) {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405"[:n], s[:n])
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// readPDFPage lays out one page; a page the library cannot read is empty.
func readPDFPage(p pdf.Page) (out pdfPage) {
	defer func() {
		if recover() != nil {
			out = pdfPage{}
		}
	}()
	if p.V.IsNull() {
		return pdfPage{}
	}
	return pdfPage{lines: layoutLines(pageGlyphs(p))}
}

// cellGap is the gap along a baseline that parts runs of text (columns,
// table cells): two and a half ems, or, on a page that draws its spaces
// (so that a gap without one is layout), four fifths of an em.
func cellGap(size float64, drawsSpaces bool) float64 {
	if drawsSpaces {
		return size * 0.8
	}
	return size * 2.5
}

// run is a stretch of glyphs shown together at one baseline.
type run struct {
	x, y, end, size float64
	noWidth         bool // end is the last glyph's start: its font's widths are unknown
	text            strings.Builder
}

// layoutLines groups glyphs into lines, top to bottom and left to right
// within a line, with spaces where glyphs are apart, and marks paragraph
// breaks where the gap above a line is larger than the usual line spacing.
func layoutLines(glyphs []pdf.Text) []pdfLine {
	drawsSpaces := false
	for _, g := range glyphs {
		if g.S == " " {
			drawsSpaces = true
			break
		}
	}
	// On a page that draws its spaces, columns are found on runs that a
	// space does not carry across a wide gap; the runs read are then built
	// again, carried across a wide space (justified text) but never across
	// a gutter.
	runs := buildRuns(glyphs, drawsSpaces, !drawsSpaces, nil)
	top, bottom := bodyRange(runs)
	inBody := func(r *run) bool { return r.y <= top && r.y >= bottom }
	gutters := findGutters(runs, inBody)
	if drawsSpaces {
		runs = buildRuns(glyphs, drawsSpaces, true, func(end, x, y, size float64) bool {
			// A gap of an em or more (a gutter is as wide) across a
			// gutter's middle: the glyphs of a line that spans the
			// columns lie closer, even when end is a glyph's start (its
			// font gives no widths).
			if y > top || y < bottom || x-end < size {
				return false
			}
			for _, g := range gutters {
				if mid := (g[0] + g[1]) / 2; end <= mid && x >= mid {
					return true
				}
			}
			return false
		})
	}
	// Lines: runs on one baseline, top first; on a page set in columns,
	// down each column in turn, between the runs that span them
	// (headings, running lines).
	readingOrder(runs, gutters, inBody)
	var lines []pdfLine
	for i := 0; i < len(runs); {
		r := runs[i]
		l := pdfLine{y: r.y, size: r.size, x: r.x}
		end := i + 1
		for end < len(runs) && math.Abs(runs[end].y-r.y) < r.size*0.4 {
			end++
		}
		// Runs a wide gap apart (a gap that split them, not a kerning
		// jump) are table cells when a line has three or more of them:
		// joined by " | ", as the Word and HTML loaders join cells, so
		// that the chunker knows a table row. Two are two columns of
		// text, and stay text.
		wide := func(k int) bool {
			return !runs[k-1].noWidth && runs[k].x-runs[k-1].end >= cellGap(runs[k].size, drawsSpaces)
		}
		cells := 1
		for k := i + 1; k < end; k++ {
			if wide(k) {
				cells++
			}
		}
		var b strings.Builder
		b.WriteString(r.text.String())
		prevEnd, prevNoWidth := r.end, r.noWidth
		j := i + 1
		for ; j < end; j++ {
			// After a run whose last glyph's width is unknown, the gap
			// includes that glyph: only a wide one is a space (a kerned
			// pair is split into runs, "W" "ednesday").
			minGap := runs[j].size * 0.1
			if prevNoWidth {
				minGap = runs[j].size
			}
			switch {
			case cells >= 3 && wide(j):
				b.WriteString(" | ")
			case !endsSpace(&b) && !strings.HasPrefix(runs[j].text.String(), " ") && runs[j].x-prevEnd > minGap:
				b.WriteByte(' ')
			}
			b.WriteString(runs[j].text.String())
			prevEnd, prevNoWidth = runs[j].end, runs[j].noWidth
			l.size = max(l.size, runs[j].size)
		}
		i = j
		l.text = cleanPDFLine(b.String())
		if l.text != "" {
			lines = append(lines, l)
		}
	}
	markParagraphs(lines)
	return joinHyphens(lines)
}

// buildRuns groups glyphs into runs: glyphs shown together along one
// baseline. A drawn space carries a run across a gap of up to two and a
// half ems (justified text) when wideSpaces is set, and never across a gap
// that apart reports (a gutter between columns).
func buildRuns(glyphs []pdf.Text, drawsSpaces, wideSpaces bool, apart func(end, x, y, size float64) bool) []*run {
	var runs []*run
	var cur *run
	for _, g := range glyphs {
		// A glyph that decodes to a line break (a ToUnicode map may map
		// one so) carries nothing a position does not, and its width
		// would hide the next space.
		if g.S == "" || g.S == "\n" {
			continue
		}
		size := g.FontSize
		if size <= 0 {
			size = 10
		}
		// A glyph whose font gives no width (W == 0) ends at the next
		// one's start; on a page that draws its spaces such glyphs
		// neither split a run nor make a space, since only their starts
		// are known. Otherwise a gap of a column's width splits a run;
		// on a page that draws its spaces (Chromium's) a gap with no
		// space in it already does from most of an em (cell padding),
		// so that table cells stand apart.
		w, minGap, maxGap := g.W, size*0.15, cellGap(size, drawsSpaces)
		if w == 0 && drawsSpaces {
			minGap, maxGap = math.Inf(1), math.Inf(1)
		}
		afterSpace := wideSpaces && cur != nil && (endsSpace(&cur.text) || g.S == " ")
		if cur != nil && math.Abs(g.Y-cur.y) < size*0.4 && g.X >= cur.x-0.5 &&
			(g.X-cur.end < maxGap || afterSpace && g.X-cur.end < cellGap(size, false)) &&
			(apart == nil || !apart(cur.end, g.X, g.Y, size)) {
			// Same line, continuing: a space where there is a visible gap
			// and none is drawn (TeX positions words instead).
			if gap := g.X - cur.end; gap > minGap && !endsSpace(&cur.text) && g.S != " " {
				cur.text.WriteByte(' ')
			}
			cur.text.WriteString(g.S)
			cur.end = max(cur.end, g.X+w)
			cur.noWidth = w == 0
			continue
		}
		cur = &run{x: g.X, y: g.Y, end: g.X + w, size: size, noWidth: w == 0}
		cur.text.WriteString(g.S)
		runs = append(runs, cur)
	}
	return runs
}

// extent returns where r's text ends on the page. A run whose glyphs have
// no widths (Chromium's CID fonts) is estimated at 0.4 em a character,
// which errs short: a column's lines must not seem to reach its gutter.
func (r *run) extent() float64 {
	if !r.noWidth {
		return r.end
	}
	return max(r.end, r.x+0.4*r.size*float64(utf8.RuneCountInString(r.text.String())))
}

// readingOrder sorts runs top to bottom, left to right along a baseline,
// except on a page set in columns (between gutters, found by
// [findGutters]): there each column is read to its end
// before the next one, left to right, band by band between the runs that
// span a gutter or stand apart above or below the columns.
func readingOrder(runs []*run, gutters [][2]float64, inBody func(*run) bool) {
	byLine := func(a, b *run) bool {
		if math.Abs(a.y-b.y) < math.Min(a.size, b.size)*0.4 {
			return a.x < b.x
		}
		return a.y > b.y
	}
	if len(gutters) == 0 {
		sort.SliceStable(runs, func(i, j int) bool { return byLine(runs[i], runs[j]) })
		return
	}
	// column: 0 for the leftmost, -1 spanning (across a gutter, or a
	// running header or footer apart from the columns).
	column := make(map[*run]int, len(runs))
	for _, r := range runs {
		column[r] = -1
		if inBody(r) {
			column[r] = columnOf(r, gutters)
		}
	}
	var spans []float64
	for _, r := range runs {
		if column[r] < 0 {
			spans = append(spans, r.y)
		}
	}
	// A run's band is the number of spanning runs above it; a spanning
	// run is read after the columns' runs of the band above it.
	band := func(r *run) int {
		n := 0
		for _, y := range spans {
			if y > r.y+0.4*r.size {
				n++
			}
		}
		return n
	}
	key := make(map[*run][2]int, len(runs))
	for _, r := range runs {
		if column[r] < 0 {
			key[r] = [2]int{2*band(r) + 1, 0}
		} else {
			key[r] = [2]int{2 * band(r), column[r]}
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		ki, kj := key[runs[i]], key[runs[j]]
		if ki != kj {
			return ki[0] < kj[0] || ki[0] == kj[0] && ki[1] < kj[1]
		}
		return byLine(runs[i], runs[j])
	})
}

// columnOf returns the column r lies in between gutters (ordered left to
// right), or -1 when it crosses one. A gutter's middle parts the columns:
// its edges may reach into the ragged ends of a column's lines.
func columnOf(r *run, gutters [][2]float64) int {
	for i, g := range gutters {
		if mid := (g[0] + g[1]) / 2; r.x < mid {
			if r.extent() <= mid {
				return i
			}
			return -1
		}
	}
	return len(gutters)
}

// bodyRange returns the baselines of the page's body: its first and last
// lines, unless a line stands apart from the rest (further than one and a
// half times the usual line spacing), as a running header, footer or page
// number does, up to two at each end.
func bodyRange(runs []*run) (top, bottom float64) {
	type line struct{ y, size float64 }
	var lines []line
	sorted := slices.Clone(runs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].y > sorted[j].y })
	for _, r := range sorted {
		if n := len(lines); n > 0 && lines[n-1].y-r.y < 0.4*max(lines[n-1].size, r.size) {
			lines[n-1].size = max(lines[n-1].size, r.size)
			continue
		}
		lines = append(lines, line{r.y, r.size})
	}
	if len(lines) < 3 {
		return math.Inf(1), math.Inf(-1)
	}
	gaps := make([]float64, len(lines)-1)
	for i := range gaps {
		gaps[i] = lines[i].y - lines[i+1].y
	}
	slices.Sort(gaps)
	spacing := gaps[len(gaps)/2]
	// The spacing is taken as at least the height of the smaller of the
	// two lines: on a page of columns whose baselines do not line up, the
	// lines of all columns together lie closer than that, and the first
	// line of text would seem to stand apart. (The smaller: a large
	// heading above the text still stands apart as before.)
	apart := func(a, b line) bool { return a.y-b.y > 1.5*max(spacing, 1.2*min(a.size, b.size)) }
	for range 2 {
		if len(lines) >= 3 && apart(lines[0], lines[1]) {
			lines = lines[1:]
		}
		if n := len(lines); n >= 3 && apart(lines[n-2], lines[n-1]) {
			lines = lines[:n-1]
		}
	}
	if len(lines) == 0 {
		return math.Inf(1), math.Inf(-1)
	}
	// Runs a little off their line's baseline (superscripts) stay in.
	return lines[0].y + 0.4*lines[0].size, lines[len(lines)-1].y - 0.4*lines[len(lines)-1].size
}

// findGutters finds the empty vertical strips between columns of text in
// the page's body, left to right: each at least a line's height wide,
// crossed only by runs wider than a column, with text on each side whose
// lines fill their column (so a table of short cells is not read as
// columns). Two columns are looked for in the middle half of the text;
// three or more anywhere but its outer tenths, where each column must
// also read as prose (lines of a dozen characters or more), since a table
// of three columns lays out alike.
func findGutters(all []*run, inBody func(*run) bool) [][2]float64 {
	var runs []*run
	for _, r := range all {
		if inBody(r) {
			runs = append(runs, r)
		}
	}
	if len(runs) < 6 {
		return nil
	}
	left, right := math.Inf(1), math.Inf(-1)
	var sizes []float64
	for _, r := range runs {
		left, right = min(left, r.x), max(right, r.extent())
		sizes = append(sizes, r.size)
	}
	width := right - left
	// A page is at most a few thousand units wide; text placed further
	// out (a damaged or crafted file) is not laid out in columns, and the
	// table below stays small.
	if !(width > 0 && width < 20000) {
		return nil
	}
	sort.Float64s(sizes)
	size := sizes[len(sizes)/2]
	// Count, one unit of x at a time, the runs no wider than a column
	// that cover it. Between three or more columns a gutter may be
	// crossed by a few (a running line close below the text, a heading
	// over two of three columns): they are read as spanning the columns.
	cover := make([]int32, int(width)+2)
	for _, r := range runs {
		if r.extent()-r.x > 0.6*width {
			continue
		}
		for x := int(r.x - left); x <= int(r.extent()-left) && x < len(cover); x++ {
			cover[max(x, 0)]++
		}
	}
	// strips returns the strips at least size wide, crossed by at most
	// crossings runs, that start between from and to (fractions of the
	// width).
	strips := func(from, to float64, crossings int32) [][2]float64 {
		covered := func(x int) bool { return cover[x] > crossings }
		var out [][2]float64
		for x := int(from * width); x < int(to*width); {
			if covered(x) {
				x++
				continue
			}
			start := x
			for x < len(cover) && !covered(x) {
				x++
			}
			if float64(x-start) >= size {
				out = append(out, [2]float64{left + float64(start), left + float64(x)})
			}
		}
		return out
	}
	if many := strips(0.1, 0.9, int32(len(runs)/25)); len(many) >= 2 && filled(runs, many, true) {
		return many
	}
	var best [][2]float64
	for _, g := range strips(0.25, 0.75, 0) {
		if best == nil || g[1]-g[0] > best[0][1]-best[0][0] {
			best = [][2]float64{g}
		}
	}
	if best != nil && filled(runs, best, false) {
		return best
	}
	return nil
}

// filled reports whether every column between gutters holds a few runs
// whose mean length is at least half the column's width and, when prose
// is set, a dozen characters.
func filled(runs []*run, gutters [][2]float64, prose bool) bool {
	for col := range len(gutters) + 1 {
		var n, chars int
		var sum, lo, hi float64 = 0, math.Inf(1), math.Inf(-1)
		for _, r := range runs {
			if columnOf(r, gutters) == col {
				n++
				chars += utf8.RuneCountInString(r.text.String())
				sum += r.extent() - r.x
				lo, hi = min(lo, r.x), max(hi, r.extent())
			}
		}
		if n < 3 || sum/float64(n) < 0.5*(hi-lo) || prose && chars < 12*n {
			return false
		}
	}
	return true
}

func endsSpace(b *strings.Builder) bool {
	s := b.String()
	return s != "" && s[len(s)-1] == ' '
}

// ligatures unfolds the typographic ligatures fonts map glyphs to, so that
// "ﬁnd" is found by "find".
var ligatures = strings.NewReplacer("ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "ft", "ﬆ", "st",
	"\u00ad", "", "\u00a0", " ", "\t", " ")

// cleanPDFLine unfolds ligatures, drops control characters and squeezes
// spaces.
func cleanPDFLine(s string) string {
	s = ligatures.Replace(s)
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != ' ') {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// markParagraphs sets gap on lines that follow a larger vertical space than
// the page's usual line spacing.
func markParagraphs(lines []pdfLine) {
	if len(lines) < 2 {
		return
	}
	var steps []float64
	for i := 1; i < len(lines); i++ {
		if d := lines[i-1].y - lines[i].y; d > 0 {
			steps = append(steps, d)
		}
	}
	if len(steps) == 0 {
		return
	}
	sort.Float64s(steps)
	usual := steps[len(steps)/2]
	for i := 1; i < len(lines); i++ {
		d := lines[i-1].y - lines[i].y
		if d > usual*1.4 || d < 0 || math.Abs(lines[i].size-lines[i-1].size) > 1.5 {
			lines[i].gap = true
		}
	}
}

// joinHyphens rejoins words hyphenated at line ends ("docu-" / "ment
// follows" becomes "document" / "follows"): the word's tail moves up.
func joinHyphens(lines []pdfLine) []pdfLine {
	for i := 0; i+1 < len(lines); i++ {
		t := lines[i].text
		if len(t) < 3 || t[len(t)-1] != '-' || lines[i+1].gap {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(t[:len(t)-1])
		next := lines[i+1].text
		first, _ := utf8.DecodeRuneInString(next)
		if !unicode.IsLetter(before) || !unicode.IsLower(first) {
			continue
		}
		word, rest, _ := strings.Cut(next, " ")
		lines[i].text = t[:len(t)-1] + word
		lines[i+1].text = rest
	}
	out := lines[:0]
	for _, l := range lines {
		if l.text != "" {
			out = append(out, l)
		} else if len(out) > 0 && l.gap {
			// The line emptied by a moved word kept a paragraph break.
			continue
		}
	}
	return out
}

var digits = regexp.MustCompile(`[0-9]+`)

// pageNumber matches a line that is only a page number: "12", "- 12 -",
// "Page 3 of 9", "iv", "3/12".
var pageNumber = regexp.MustCompile(`(?i)^(page\s*)?[-–—]?\s*([0-9]+|x{0,3}(ix|iv|v?i{1,3}|v))\s*[-–—]?(\s*(of|/)\s*[0-9]+)?$`)

// dropRunning removes running headers and footers: lines near the top or
// bottom of a page that repeat (numbers aside) on at least half of the
// pages, and lone page numbers there.
func dropRunning(pages []pdfPage) {
	const edge = 3 // lines at each end of a page that can be running
	count := map[string]int{}
	key := func(s string) string { return digits.ReplaceAllString(strings.ToLower(s), "#") }
	edges := func(p pdfPage, f func(i int)) {
		for i := range p.lines {
			if i < edge || i >= len(p.lines)-edge {
				f(i)
			}
		}
	}
	for _, p := range pages {
		seen := map[string]bool{}
		edges(p, func(i int) {
			k := key(p.lines[i].text)
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
		})
	}
	for pi := range pages {
		p := &pages[pi]
		drop := map[int]bool{}
		edges(*p, func(i int) {
			t := p.lines[i].text
			if (len(pages) >= 2 && count[key(t)] >= max(2, (len(pages)+1)/2)) || pageNumber.MatchString(t) {
				drop[i] = true
			}
		})
		if len(drop) == 0 {
			continue
		}
		kept := p.lines[:0]
		gap := false
		for i, l := range p.lines {
			if drop[i] {
				gap = gap || l.gap
				continue
			}
			if len(kept) == 0 {
				l.gap = false
			}
			kept = append(kept, l)
		}
		p.lines = kept
	}
}

// isPDF reports whether data starts like a PDF (a header may follow junk
// within the first KiB).
func isPDF(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}
