package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Confidence is how likely a hit is to answer its question, from its
// [Evidence]: "high", "medium" or "low" (see [Judge]).
type Confidence string

// The confidence levels [Judge] gives.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Evidence is what a hit's confidence rests on: what each half of the
// search said about it, and how much of the question the passage holds.
// Ranks are 1-based among the search's candidates; 0 means that half did
// not find the passage (or did not run: BM25 mode has no vector rank).
type Evidence struct {
	BM25Score  float64 `json:"bm25_score"`
	BM25Rank   int     `json:"bm25_rank"`
	VectorRank int     `json:"vector_rank"`
	// Coverage is the share (0..1) of the question's content words found
	// in the passage, each name or number (a word with a capital letter,
	// past the question's first word, or with a digit) counting twice; 1
	// for a question of stopwords only.
	Coverage float64 `json:"coverage"`
	// Missing are the question's content words the passage lacks, as
	// written in the question (lower case), names and numbers first.
	Missing []string `json:"missing,omitempty"`
	// MissingNames says a name or number of the question is missing: the
	// strongest sign that the collection is about something else.
	MissingNames bool `json:"missing_names,omitempty"`
}

// NewEvidence gathers the evidence for a passage of text found for
// question: BM25's score and rank and the vector rank as the search
// found them, and the question's words the passage holds.
func NewEvidence(question, text string, bm25Score float64, bm25Rank, vectorRank int) Evidence {
	return questionTerms(question).evidence(text, bm25Score, bm25Rank, vectorRank)
}

func (terms qterms) evidence(text string, bm25Score float64, bm25Rank, vectorRank int) Evidence {
	ev := Evidence{BM25Score: bm25Score, BM25Rank: bm25Rank, VectorRank: vectorRank}
	ev.Coverage, ev.Missing, ev.MissingNames = terms.coverage(text)
	return ev
}

// Judge rates a hit from its evidence. The rule, tuned on 20 answerable and
// 20 unanswerable questions about BBC News (eval/confidence, see
// docs/confidence.md):
//
//   - low: the passage lacks a name or number of the question, or holds
//     at most half of its content words;
//   - high: it holds at least 80% of them and one of the halves ranked it
//     in its top 3;
//   - medium: anything else.
//
// Scores do not enter: a cosine or a fused score near the top of its scale
// is just as common for an off-topic passage when nothing better exists.
func Judge(ev Evidence) Confidence {
	switch {
	case ev.MissingNames || ev.Coverage <= 0.5:
		return Low
	case ev.Coverage >= 0.8 && (inTop(ev.BM25Rank, 3) || inTop(ev.VectorRank, 3)):
		return High
	}
	return Medium
}

func inTop(rank, n int) bool { return rank >= 1 && rank <= n }

// LowConfidenceNote is the notice a door shows when its best hit is rated
// [Low] (c) on evidence ev, or "" when it is not.
func LowConfidenceNote(c Confidence, ev *Evidence) string {
	if c != Low || ev == nil {
		return ""
	}
	why := fmt.Sprintf("it holds %.0f%% of the question's words", 100*ev.Coverage)
	if len(ev.Missing) > 0 {
		shown := ev.Missing[:min(len(ev.Missing), 5)]
		why += "; missing: " + strings.Join(shown, ", ")
	}
	return "the best passage is a weak match (low confidence: " + why + "); this collection may not answer the question"
}

// qterm is a content word of a question: as written (lower case), its
// stem, and whether it is a name or a number.
type qterm struct {
	word, stem string
	name       bool
}

// qterms are a question's content words, read once for all its hits.
type qterms []qterm

func questionTerms(question string) qterms {
	var terms qterms
	seen := map[string]int{} // stem -> index in terms
	for i, w := range words(question) {
		lw := strings.ToLower(w)
		if utf8.RuneCountInString(lw) < 2 || stopWords[lw] {
			continue
		}
		// A name: a capital past the question's first word ("Qatar",
		// "iPhone"), or a number.
		name := strings.ContainsFunc(w, unicode.IsDigit) || (i > 0 && strings.ContainsFunc(w, unicode.IsUpper))
		s := stem(lw)
		if j, ok := seen[s]; ok {
			terms[j].name = terms[j].name || name
			continue
		}
		seen[s] = len(terms)
		terms = append(terms, qterm{lw, s, name})
	}
	return terms
}

// coverage is the share of the terms found in passage (names and numbers
// count twice), the missing ones (names first), and whether a name is
// among them.
func (terms qterms) coverage(passage string) (share float64, missing []string, missingNames bool) {
	if len(terms) == 0 {
		return 1, nil, false
	}
	have := map[string]bool{}
	for _, w := range words(passage) {
		have[stem(strings.ToLower(w))] = true
	}
	var total, found float64
	var names, others []string
	for _, t := range terms {
		weight := 1.0
		if t.name {
			weight = 2
		}
		total += weight
		if have[t.stem] {
			found += weight
			continue
		}
		if t.name {
			names = append(names, t.word)
		} else {
			others = append(others, t.word)
		}
	}
	return found / total, append(names, others...), len(names) > 0
}

// words splits text into words of letters and digits, keeping inner
// apostrophes and hyphens out ("Microsoft's" gives "Microsoft" and "s").
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stem is a light stemmer for matching a question's words with a
// passage's: it strips one common English suffix and keeps at most six
// letters, so "companies", "company" and "companion" meet, a price paid
// for not needing the BM25 index's analyser here.
func stem(w string) string {
	for _, suf := range stemSuffixes {
		if strings.HasSuffix(w, suf.from) && utf8.RuneCountInString(w)-len(suf.from) >= 3 {
			w = strings.TrimSuffix(w, suf.from) + suf.to
			break
		}
	}
	if r := []rune(w); len(r) > 6 {
		w = string(r[:6])
	}
	return w
}

// stemSuffixes are the suffixes stem strips, the first that fits.
var stemSuffixes = []struct{ from, to string }{{"ies", "y"}, {"ing", ""}, {"ed", ""}, {"es", ""}, {"ly", ""}, {"s", ""}, {"e", ""}}

// stopWords are English function words and question words, which say
// nothing about a question's topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours out over own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who whom whose why will with would
you your yours many much say said says tell told get got make made new one two first last year years go going went`) {
		m[w] = true
	}
	return m
}()
