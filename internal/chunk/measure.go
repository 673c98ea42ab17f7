package chunk

import (
	"unicode"
	"unicode/utf8"
)

// This file measures text in a [Unit] and cuts over-long sentences into
// word-aligned pieces. Everything here decodes UTF-8 forward with
// utf8.DecodeRuneInString, so an invalid byte is one non-space rune
// (utf8.RuneError, width 1) and is never lost or split.

// isSpace reports whether r separates words: Unicode white space (which
// includes '\r', NBSP and the line and paragraph separators) and the
// zero-width no-break space U+FEFF, which mostly appears as a stray BOM.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiKind[r] == asciiSpace // small enough to inline: measuring is per byte
	}
	return unicode.IsSpace(r) || r == '\uFEFF'
}

// The kinds of ASCII characters isSpace and isWordRune tell apart.
const (
	asciiOther = iota
	asciiSpace // ' ', '\t', '\n', '\v', '\f', '\r'
	asciiWord  // a-z, A-Z, 0-9
)

var asciiKind = func() (k [utf8.RuneSelf]uint8) {
	for _, c := range " \t\n\v\f\r" {
		k[c] = asciiSpace
	}
	for c := range k {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			k[c] = asciiWord
		}
	}
	return k
}()

// isWordRune reports whether r continues a run that counts as one token:
// letters, digits and combining marks. Han ideographs are excluded because
// BERT-style tokenizers split every CJK character into its own token.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiKind[r] == asciiWord
	}
	return isWordRuneSlow(r)
}

func isWordRuneSlow(r rune) bool {
	if unicode.Is(unicode.Han, r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// measure returns the size of s in unit u. Words counts maximal runs of
// non-space runes. Tokens counts every maximal run of letters, digits and
// marks as one token and every other non-space rune (punctuation, symbols,
// CJK ideographs, invalid bytes) as one token each; this is how a BERT
// pre-tokenizer splits text before WordPiece, so it underestimates the
// WordPiece count of rare or long words, which WordPiece cuts further.
func measure(s string, u Unit) int {
	n := 0
	inRun := false
	for i := 0; i < len(s); {
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		i += w
		switch {
		case isSpace(r):
			inRun = false
		case u == Words:
			if !inRun {
				n++
				inRun = true
			}
		case isWordRune(r):
			if !inRun {
				n++
				inRun = true
			}
		default: // Tokens: a punctuation mark or symbol is a token of its own
			n++
			inRun = false
		}
	}
	return n
}

// atom is an indivisible unit when an over-long sentence is cut: a word, or
// for [Tokens] a single token of a word that alone exceeds the piece size.
// start and end are byte offsets into the text; size is in the Unit.
type atom struct {
	start, end, size int
}

// appendAtoms appends the words of text[a:b] to dst. For Tokens, a word
// measuring more than limit is broken into its single tokens, so that no
// atom is larger than limit (limit >= 1).
func appendAtoms(dst []atom, text string, a, b int, u Unit, limit int) []atom {
	s := text[a:b]
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if isSpace(r) {
			i += w
			continue
		}
		j := i + w
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if isSpace(r) {
				break
			}
			j += w
		}
		if u == Words {
			dst = append(dst, atom{a + i, a + j, 1})
			i = j
			continue
		}
		if n := measure(s[i:j], u); n <= limit {
			dst = append(dst, atom{a + i, a + j, n})
			i = j
			continue
		}
		dst = appendTokens(dst, s[:j], i, a)
		i = j
	}
	return dst
}

// appendTokens appends each token of the space-free word s[i:] as an atom
// of size 1, with offsets shifted by base.
func appendTokens(dst []atom, s string, i, base int) []atom {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		j := i + w
		if isWordRune(r) {
			for j < len(s) {
				r, w := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r) {
					break
				}
				j += w
			}
		}
		dst = append(dst, atom{base + i, base + j, 1})
		i = j
	}
	return dst
}

// EstimateTokens estimates how many tokens an embedding model's tokenizer
// makes of s, erring high, for any script: it is what [Options.MaxTokens]
// caps. Unlike the [Tokens] unit, which counts a word as one token, it
// counts a long run of ASCII letters and digits as one token per 8 bytes
// (WordPiece and BPE cut long words, numbers and base64 into pieces), a run
// of other letters as one token per 4 letters (Cyrillic, Greek, accented
// Latin take more pieces than English), and every character of a script
// written without spaces (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar,
// Tibetan) as one token, as BERT-style tokenizers do for CJK. Punctuation,
// symbols and invalid bytes count one each.
func EstimateTokens(s string) int {
	n, _ := estimate(s, -1)
	return n
}

// CutTokens returns the longest prefix of s whose [EstimateTokens] is at
// most n (n >= 1), cut at a rune boundary and without trailing white space.
// It returns s itself when s fits.
func CutTokens(s string, n int) string {
	_, end := estimate(s, max(n, 1))
	if end == len(s) {
		return s
	}
	a, b := trim(s, 0, end)
	if a == b {
		return s[:end]
	}
	return s[:b]
}

// estimate returns EstimateTokens of s, and where s must be cut so that
// the estimate stays within limit (len(s) when it fits or limit < 0).
func estimate(s string, limit int) (n, end int) {
	// run is the kind of the current run: 0 none, 1 ASCII, 2 other letters;
	// runLen its length in bytes (ASCII) or runes (other letters).
	run, runLen := 0, 0
	for i := 0; i < len(s); {
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		add := 0
		switch {
		case isSpace(r):
			run = 0
		case r < utf8.RuneSelf && isWordRune(r):
			if run != 1 {
				run, runLen = 1, 0
			}
			if runLen%8 == 0 {
				add = 1
			}
			runLen++
		case r >= utf8.RuneSelf && unscripted(r):
			run, add = 0, 1
		case r >= utf8.RuneSelf && isWordRune(r):
			if run != 2 {
				run, runLen = 2, 0
			}
			if runLen%4 == 0 {
				add = 1
			}
			runLen++
		default:
			run, add = 0, 1
		}
		if limit >= 0 && n+add > limit {
			return n, i
		}
		n += add
		i += w
	}
	return n, len(s)
}

// unscripted reports whether r belongs to a script written without spaces
// between words, whose characters tokenizers treat one by one.
func unscripted(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}
