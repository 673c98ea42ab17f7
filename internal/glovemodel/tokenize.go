package glovemodel

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WordPrefix starts every word token: the WPM tokenizer of llama.cpp looks up
// "▁word" for a word of the input text.
const WordPrefix = "\u2581"

// This file mirrors the WordPiece ("bert", WPM) tokenizer of llama.cpp as
// vendored in Ollama v0.6.5 (llama/llama.cpp/src/llama-vocab.cpp,
// llm_tokenizer_wpm_session), which is what Ollama's runner uses for a bert
// model. What it does to a text:
//
//  0. The runner tokenizes with parse_special: the exact, case-sensitive
//     text of a control token ("[SEP]", "[UNK]", "[unused5]") becomes that
//     token, and the text around it is tokenized as separate fragments.
//  1. Each code point is "NFD-normalised" through a one-to-one table that maps
//     a precomposed character to the first code point of its canonical
//     decomposition: "é" becomes "e", "Å" becomes "A", a Hangul syllable its
//     leading jamo. Accents are thereby stripped; combining marks that were
//     already separate in the input stay.
//  2. White space (Unicode White_Space) ends a word. NUL, U+FFFD and every
//     \p{C} code point (controls, format characters such as U+200D or the
//     soft hyphen, private use) are dropped without ending the word.
//  3. Each code point is lower-cased. Punctuation (\p{P}), ASCII symbols
//     ($+<=>^`|~) and CJK ideographs become words of their own, so "U.S."
//     reads as "u" "." "s" "." and "don't" as "don" "'" "t". Other symbols
//     (€, ©, °) stay inside words.
//  4. For each word, "▁word" is matched greedily, longest piece first, against
//     the vocabulary; whatever follows a match is looked up as is, without
//     the ▁ prefix (those are BERT's "##" continuation pieces). If some part
//     of the word matches no token, the pieces found so far are discarded and
//     the word becomes [UNK].
//  5. [CLS] is put before the text and [SEP] after it.
//
// Hence a vocabulary word is reachable only if it is a single word after
// steps 1-3, and its token must be "▁" + that normalised form; GloVe entries
// such as "n't", "e-mail" or "1,000" can never be looked up.
//
// Continuation pieces ([Options.Pieces], off by default). Without them an
// unknown word is a clean [UNK], a zero vector that drops out of the mean.
// With them, each kept word of at least [MinPieceLen] characters is also
// stored without the ▁ prefix, with the same vector, so that an unknown word
// made of a known word plus known pieces embeds as the sum of those:
// "bureaupresident" as "▁bureau" + "president". Words that are in the
// vocabulary tokenize exactly as before (the whole "▁word" is the longest
// match), so only former [UNK]s change. Measured with the wink vectors
// (321,283 usable words) on BBC News plus the SciFact abstracts (2.4M
// tokens): [UNK]s fall from 7.5% to 7.0% of tokens (6.7% if 1- and
// 2-character pieces such as "s" and "id" are allowed too). Retrieval gains
// little: SciFact nDCG@10 with -zero-punct -zero-top 2000 went from 0.307 to
// 0.309 on the 809 train queries and from 0.284 to 0.293 on the 300 test
// queries. Most remaining [UNK]s are numbers and single letters, which the
// wink package does not contain at all ("a", "i", "2004", the "s" of "it's",
// the "t" of "don't"), so no piece can help with them. The price is a second
// row per word in token_embd (about twice the file), hence opt-in.

// splitWords splits text into the words the WPM tokenizer looks up, without
// the ▁ prefix (steps 1-3 above).
func splitWords(text string) []string {
	var words []string
	eachWord(text, nil, func(w []byte) { words = append(words, string(w[len(WordPrefix):])) })
	return words
}

// eachWord calls emit with each word of text (steps 1-3 above), "▁"
// first, in a buffer that is reused: buf, when it has room. Tokenize runs
// on every input glovesim embeds, so a word costs no allocation.
func eachWord(text string, buf []byte, emit func(word []byte)) {
	word := append(buf[:0], WordPrefix...)
	flush := func() {
		if len(word) > len(WordPrefix) {
			emit(word)
			word = word[:len(WordPrefix)]
		}
	}
	for len(text) > 0 {
		r, size := utf8.DecodeRuneInString(text)
		text = text[size:]
		r = nfdBase(r)
		if unicode.IsSpace(r) {
			flush()
			continue
		}
		if r == 0 || r == utf8.RuneError || unicode.Is(unicode.C, r) {
			continue
		}
		lower := unicode.ToLower(r)
		if unicode.IsPunct(r) || (r < 0x7f && unicode.IsSymbol(r)) || isCJK(r) {
			flush()
			word = utf8.AppendRune(word, lower)
			flush()
			continue
		}
		word = utf8.AppendRune(word, lower)
	}
	flush()
}

// nfdBase returns the first code point of the canonical decomposition of r,
// or r itself: llama.cpp's unicode_cpts_normalize_nfd.
func nfdBase(r rune) rune {
	if r < 0xc0 {
		return r
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if norm.NFD.IsNormal(buf[:n]) {
		return r
	}
	d := norm.NFD.Bytes(buf[:n])
	first, _ := utf8.DecodeRune(d)
	return first
}

// isCJK reports whether r is in the CJK ideograph ranges of llama.cpp's
// is_chinese_char.
func isCJK(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fff) ||
		(r >= 0x3400 && r <= 0x4dbf) ||
		(r >= 0x20000 && r <= 0x2a6df) ||
		(r >= 0x2a700 && r <= 0x2b73f) ||
		(r >= 0x2b740 && r <= 0x2b81f) ||
		(r >= 0x2b920 && r <= 0x2ceaf) ||
		(r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0x2f800 && r <= 0x2fa1f)
}

// normalizeWord returns the form under which the tokenizer looks word up
// (without the ▁ prefix), and false if no input text can make the tokenizer
// look it up as one word.
func normalizeWord(word string) (string, bool) {
	ws := splitWords(word)
	if len(ws) != 1 {
		return "", false
	}
	return ws[0], true
}

// isPunctuation reports whether every code point of s is punctuation (\p{P}).
func isPunctuation(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsPunct(r) {
			return false
		}
	}
	return true
}

// Tokenize returns the token ids Ollama v0.6.5's runner would produce for
// text with this model's vocabulary, [CLS] first and [SEP] last, by the
// procedure described at the top of this file. It is meant for checks and
// statistics such as the share of [UNK]s.
func (m *Model) Tokenize(text string) []int {
	ids := []int{IDCls}
	var buf [64]byte
	for text != "" {
		frag, special, rest := m.cutControl(text)
		eachWord(frag, buf[:0], func(w []byte) { ids = m.appendWord(ids, w) })
		if special >= 0 {
			ids = append(ids, special)
		}
		text = rest
	}
	return append(ids, IDSep)
}

// cutControl splits text around the first control token text in it. It
// returns the text before it, its id (-1 if there is none) and the rest.
func (m *Model) cutControl(text string) (before string, id int, after string) {
	for i := 0; i < len(text); {
		k := strings.IndexByte(text[i:], '[')
		if k < 0 {
			break
		}
		i += k
		if j := strings.IndexByte(text[i:], ']'); j > 0 {
			if id, ok := m.ids[text[i:i+j+1]]; ok && id < FirstWordID {
				return text[:i], id, text[i+j+1:]
			}
		}
		i++
	}
	return text, -1, ""
}

// appendWord appends the tokens of one pre-tokenized word, "▁" first:
// greedy longest match of the whole, then of the rest without prefix;
// [UNK] if any part fails to match.
func (m *Model) appendWord(ids []int, word []byte) []int {
	start := len(ids)
	for i := 0; i < len(word); i++ {
		matched := false
		for j := min(len(word), i+m.maxTokenLen+1); j > i; j-- {
			if id, ok := m.ids[string(word[i:j])]; ok {
				ids = append(ids, id)
				matched = true
				i = j - 1
				break
			}
		}
		if !matched {
			return append(ids[:start], IDUnk)
		}
	}
	return ids
}
