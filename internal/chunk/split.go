package chunk

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/article"
)

// Split cuts text into passages for embedding. It returns an error only when
// opt is invalid (see [Options.Validate]); any text, including empty text,
// invalid UTF-8 and text without a single sentence end, gives a valid
// result. The caller owns the returned slice; it is nil when text has no
// content outside skip.
//
// skip lists byte spans of text that are not content. They may overlap, be
// unsorted, empty or out of range: spans are clamped to [0, len(text)] and
// merged. A passage never contains a byte of a skip span, so skip spans cut
// text into sections that are chunked independently.
//
// Within a section, paragraphs are separated by blank lines. When no section
// of text has a blank line between two lines of content, as in scraped news
// where each paragraph is one line, every line is a paragraph. Paragraphs
// are split into sentences (see [Sentences]); a sentence never crosses a
// paragraph boundary, and one that measures more than opt.Max is cut at word
// boundaries into near-equal pieces of at most opt.Size (and for [Tokens] a
// word that is itself too long is cut between its tokens).
//
// Passages are packed greedily from whole sentences up to opt.Size,
// overlap included. A passage that would end inside a paragraph ends instead
// at the last paragraph end it holds, if that keeps at least half of
// opt.Size, or else runs on to the next paragraph end, if that is within
// halfway from opt.Size to opt.Max. The end of a heading (a paragraph of one
// short sentence without a terminator, such as a subtitle or a caption)
// does not count as a paragraph end, so a heading stays with the text it
// introduces. When a passage ends inside a paragraph, the next one starts by
// repeating the last whole sentences of it, up to opt.Overlap; there is no
// overlap at a paragraph end or across a skip span. A trailing remainder of a
// section smaller than a quarter of opt.Size joins the passage before it when
// the result stays within opt.Max.
//
// Every passage satisfies: text[Start:End] is trimmed of white space and
// non-empty; Start and End strictly increase from one passage to the next;
// Size, measured in opt.Unit, is at most opt.Max; consecutive passages share
// at most opt.Overlap; Index counts from 0; LineStart and LineEnd are the
// 1-based lines ('\n'-separated, so CRLF text counts right) of the first and
// last byte. Every non-space byte outside skip is in at least one passage.
func Split(text string, skip []article.Span, opt Options) ([]Chunk, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	secs := sections(normalizeSkip(skip, len(text)), len(text))
	s := splitter{
		text:  text,
		opt:   opt,
		paras: paragrapher{text: text, lineMode: !hasParagraphBreak(text, secs)},
		first: lineCounter{text: text, line: 1},
		last:  lineCounter{text: text, line: 1},
	}
	for _, sec := range secs {
		s.sectionCapped(sec.Start, sec.End)
	}
	return s.out, nil
}

// sectionCapped chunks text[a:b] by its measure alone when every passage
// that gives fits Options.MaxTokens, as ordinary prose does, so that the
// cap never moves a boundary it does not need to; only a section with a
// passage over the cap (dense or space-free text) is chunked again with
// the cap's weights.
func (s *splitter) sectionCapped(a, b int) {
	maxTokens := s.opt.MaxTokens
	if maxTokens <= 0 {
		s.section(a, b)
		return
	}
	n, first, last := len(s.out), s.first, s.last
	s.opt.MaxTokens = 0
	s.section(a, b)
	s.opt.MaxTokens = maxTokens
	fits := true
	for _, c := range s.out[n:] {
		if EstimateTokens(s.text[c.Start:c.End]) > maxTokens {
			fits = false
			break
		}
	}
	if fits {
		return
	}
	s.out, s.first, s.last = s.out[:n], first, last // line counters only move forward
	s.section(a, b)
}

// normalizeSkip returns skip clamped to [0, n], without empty spans, sorted
// and with overlapping or touching spans merged. It does not modify skip.
func normalizeSkip(skip []article.Span, n int) []article.Span {
	out := make([]article.Span, 0, len(skip))
	for _, sp := range skip {
		a, b := max(sp.Start, 0), min(sp.End, n)
		if a < b {
			out = append(out, article.Span{Start: a, End: b})
		}
	}
	slices.SortFunc(out, func(x, y article.Span) int { return cmp.Compare(x.Start, y.Start) })
	merged := out[:0]
	for _, sp := range out {
		if k := len(merged) - 1; k >= 0 && sp.Start <= merged[k].End {
			merged[k].End = max(merged[k].End, sp.End)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// sections returns the non-empty gaps of [0, n) between the normalized skip
// spans.
func sections(skip []article.Span, n int) []article.Span {
	out := make([]article.Span, 0, len(skip)+1)
	pos := 0
	for _, sp := range skip {
		if pos < sp.Start {
			out = append(out, article.Span{Start: pos, End: sp.Start})
		}
		pos = sp.End
	}
	if pos < n {
		out = append(out, article.Span{Start: pos, End: n})
	}
	return out
}

// isBlank reports whether s holds only white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); {
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		if !isSpace(r) {
			return false
		}
		i += w
	}
	return true
}

// trim returns the bounds of text[a:b] without leading and trailing white
// space; a == b when it is all white space.
func trim(text string, a, b int) (int, int) {
	for a < b {
		r, w := utf8.DecodeRuneInString(text[a:b])
		if !isSpace(r) {
			break
		}
		a += w
	}
	for b > a {
		r, w := utf8.DecodeLastRuneInString(text[a:b])
		if !isSpace(r) {
			break
		}
		b -= w
	}
	return a, b
}

// hasParagraphBreak reports whether some section has a blank line with
// content before and after it in the same section. Blank lines at the edge
// of a section, next to a skipped header, do not count.
func hasParagraphBreak(text string, secs []article.Span) bool {
	for _, sec := range secs {
		content, blank := false, false
		for a := sec.Start; a <= sec.End; {
			e := strings.IndexByte(text[a:sec.End], '\n')
			if e < 0 {
				e = sec.End
			} else {
				e += a
			}
			if isBlank(text[a:e]) {
				blank = blank || content
			} else {
				if blank {
					return true
				}
				content = true
			}
			a = e + 1
		}
	}
	return false
}

// paragrapher finds paragraphs: runs of non-blank lines, or single lines in
// line mode.
type paragrapher struct {
	text     string
	lineMode bool
}

// paragraphs appends to dst the trimmed, non-empty paragraphs of
// text[a:b].
func (p paragrapher) paragraphs(dst []article.Span, a, b int) []article.Span {
	text := p.text
	start, end := -1, -1
	flush := func() {
		if start >= 0 {
			if s, e := trim(text, start, end); s < e {
				dst = append(dst, article.Span{Start: s, End: e})
			}
			start = -1
		}
	}
	for l := a; l <= b; {
		e := strings.IndexByte(text[l:b], '\n')
		if e < 0 {
			e = b
		} else {
			e += l
		}
		if isBlank(text[l:e]) {
			flush()
		} else {
			if start < 0 {
				start = l
			}
			end = e
			if p.lineMode {
				flush()
			}
		}
		l = e + 1
	}
	flush()
	return dst
}

// item is a unit of packing: a whole sentence, or a piece of a sentence
// longer than Options.Max.
type item struct {
	start, end int  // trimmed byte span in the text
	size       int  // in Options.Unit
	whole      bool // a whole sentence, so it may be repeated as overlap
	paraEnd    bool // the last item of its paragraph
	heading    bool // paraEnd of a short one-sentence paragraph without a terminator
	table      int  // index in splitter.tables of the table it is a data row (or part of one) of; -1: none
}

// goodEnd reports whether a passage should end after it: at a paragraph end,
// but not after a heading, which belongs with what follows.
func (it item) goodEnd() bool { return it.paraEnd && !it.heading }

// endsLikeSentence reports whether s ends with a sentence terminator,
// possibly followed by closing quotes and brackets.
func endsLikeSentence(s string) bool {
	for len(s) > 0 {
		r, w := utf8.DecodeLastRuneInString(s)
		switch r {
		case '.', '?', '!', '…', ':', ';':
			return true
		case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '*':
			s = s[:len(s)-w]
		default:
			return false
		}
	}
	return false
}

// splitter holds the state of one [Split] call; its slices are reused from
// section to section.
type splitter struct {
	text        string
	opt         Options
	paras       paragrapher
	first, last lineCounter
	out         []Chunk

	paraBuf []article.Span
	sentBuf []article.Span
	atomBuf []atom
	items   []item
	prefix  []int
	rowBuf  []article.Span
	tables  []table
	role    []int
	header  []bool
}

// section chunks text[a:b], which holds no skipped byte.
func (s *splitter) section(a, b int) {
	s.paraBuf = s.paras.paragraphs(s.paraBuf[:0], a, b)
	s.rowBuf = tableRows(s.rowBuf[:0], s.text, s.paraBuf)
	s.tables, s.role, s.header = findTables(s.text, s.rowBuf, s.tables[:0], s.role, s.header)
	s.items = s.items[:0]
	for i, p := range s.rowBuf {
		switch {
		case s.role[i] >= 0:
			s.addRow(p.Start, p.End, s.role[i])
			s.items[len(s.items)-1].paraEnd = true
			continue
		case s.header[i]:
			// A header row stays with the rows under it.
			s.addRow(p.Start, p.End, -1)
			last := &s.items[len(s.items)-1]
			last.paraEnd, last.heading = true, true
			continue
		}
		s.sentBuf = appendSentences(s.sentBuf[:0], s.text, p.Start, p.End)
		for _, sent := range s.sentBuf {
			s.addSentence(sent.Start, sent.End)
		}
		last := &s.items[len(s.items)-1]
		last.paraEnd = true
		last.heading = len(s.sentBuf) == 1 && last.whole && 4*last.size <= s.opt.Size &&
			!endsLikeSentence(s.text[p.Start:p.End])
	}
	s.pack()
}

// addSentence appends the sentence text[a:b] as one item, or as pieces if it
// measures more than Max.
func (s *splitter) addSentence(a, b int) {
	size := s.weigh(a, b, measure(s.text[a:b], s.opt.Unit))
	if size <= s.opt.Max {
		s.items = append(s.items, item{start: a, end: b, size: size, whole: true, table: -1})
		return
	}
	// Near-equal pieces of at most Size: n pieces of about size/n each.
	n := (size + s.opt.Size - 1) / s.opt.Size
	target := (size + n - 1) / n
	s.atomBuf = appendAtoms(s.atomBuf[:0], s.text, a, b, s.opt.Unit, target)
	if s.opt.MaxTokens > 0 {
		s.atomBuf = s.weighAtoms(s.atomBuf, target)
	}
	cur := item{start: -1, table: -1}
	for _, at := range s.atomBuf {
		if cur.start >= 0 && cur.size+at.size > target {
			s.items = append(s.items, cur)
			cur = item{start: -1, table: -1}
		}
		if cur.start < 0 {
			cur.start = at.start
		}
		cur.end = at.end
		cur.size += at.size
	}
	if cur.start >= 0 {
		s.items = append(s.items, cur)
	}
}

// weigh returns the size of text[a:b], which measures size in the Unit,
// raised when Options.MaxTokens is set so that Max units never hold more
// than MaxTokens estimated tokens: a passage packed to at most Max then
// stays within the token cap too. Ordinary text, with fewer tokens per
// unit than MaxTokens/Max, keeps its measure.
func (s *splitter) weigh(a, b, size int) int {
	if s.opt.MaxTokens <= 0 {
		return size
	}
	t := EstimateTokens(s.text[a:b])
	return max(size, (t*s.opt.Max+s.opt.MaxTokens-1)/s.opt.MaxTokens)
}

// maxRunBytes bounds an atom cut from a space-free run when the token cap
// is on, so that even a base64 blob can be cut between atoms.
const maxRunBytes = 64

// weighAtoms gives each atom its weight (see weigh) and breaks an atom
// heavier than target into its tokens, and runs longer than maxRunBytes
// into pieces, so that a space-free CJK or Thai sentence, one word to
// [Words], can still be cut.
func (s *splitter) weighAtoms(atoms []atom, target int) []atom {
	out := make([]atom, 0, len(atoms))
	for _, at := range atoms {
		at.size = s.weigh(at.start, at.end, at.size)
		if at.size <= target {
			out = append(out, at)
			continue
		}
		for _, tok := range appendTokens(nil, s.text[:at.end], at.start, 0) {
			for a := tok.start; a < tok.end; {
				b := tok.end
				if b-a > maxRunBytes {
					b = a + maxRunBytes
					for b > a && !utf8.RuneStart(s.text[b]) {
						b--
					}
				}
				out = append(out, atom{a, b, s.weigh(a, b, 1)})
				a = b
			}
		}
	}
	return out
}

// pack groups the items of one section into passages.
func (s *splitter) pack() {
	items := s.items
	n := len(items)
	if n == 0 {
		return
	}
	size, overlap, limit := s.opt.Size, s.opt.Overlap, s.opt.Max
	stretch := size + (limit-size)/2
	p := append(s.prefix[:0], 0)
	for _, it := range items {
		p = append(p, p[len(p)-1]+it.size)
	}
	s.prefix = p

	prevBase := -1
	for i := 0; i < n; {
		base := i
		if overlap > 0 && i > 0 && !items[i-1].paraEnd {
			for base-1 > prevBase && items[base-1].whole && p[i]-p[base-1] <= overlap {
				base--
			}
		}
		j := i
		for j+1 < n && p[j+2]-p[base] <= size {
			j++
		}
		for p[j+1]-p[base] > limit && base < i {
			base++ // an item between Size and Max: drop overlap to fit
		}
		if !items[j].goodEnd() && j < n-1 {
			j = s.preferParagraphEnd(i, j, base, stretch)
		}
		if j < n-1 && 4*(p[n]-p[j+1]) < size && p[n]-p[base] <= limit {
			j = n - 1 // merge a tiny remainder into this passage
		}
		s.emit(items[base].start, items[j].end, p[j+1]-p[base], s.headerOf(base, j))
		prevBase = base
		i = j + 1
	}
}

// preferParagraphEnd moves the end j of a passage that starts at item base
// (new content from item i) to a paragraph end: back to the last one in
// [i, j) if that keeps half of Size, else forward to the first one within
// stretch. It returns j unchanged if neither exists.
func (s *splitter) preferParagraphEnd(i, j, base, stretch int) int {
	items, p := s.items, s.prefix
	for k := j - 1; k >= i; k-- {
		if items[k].goodEnd() {
			if 2*(p[k+1]-p[base]) >= s.opt.Size {
				return k
			}
			break
		}
	}
	for k := j + 1; k < len(items) && p[k+1]-p[base] <= stretch; k++ {
		if items[k].goodEnd() || k == len(items)-1 {
			return k
		}
	}
	return j
}

// emit appends the passage text[a:b] of the given size (its measure, or
// its weight when Options.MaxTokens is set, which emit measures again).
func (s *splitter) emit(a, b, size int, header article.Span) {
	if s.opt.MaxTokens > 0 {
		size = measure(s.text[a:b], s.opt.Unit)
	}
	s.out = append(s.out, Chunk{
		Index:       len(s.out),
		Start:       a,
		End:         b,
		LineStart:   s.first.lineOf(a),
		LineEnd:     s.last.lineOf(b - 1),
		Size:        size,
		HeaderStart: header.Start,
		HeaderEnd:   header.End,
	})
}

// lineCounter returns 1-based line numbers for non-decreasing offsets in
// time proportional to the distance moved.
type lineCounter struct {
	text string
	pos  int // offset up to which '\n' have been counted
	line int // line number of pos
}

// lineOf returns the line of the byte at offset i >= the previous i.
func (c *lineCounter) lineOf(i int) int {
	if i > c.pos {
		c.line += strings.Count(c.text[c.pos:i], "\n")
		c.pos = i
	}
	return c.line
}
