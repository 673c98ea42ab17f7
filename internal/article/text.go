package article

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxTitleRunes bounds the first line of a plain text file that is taken as
// its title. News files put the headline (or a one-sentence standfirst) on
// the first line, so the bound is generous; a longer first line is a
// paragraph.
const maxTitleRunes = 300

// maxHeaderLines bounds the byline and dateline lines under a title.
const maxHeaderLines = 6

// textLine is one line of a text: Text[start:end] is its content without the
// line terminator, and next is where the following line starts (len(Text)
// for the last line).
type textLine struct {
	start, end, next int
}

// macLineEnds turns the line ends of a text written with old Mac line
// endings (a lone CR, "\r" not followed by "\n") into "\n", so that the
// text has lines for its title, paragraphs and cited line numbers like any
// other; everything downstream splits at "\n". It changes one byte for one,
// so offsets into the text stay offsets into the file. A text is taken for
// one when lone CRs outnumber its LFs: CRLF and LF texts, and a stray CR in
// either, stay as they are.
func macLineEnds(s string) string {
	lone := strings.Count(s, "\r") - strings.Count(s, "\r\n")
	if lone == 0 || lone <= strings.Count(s, "\n") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			b[i] = '\n'
		}
	}
	return string(b)
}

// splitLines splits s at "\n"; a preceding "\r" is excluded from the line's
// content. The result is empty for an empty s.
func splitLines(s string) []textLine {
	var lines []textLine
	for start := 0; start < len(s); {
		i := strings.IndexByte(s[start:], '\n')
		if i < 0 {
			lines = append(lines, textLine{start: start, end: len(s), next: len(s)})
			break
		}
		end := start + i
		next := end + 1
		if end > start && s[end-1] == '\r' {
			end--
		}
		lines = append(lines, textLine{start: start, end: end, next: next})
		start = next
	}
	return lines
}

// content returns the line's text with surrounding white space removed.
func (l textLine) content(s string) string {
	return strings.TrimSpace(s[l.start:l.end])
}

// span returns the whole line, terminator included, as a Span.
func (l textLine) span() Span {
	return Span{Start: l.start, End: l.next}
}

// normalizeSpans sorts spans and merges overlapping and adjacent ones; empty
// spans are dropped. The result is nil when no span is left.
func normalizeSpans(spans []Span) []Span {
	var out []Span
	slices.SortFunc(spans, func(a, b Span) int { return a.Start - b.Start })
	for _, s := range spans {
		if s.End <= s.Start {
			continue
		}
		if n := len(out); n > 0 && s.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, s.End)
			continue
		}
		out = append(out, s)
	}
	return out
}

// hasContent reports whether text has anything but white space outside skip.
func hasContent(text string, skip []Span) bool {
	pos := 0
	for _, s := range skip {
		if strings.TrimSpace(text[pos:s.Start]) != "" {
			return true
		}
		pos = s.End
	}
	return strings.TrimSpace(text[pos:]) != ""
}

// parseText fills a plain text article. Text is text unchanged. The title is
// the first line that is not noise when it is at most maxTitleRunes long and
// more text follows (a first line that is a byline or dateline means no
// title). The header lines right after it, a byline ("By Jane Doe", or a bare
// name of 2-4 capitalised words when a dateline is next to it) and datelines
// ("May 12, 2017"), set Author and Published and go into Skip; the header
// ends at the first other non-empty line, or after maxHeaderLines. Every
// noise line (see isNoiseLine) goes into Skip too. The title line itself
// stays content.
func parseText(a *Article, text string) {
	a.Format = "text"
	a.Text = text
	lines := splitLines(text)
	noise := make([]bool, len(lines))
	var skip []Span
	for i, l := range lines {
		if isNoiseLine(text[l.start:l.end]) {
			noise[i] = true
			skip = append(skip, l.span())
		}
	}

	headerFrom := 0
	for i, l := range lines {
		c := l.content(text)
		if c == "" || noise[i] {
			continue
		}
		headerFrom = i
		if _, _, ok := parseHeaderLine(c, false); ok {
			break // the file starts with its byline: no title
		}
		if looksLikeTitle(c) && moreContent(text, lines[i+1:], noise[i+1:]) {
			a.Title = c
			headerFrom = i + 1
		}
		break
	}

	for i, n := headerFrom, 0; i < len(lines) && n < maxHeaderLines; i++ {
		c := lines[i].content(text)
		if c == "" || noise[i] {
			continue
		}
		n++
		author, date, ok := parseHeaderLine(c, false)
		if !ok && a.Title != "" && a.Author == "" {
			// A bare name is a byline only next to a dateline, so that a
			// venue ("Ewood Park") or a heading under the title stays text.
			author, date, ok = parseHeaderLine(c, true)
			ok = ok && (!a.Published.IsZero() || !date.IsZero() || nextIsDateline(text, lines[i+1:], noise[i+1:]))
		}
		if !ok {
			break
		}
		if a.Author == "" {
			a.Author = author
		}
		if a.Published.IsZero() {
			a.Published = date
		}
		skip = append(skip, lines[i].span())
	}
	a.Skip = normalizeSpans(skip)
}

// nextIsDateline reports whether the first of lines that is neither empty
// nor noise is a dateline.
func nextIsDateline(text string, lines []textLine, noise []bool) bool {
	for i, l := range lines {
		c := l.content(text)
		if c == "" || noise[i] {
			continue
		}
		_, date, ok := parseHeaderLine(c, false)
		return ok && !date.IsZero()
	}
	return false
}

// looksLikeTitle reports whether a trimmed line can be a title: it has a
// letter, at most maxTitleRunes runes, and does not read as a sentence.
func looksLikeTitle(c string) bool {
	return utf8.RuneCountInString(c) <= maxTitleRunes && strings.IndexFunc(c, unicode.IsLetter) >= 0 && !readsAsSentence(c)
}

// readsAsSentence reports whether a line is prose rather than a headline:
// it ends with a full stop after several words, or holds two sentences.
// Headlines rarely end with a full stop ("Ad sales boost Time Warner profit").
func readsAsSentence(c string) bool {
	words := len(strings.Fields(c))
	if strings.HasSuffix(c, ".") && !strings.HasSuffix(c, "...") && words >= 8 {
		return true
	}
	return words >= 12 && sentenceBreakRE.MatchString(c)
}

// sentenceBreakRE finds the end of one sentence and the start of the next.
var sentenceBreakRE = regexp.MustCompile(`[a-z][.!?]["')]?\s+["'(]?\p{Lu}`)

// firstWords returns the first words of c, at most about maxRunes runes,
// with an ellipsis when words were left out.
func firstWords(c string, maxRunes int) string {
	words := strings.Fields(c)
	var b strings.Builder
	for i, w := range words {
		if i > 0 && utf8.RuneCountInString(b.String())+1+utf8.RuneCountInString(w) > maxRunes {
			return strings.TrimRight(b.String(), ",;:") + "…"
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// fallbackTitle gives a plain text article without a title line a short,
// honest one: the first words of its first content line, with an ellipsis.
func fallbackTitle(a *Article) {
	if a.Title != "" {
		return
	}
	for _, l := range splitLines(a.Text) {
		c := l.content(a.Text)
		inSkip := false
		for _, s := range a.Skip {
			if l.start >= s.Start && l.start < s.End {
				inSkip = true
			}
		}
		if c != "" && !inSkip {
			a.Title = firstWords(c, maxFallbackTitleRunes)
			return
		}
	}
}

// maxFallbackTitleRunes bounds a title made of a text's first words.
const maxFallbackTitleRunes = 60

// moreContent reports whether any of lines is non-empty and not noise.
func moreContent(text string, lines []textLine, noise []bool) bool {
	for i, l := range lines {
		if !noise[i] && l.content(text) != "" {
			return true
		}
	}
	return false
}

var (
	// headerSepRE splits a header line such as "By Jane Doe | May 12, 2017".
	headerSepRE = regexp.MustCompile(`\s+[|•·—–]\s+|\s+-\s+`)
	// bylineRE matches "By Jane Doe" and "Written by Jane Doe".
	bylineRE = regexp.MustCompile(`^(?i:(?:written |reported |words )?by)[:\s]\s*(.+)$`)
	// readTimeRE matches "3 min read", which sits next to bylines.
	readTimeRE = regexp.MustCompile(`(?i)^\d+ min(ute)?s? read$`)
)

// parseHeaderLine classifies a line near the top of a news page. A header
// line consists of parts separated by " | ", " - ", " • " and the like, each
// a byline ("By Jane Doe", or when allowBare a bare name of 2-4 capitalised
// words), a dateline or a reading time; ok is false when any part is
// something else or no part is a byline or dateline. The first byline and
// dateline found are returned.
func parseHeaderLine(c string, allowBare bool) (author string, date time.Time, ok bool) {
	if utf8.RuneCountInString(c) > 120 {
		return "", time.Time{}, false
	}
	if t, ok := parseDateLine(c); ok {
		return "", t, true
	}
	found := false
	for _, part := range headerSepRE.Split(c, -1) {
		part = strings.TrimSpace(part)
		if part == "" || readTimeRE.MatchString(part) {
			continue
		}
		if t, ok := parseDateLine(part); ok {
			if date.IsZero() {
				date = t
			}
			found = true
			continue
		}
		name := bylineName(part, allowBare)
		if name == "" {
			return "", time.Time{}, false
		}
		if author == "" {
			author = name
		}
		found = true
	}
	return author, date, found
}

// bylineName returns the name in a byline: the text after "By" when it starts
// with two capitalised name words and is not a sentence, or a bare line of
// 2-4 capitalised name words that are not common heading words when
// allowBare is set. It returns "" for anything else.
func bylineName(s string, allowBare bool) string {
	s = strings.TrimSpace(s)
	if m := bylineRE.FindStringSubmatch(s); m != nil {
		name := strings.TrimSpace(m[1])
		words := strings.Fields(name)
		if len(words) < 2 || len(words) > 10 || strings.ContainsAny(name, "?!;") || endsSentence(name) {
			return ""
		}
		if !isNameWord(words[0]) || !isNameWord(strings.TrimRight(words[1], ",")) || notNameWords[strings.ToLower(words[0])] {
			return ""
		}
		return name
	}
	if allowBare && isBareName(s) {
		return s
	}
	return ""
}

// endsSentence reports whether s ends with a period that is not part of an
// initial ("Jane Q.") or an abbreviation such as "Jr.".
func endsSentence(s string) bool {
	if !strings.HasSuffix(s, ".") {
		return false
	}
	fields := strings.Fields(s)
	last := strings.TrimSuffix(fields[len(fields)-1], ".")
	return utf8.RuneCountInString(last) > 2
}

// nameParticles may appear in lower case inside a name.
var nameParticles = map[string]bool{
	"de": true, "da": true, "di": true, "du": true, "del": true, "della": true, "der": true,
	"den": true, "van": true, "von": true, "la": true, "le": true, "bin": true, "al": true,
	"el": true, "dos": true, "das": true, "ter": true, "ten": true, "y": true,
}

// notNameWords are capitalised words that start headings, sections and
// datelines rather than names, so "Executive Summary" is not an author.
var notNameWords = map[string]bool{
	"the": true, "a": true, "an": true, "of": true, "and": true, "in": true, "on": true, "for": true,
	"to": true, "with": true, "at": true, "from": true, "by": true, "is": true, "are": true, "was": true,
	"news": true, "report": true, "reports": true, "summary": true, "introduction": true, "chapter": true,
	"part": true, "section": true, "update": true, "updated": true, "breaking": true, "live": true,
	"analysis": true, "opinion": true, "editorial": true, "comment": true, "review": true,
	"overview": true, "background": true, "contents": true, "table": true, "abstract": true,
	"conclusion": true, "conclusions": true, "press": true, "release": true, "staff": true,
	"writer": true, "editor": true, "correspondent": true, "reporter": true, "executive": true,
	"key": true, "points": true, "main": true, "story": true, "photo": true, "image": true,
	"video": true, "watch": true, "listen": true, "read": true, "more": true, "related": true,
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true,
	"december": true, "monday": true, "tuesday": true, "wednesday": true, "thursday": true,
	"friday": true, "saturday": true, "sunday": true, "today": true, "yesterday": true,
	"advertisement": true, "share": true, "subscribe": true, "follow": true, "home": true,
	"world": true, "politics": true, "business": true, "sport": true, "sports": true,
	"technology": true, "tech": true, "science": true, "health": true, "entertainment": true,
	"top": true, "latest": true, "new": true, "how": true, "why": true, "what": true,
}

// isBareName reports whether s is a line of 2-4 capitalised name words
// ("Kristopher Drake", "Jean-Luc de la Tour"), lower-case particles aside,
// with no digits or sentence punctuation and no common heading word.
func isBareName(s string) bool {
	if utf8.RuneCountInString(s) > 50 {
		return false
	}
	names := 0
	for _, w := range strings.Fields(s) {
		switch {
		case nameParticles[w]:
			continue
		case notNameWords[strings.ToLower(w)] || !isNameWord(w):
			return false
		}
		names++
	}
	return names >= 2 && names <= 4
}

// isNameWord reports whether w looks like a word of a personal name: an
// upper-case letter followed by letters, apostrophes or hyphens, or an
// initial such as "J.".
func isNameWord(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) {
		return false
	}
	rest := w[size:]
	if rest == "." {
		return true
	}
	rest = strings.TrimSuffix(rest, ".") // "Jr.", "St."
	for _, r := range rest {
		if !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-' {
			return false
		}
	}
	return true
}

// IsBidiControl reports whether r is a bidirectional embedding, override or
// isolate (U+202A-U+202E, U+2066-U+2069). Shown as they are, they reorder
// the text after them on screen ("Trojan Source"), so a title or a path
// can display as something it is not; right-to-left letters need none of
// them. The front doors that show text to people show these as escapes.
func IsBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
