package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/article"
)

// This file is a rule-based English sentence segmenter tuned for news.
//
// A sentence can only end after a terminator run ('.', '?', '!', '…', "..."
// or ". . .") plus any closing quotes and brackets, and only where white
// space follows: "3.5", "$1.2bn", "U.S.-led", "example.com" and
// "john@example.org" never break. Whether it does end depends on the word
// before the terminator and the first word after it:
//
//   - a lower-case next word never starts a sentence ("a.m. and", "e.g. the",
//     '"Was he fired?" he asked'), unless it has an upper-case letter inside
//     ("iPhone", "eBay");
//   - '?' and '!' end a sentence before anything else;
//   - an ellipsis ends one before an upper-case word;
//   - "a.m."/"p.m." end one before a capitalised word that is not a time
//     zone, a weekday or an abbreviation ("10 a.m. The meeting" breaks,
//     "10:30 a.m. EDT and" does not);
//   - a title ("Mr.", "Dr.", "Gen.", "Sen.") or "e.g.", "i.e.", "vs." never
//     ends one;
//   - "No.", "Vol.", "Jan." and the like do not end one before a number;
//   - other abbreviations ("Inc.", "Corp.", "St.", "etc."), initials
//     ("James B. Comey", "J.R.R. Tolkien") and dotted initialisms ("U.S.",
//     "Ph.D.") end one only before a word that commonly starts a sentence
//     ("The", "He", "But"): "the U.S. He said" breaks, "U.S. Senate" does not;
//   - any other word ends one before a capital, a digit or other symbol.
//
// Inside a paragraph, a line that starts with a list marker ("- ", "* ",
// "• ", "1. ", "2) ") also starts a sentence, and stray closing quotes at
// the end of a paragraph stay with its last sentence.
//
// Known limits: a capitalised name after a quoted question or exclamation
// ('"You're kidding!" Lavrov said') starts a new sentence, and an
// abbreviation before a capitalised word that is not a common sentence
// starter ("Apple Inc. Shares fell") does not end one.

// Sentences returns the sentences of text as byte spans, in order. Paragraph
// boundaries are found as [Split] finds them, and a sentence never crosses
// one. Each span is trimmed of surrounding white space and non-empty, so
// text[s.Start:s.End] is the sentence; together the spans cover every
// non-space byte of text. The caller owns the returned slice.
func Sentences(text string) []article.Span {
	var out []article.Span
	secs := sections(nil, len(text))
	p := paragrapher{text: text, lineMode: !hasParagraphBreak(text, secs)}
	for _, para := range p.paragraphs(nil, 0, len(text)) {
		out = appendSentences(out, text, para.Start, para.End)
	}
	return out
}

// appendSentences appends to dst the sentences of the paragraph text[a:b],
// which must be trimmed and non-empty, as spans with absolute offsets.
func appendSentences(dst []article.Span, text string, a, b int) []article.Span {
	s := text[a:b]
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\n' {
			// A list item on its own line starts a sentence: "- item".
			m := skipSpace(s, i+1)
			if isBullet(s[m:]) {
				_, e := trim(s, start, i)
				dst = append(dst, article.Span{Start: a + start, End: a + e})
				start = m
			}
			i = m
			continue
		}
		if c != '.' && c != '?' && c != '!' && !(c == 0xE2 && strings.HasPrefix(s[i:], "…")) {
			i++
			continue
		}
		j, dots, qe := terminatorRun(s, i)
		k := skipClosers(s, j)
		if k == len(s) {
			break
		}
		if r, _ := utf8.DecodeRuneInString(s[k:]); !isSpace(r) {
			i = k // k > i: the run holds at least the terminator at s[i]
			continue
		}
		m := skipSpace(s, k)
		if skipClosers(s, m) == len(s) {
			break // only a stray closing quote follows: it belongs here
		}
		if endsSentence(s, i, dots, qe, nextWord(s, m)) ||
			strings.IndexByte(s[k:m], '\n') >= 0 && isBullet(s[m:]) {
			dst = append(dst, article.Span{Start: a + start, End: a + k})
			start = m
		}
		i = m
	}
	return append(dst, article.Span{Start: a + start, End: a + len(s)})
}

// skipSpace returns the index of the first non-space rune in s at or after
// i, or len(s).
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			break
		}
		i += w
	}
	return i
}

// isBullet reports whether s starts with a list marker and a space: a dash,
// '*', '+' or a bullet, or a one- or two-digit number with '.' or ')'.
func isBullet(s string) bool {
	n := 0
	for n < len(s) && n < 2 && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	if n > 0 {
		if n >= len(s) || s[n] != '.' && s[n] != ')' {
			return false
		}
		n++
	} else {
		r, w := utf8.DecodeRuneInString(s)
		switch r {
		case '-', '*', '+', '•', '–', '—', '·', '▪', '‣':
			n = w
		default:
			return false
		}
	}
	return n < len(s) && (s[n] == ' ' || s[n] == '\t')
}

// terminatorRun scans the run of sentence terminators starting at s[i] and
// returns where it ends, how many dots it holds (an ellipsis counts three)
// and whether it holds a '?' or '!'. A spaced ellipsis ". . ." is one run.
func terminatorRun(s string, i int) (end, dots int, qe bool) {
	j := i
	for j < len(s) {
		switch {
		case s[j] == '.':
			dots++
			j++
		case s[j] == '?' || s[j] == '!':
			qe = true
			j++
		case strings.HasPrefix(s[j:], "…"):
			dots += 3
			j += len("…")
		case s[j] == ' ' && dots > 0 && j+1 < len(s) && s[j+1] == '.' &&
			(j+2 == len(s) || s[j+2] == ' ' || s[j+2] == '.' || s[j+2] == '\n'):
			j++ // ". . ." : the space is part of the run
		default:
			return j, dots, qe
		}
	}
	return j, dots, qe
}

// skipClosers returns the index after the closing quotes and brackets that
// start at s[j].
func skipClosers(s string, j int) int {
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		switch r {
		case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '*':
			j += w
		default:
			return j
		}
	}
	return j
}

// nextInfo describes the first word after a candidate sentence end, past
// opening quotes and brackets.
type nextInfo struct {
	word  string // letters only, at most maxNextWord bytes; empty if none
	kind  runeKind
	camel bool // lower-case word with an upper-case letter later ("iPhone")
}

// runeKind classifies the first rune of the next word.
type runeKind int

const (
	kindOther runeKind = iota // symbol, punctuation, invalid byte
	kindUpper
	kindLower
	kindDigit
)

// maxNextWord bounds how much of the next word is looked at, so a
// pathological word costs nothing.
const maxNextWord = 24

// nextWord describes the word starting at s[m], after skipping opening
// quotes, brackets and dashes.
func nextWord(s string, m int) nextInfo {
	for m < len(s) {
		r, w := utf8.DecodeRuneInString(s[m:])
		switch r {
		case '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '¿', '¡', '-', '–', '—', '*':
			m += w
			continue
		}
		break
	}
	var n nextInfo
	if m >= len(s) {
		return n
	}
	r, _ := utf8.DecodeRuneInString(s[m:])
	switch {
	case unicode.IsUpper(r) || unicode.IsTitle(r):
		n.kind = kindUpper
	case unicode.IsLower(r):
		n.kind = kindLower
	case unicode.IsDigit(r):
		n.kind = kindDigit
		return n
	default:
		return n
	}
	e := m
	for e < len(s) && e-m < maxNextWord {
		r, w := utf8.DecodeRuneInString(s[e:])
		if !unicode.IsLetter(r) {
			break
		}
		if e > m && unicode.IsUpper(r) {
			n.camel = true
		}
		e += w
	}
	n.word = s[m:e]
	if n.kind == kindUpper {
		n.camel = false
	}
	return n
}

// endsSentence decides whether the terminator run at s[i] (dots dots, and a
// '?' or '!' if qe) followed by white space and then nx ends a sentence.
func endsSentence(s string, i, dots int, qe bool, nx nextInfo) bool {
	if nx.kind == kindLower && !nx.camel {
		return false
	}
	if qe {
		return true
	}
	if dots > 1 { // ellipsis
		return nx.kind == kindUpper
	}
	w := wordBefore(s, i)
	switch classify(w) {
	case classTitle, classNever:
		return false
	case classNumber:
		return nx.kind != kindDigit
	case classMonth:
		if nx.kind == kindDigit {
			return false
		}
		return isStarter(nx.word)
	case classClock:
		return nx.kind == kindUpper && !isTimeWord(nx.word) &&
			(isStarter(nx.word) || classify(nx.word) == classNone)
	case classAbbrev, classInitial, classDotted:
		return isStarter(nx.word)
	}
	return true
}

// wordBefore returns the word that ends at the terminator s[i]: the run of
// non-space runes before it, without leading opening punctuation and without
// anything up to a '/' ("Images/A" gives "A").
func wordBefore(s string, i int) string {
	j := i
	for j > 0 {
		r, w := utf8.DecodeLastRuneInString(s[:j])
		if isSpace(r) || r == '/' {
			break
		}
		j -= w
	}
	w := s[j:i]
	return strings.TrimLeft(w, "\"'([{“‘«-–—*")
}

// abbrClass is what a word before a '.' says about a sentence end.
type abbrClass int

const (
	classNone    abbrClass = iota // an ordinary word
	classTitle                    // Mr, Dr, Gen: always followed by a name
	classNever                    // e.g, i.e, vs: never end a sentence
	classNumber                   // No, Vol, p: no break before a number
	classMonth                    // Jan: no break before a number, else as abbrev
	classClock                    // a.m, p.m
	classAbbrev                   // Inc, Corp, St, etc: break before a sentence starter
	classInitial                  // a single capital letter: "James B. Comey"
	classDotted                   // U.S, Ph.D, J.R.R: letter groups of one or two joined by dots
)

// classify returns the class of the word before a '.'. It is case
// sensitive: "No." before a number is an abbreviation, "no." is a word.
func classify(w string) abbrClass {
	switch w {
	case "Mr", "Mrs", "Ms", "Messrs", "Mmes", "Mme", "Mlle", "Dr", "Drs", "Prof", "Profs",
		"Sen", "Sens", "Rep", "Reps", "Gov", "Govs", "Gen", "Lt", "Col", "Capt", "Cmdr",
		"Cdr", "Sgt", "Maj", "Adm", "Brig", "Cpl", "Pvt", "Rev", "Revd", "Hon", "Pres",
		"Supt", "Insp", "Det", "Atty", "Amb", "Fr", "Sr", "Jr", "Sra", "Srta", "Mt", "Ft":
		if w == "Sr" || w == "Jr" {
			return classAbbrev // "Martin Luther King Jr. He said" ends a sentence
		}
		return classTitle
	case "e.g", "i.e", "E.g", "I.e", "vs", "Vs", "v", "cf", "Cf", "viz", "a.k.a", "A.k.a", "c.f":
		return classNever
	case "No", "Nos", "no", "nos", "Vol", "vol", "Vols", "Art", "art", "Fig", "fig", "Figs",
		"p", "pp", "Para", "para", "Ch", "ch", "Sec", "sec", "Ref", "Tel", "tel", "ext", "Ext",
		"approx", "Approx", "ca", "est", "Est":
		return classNumber
	case "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec":
		return classMonth
	case "a.m", "p.m", "A.M", "P.M":
		return classClock
	case "Inc", "Corp", "Co", "Cos", "Ltd", "Plc", "Bros", "Assn", "Assoc", "Dept", "Univ",
		"Inst", "Natl", "Intl", "Mfg", "Ave", "Blvd", "Rd", "St", "Sq", "Ste", "Hwy", "Pl",
		"Ct", "Ln", "Pkwy", "etc", "al", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur",
		"Thurs", "Fri", "Sat", "Sun", "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del",
		"Fla", "Ga", "Ill", "Ind", "Kan", "Kans", "Ky", "La", "Md", "Mass", "Mich", "Minn",
		"Miss", "Mo", "Mont", "Neb", "Nev", "Okla", "Ore", "Pa", "Penn", "Tenn", "Tex",
		"Va", "Vt", "Wash", "Wis", "Wyo", "Esq", "Dist", "Govt", "Mgr", "Dir", "Asst":
		return classAbbrev
	}
	if len(w) == 1 {
		if 'A' <= w[0] && w[0] <= 'Z' {
			return classInitial
		}
		if 'a' <= w[0] && w[0] <= 'z' {
			return classAbbrev
		}
		return classNone
	}
	if isDotted(w) {
		return classDotted
	}
	return classNone
}

// isDotted reports whether w is letter groups of one or two ASCII letters
// joined by single dots, with at least one dot: "U.S", "Ph.D", "J.R.R".
// "example.com" is not.
func isDotted(w string) bool {
	group, dots := 0, 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			group++
			if group > 2 {
				return false
			}
		case c == '.' && group > 0:
			group = 0
			dots++
		default:
			return false
		}
	}
	return dots > 0 && group > 0
}

// isTimeWord reports whether w, after "a.m."/"p.m.", continues the time
// expression rather than starting a sentence.
func isTimeWord(w string) bool {
	switch w {
	case "EDT", "EST", "CDT", "CST", "MDT", "MST", "PDT", "PST", "AKST", "AKDT", "HST",
		"GMT", "BST", "UTC", "CET", "CEST", "EET", "EEST", "WET", "WEST", "MSK", "IST",
		"JST", "KST", "HKT", "SGT", "AEST", "AEDT", "ACST", "AWST", "NZST", "NZDT", "ET",
		"PT", "CT", "MT", "Z",
		"Eastern", "Central", "Mountain", "Pacific", "Atlantic", "Greenwich", "Moscow",
		"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
		"Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun",
		"Local", "Today", "Tomorrow", "Tonight":
		return true
	}
	return false
}

// isStarter reports whether w is a word that commonly starts a sentence in
// news text and rarely follows an abbreviation inside one: pronouns,
// determiners, conjunctions and sentence adverbs.
func isStarter(w string) bool {
	switch w {
	case "A", "An", "The", "This", "That", "These", "Those", "There", "Here", "It", "Its",
		"He", "She", "His", "Her", "They", "Their", "We", "Our", "I", "You", "Your", "My",
		"But", "And", "Or", "Nor", "So", "Yet", "Then", "Thus", "Hence", "However",
		"Meanwhile", "Moreover", "Furthermore", "Nevertheless", "Nonetheless", "Still",
		"Also", "Now", "Later", "Earlier", "Today", "Yesterday", "Tomorrow", "Last", "Next",
		"In", "On", "At", "For", "With", "Without", "After", "Before", "When", "While",
		"Where", "Whereas", "If", "As", "Although", "Though", "Because", "Since", "During",
		"Despite", "According", "Under", "From", "To", "By", "Of", "Among", "Unlike",
		"No", "Not", "Some", "Many", "Most", "Much", "More", "Several", "Few", "All",
		"Both", "Each", "Every", "Other", "Another", "Such", "What", "Why", "How", "Who",
		"Which", "Once", "Instead", "Even", "Only", "Yes":
		return true
	}
	return false
}
