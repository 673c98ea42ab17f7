package article

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// LineRange is a 1-based, inclusive range of lines of an article's source
// file.
type LineRange struct {
	First int `json:"first"`
	Last  int `json:"last"`
}

// SourceLine returns the lines of the source file that line n (1-based) of
// a.Text came from: n itself when a.Lines is nil (plain text, Markdown),
// else a.Lines[n-1]. A zero LineRange means unknown.
func (a *Article) SourceLine(n int) LineRange {
	return MapLine(a.Lines, n)
}

// MapLine is [Article.SourceLine] for a stored line map.
func MapLine(lines []LineRange, n int) LineRange {
	if lines == nil {
		return LineRange{n, n}
	}
	if n < 1 || n > len(lines) {
		return LineRange{}
	}
	return lines[n-1]
}

// sameLines returns a line map giving every line of text the range r: the
// lines of a JSON record, whose text is one string in the file.
func sameLines(text string, r LineRange) []LineRange {
	out := make([]LineRange, strings.Count(text, "\n")+1)
	for i := range out {
		out[i] = r
	}
	return out
}

// sourceWord is one word of an HTML file's text and the line it is on.
type sourceWord struct {
	word string
	line int
}

// htmlWords returns the words of the text outside tags, scripts and styles
// of an HTML source, in order, with their lines.
func htmlWords(src string) []sourceWord {
	var words []sourceWord
	z := html.NewTokenizer(strings.NewReader(src))
	line := 1
	skip := 0 // inside script, style, template, noscript
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return words
		}
		raw := string(z.Raw())
		switch tt {
		case html.StartTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Title:
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
		case html.TextToken:
			if skip == 0 {
				l := line
				for i := 0; i < len(raw); {
					if raw[i] == '\n' {
						l++
						i++
						continue
					}
					if raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\f' {
						i++
						continue
					}
					j := i
					for j < len(raw) && !strings.ContainsRune(" \t\r\n\f", rune(raw[j])) {
						j++
					}
					for _, w := range strings.Fields(html.UnescapeString(raw[i:j])) {
						words = append(words, sourceWord{w, l})
					}
					i = j
				}
			}
		}
		line += strings.Count(raw, "\n")
	}
}

// htmlLines maps each line of text, the text extracted from the HTML
// source src, to the source lines its words came from. Words are matched in
// order; a line whose words cannot be found gets the lines around it.
func htmlLines(src, text string) []LineRange {
	words := htmlWords(src)
	lines := strings.Split(text, "\n")
	out := make([]LineRange, len(lines))
	cur := 0
	const window = 400 // how far ahead a word is looked for
	for i, l := range lines {
		for _, w := range strings.Fields(l) {
			for j := cur; j < len(words) && j < cur+window; j++ {
				if strings.HasPrefix(w, words[j].word) || strings.HasPrefix(words[j].word, w) {
					if out[i].First == 0 {
						out[i].First = words[j].line
					}
					out[i].Last = words[j].line
					cur = j + 1
					break
				}
			}
		}
	}
	// Fill lines without a match (blank lines, unmatched words) from their
	// neighbours, so every range is a real place in the file.
	prev := LineRange{1, 1}
	for i := range out {
		if out[i].First == 0 {
			out[i] = LineRange{prev.Last, prev.Last}
		} else {
			prev = out[i]
		}
	}
	return out
}
