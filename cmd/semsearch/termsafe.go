package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/article"
)

// Text from articles (titles, sources, ids, passages) and from files' names
// is the input of whoever wrote it, and a terminal obeys the control
// characters in it: ESC sequences clear the screen, set the window title,
// hide text or rewrite earlier lines. Human-readable output therefore
// passes every such field through termLine or termText, which show control
// characters, and the bidirectional controls that reorder text on screen,
// as Go escapes (\x1b, \u009b, \u202e). JSON output stays exact: its
// encoder escapes what JSON must.

// termLine returns s for one line of a terminal: every control character
// (C0 including newline, CR and tab, DEL, C1) and every invalid UTF-8 byte
// escaped, so a field cannot start a line of its own either.
func termLine(s string) string { return termEscape(s, false) }

// termText returns multi-line text for a terminal: newlines and tabs stay,
// a CR before a newline is dropped, and every other control character is
// escaped.
func termText(s string) string { return termEscape(s, true) }

func termEscape(s string, multiline bool) string {
	if !needsEscape(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case multiline && r == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, article.IsBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether termEscape would change s.
func needsEscape(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return true
		case multiline && (r == '\n' || r == '\t'):
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || article.IsBidiControl(r):
			return true
		}
		i += n
	}
	return false
}
