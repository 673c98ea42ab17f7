package chunk

import (
	"strings"

	"github.com/semsearch/semsearch/internal/article"
)

// Tables. The loaders give a table as rows of cells: Markdown keeps its
// source ("| a | b |", one row a line, a "|---|---|" row under the
// header), and Word and HTML tables become one paragraph a row with " | "
// between cells. A run of at least two such rows with the same number of
// cells is a table; its first row (with a Markdown separator row under
// it) is its header. [Split] keeps rows whole, ends passages between rows,
// and gives each passage that holds rows of a table but not its header
// that header as context ([Chunk.HeaderStart]), so that "12000" is read
// as a cost. A row longer than Options.Max alone is split, at cell
// boundaries where it can be.

// table is a table found in a section.
type table struct {
	header article.Span // the header row, and the separator row under it
}

// rowCells returns the number of cells of a table row, or 0 when line is
// not one.
func rowCells(line string) int {
	t := strings.TrimSpace(line)
	switch {
	case len(t) > 1 && t[0] == '|' && t[len(t)-1] == '|':
		return strings.Count(t, "|") - 1
	case strings.Contains(t, " | "):
		return strings.Count(t, "|") + 1
	}
	return 0
}

// isSeparatorRow reports whether line is a Markdown table's separator row,
// such as "|---|:---:|".
func isSeparatorRow(line string) bool {
	t := strings.TrimSpace(line)
	return strings.Contains(t, "-") && strings.Trim(t, "|-: ") == ""
}

// tableRows splits the paragraphs of text that are all table rows (a
// Markdown table is one paragraph of lines) into one paragraph a row, so
// that each row is a unit of packing. dst receives the result.
func tableRows(dst []article.Span, text string, paras []article.Span) []article.Span {
	for _, p := range paras {
		body := text[p.Start:p.End]
		if !strings.Contains(body, "\n") || !allRows(body) {
			dst = append(dst, p)
			continue
		}
		for a := p.Start; a < p.End; {
			e := strings.IndexByte(text[a:p.End], '\n')
			if e < 0 {
				e = p.End
			} else {
				e += a
			}
			if s, t := trim(text, a, e); s < t {
				dst = append(dst, article.Span{Start: s, End: t})
			}
			a = e + 1
		}
	}
	return dst
}

// allRows reports whether every non-blank line of s is a table row.
func allRows(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if !isBlank(line) && rowCells(line) < 2 {
			return false
		}
	}
	return true
}

// findTables marks the tables among paras (see tableRows): role[i] is
// the index in tables of the table paragraph i is a data row of, or -1;
// header[i] says paragraph i is (part of) a table's header.
func findTables(text string, paras []article.Span, tables []table, role []int, header []bool) ([]table, []int, []bool) {
	role, header = role[:0], header[:0]
	for range paras {
		role = append(role, -1)
		header = append(header, false)
	}
	for i := 0; i < len(paras); {
		n := rowCells(text[paras[i].Start:paras[i].End])
		if n < 2 || strings.Contains(text[paras[i].Start:paras[i].End], "\n") {
			i++
			continue
		}
		j := i + 1
		for j < len(paras) && !strings.Contains(text[paras[j].Start:paras[j].End], "\n") && rowCells(text[paras[j].Start:paras[j].End]) == n {
			j++
		}
		first := i + 1 // the first data row
		if first < j && isSeparatorRow(text[paras[first].Start:paras[first].End]) {
			first++
		}
		if first >= j { // a header alone, or one row: not a table
			i = j
			continue
		}
		tables = append(tables, table{header: article.Span{Start: paras[i].Start, End: paras[first-1].End}})
		for k := i; k < first; k++ {
			header[k] = true
		}
		for k := first; k < j; k++ {
			role[k] = len(tables) - 1
		}
		i = j
	}
	return tables, role, header
}

// addRow appends table row text[a:b] of table tbl as one item, or, when it
// measures more than Max, as pieces that end at cell boundaries ('|')
// wherever a cell fits in Size.
func (s *splitter) addRow(a, b, tbl int) {
	size := s.weigh(a, b, measure(s.text[a:b], s.opt.Unit))
	if size <= s.opt.Max {
		s.items = append(s.items, item{start: a, end: b, size: size, table: tbl})
		return
	}
	s.atomBuf = appendAtoms(s.atomBuf[:0], s.text, a, b, s.opt.Unit, s.opt.Size)
	if s.opt.MaxTokens > 0 {
		s.atomBuf = s.weighAtoms(s.atomBuf, s.opt.Size)
	}
	atoms := s.atomBuf
	for len(atoms) > 0 {
		// Take atoms up to Size, then step back to the last one that ends
		// a cell; a cell longer than Size is cut where Size runs out.
		n, sum, cell := 0, 0, 0
		for n < len(atoms) && (n == 0 || sum+atoms[n].size <= s.opt.Size) {
			sum += atoms[n].size
			n++
			if strings.HasSuffix(s.text[atoms[n-1].start:atoms[n-1].end], "|") {
				cell = n
			}
		}
		if n < len(atoms) && cell > 0 {
			n = cell
		}
		size := 0
		for _, at := range atoms[:n] {
			size += at.size
		}
		s.items = append(s.items, item{start: atoms[0].start, end: atoms[n-1].end, size: size, table: tbl})
		atoms = atoms[n:]
	}
}

// headerOf returns the header to repeat before the passage of items
// [base, j]: that of the table of its first data row, when the passage
// does not hold the header itself.
func (s *splitter) headerOf(base, j int) article.Span {
	for k := base; k <= j; k++ {
		if t := s.items[k].table; t >= 0 {
			if h := s.tables[t].header; h.End <= s.items[base].start {
				return h
			}
			return article.Span{}
		}
	}
	return article.Span{}
}

// IsTableRow reports whether line looks like a table row as the loaders
// write one: Markdown's "| a | b |", or cells joined by " | ".
func IsTableRow(line string) bool { return rowCells(line) >= 2 }

// TableHeader returns the span of the header row that [Split] gives as
// context (see [Chunk.HeaderStart]) to a passage of text starting at
// start, or an empty span when the passage does not start in a table's
// rows. skip is the article's, as given to Split.
func TableHeader(text string, skip []article.Span, start int) article.Span {
	secs := sections(normalizeSkip(skip, len(text)), len(text))
	p := paragrapher{text: text, lineMode: !hasParagraphBreak(text, secs)}
	for _, sec := range secs {
		if start < sec.Start || start >= sec.End {
			continue
		}
		rows := tableRows(nil, text, p.paragraphs(nil, sec.Start, sec.End))
		tables, role, _ := findTables(text, rows, nil, nil, nil)
		for i, r := range rows {
			if role[i] >= 0 && start >= r.Start && start < r.End {
				return tables[role[i]].header
			}
		}
	}
	return article.Span{}
}
