package bm25

import (
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// Analyzer names accepted in [Options].Analyzer.
const (
	// AnalyzerEnglish lowercases, drops Lucene's 33 English stopwords, strips
	// possessives and applies Porter stemming: the chain of Lucene's
	// EnglishAnalyzer, which Pyserini's BM25 baselines use.
	AnalyzerEnglish = "en"
	// AnalyzerStandard lowercases and drops Lucene's English stopwords, without
	// stemming.
	AnalyzerStandard = "standard"
	// AnalyzerSimple only lowercases.
	AnalyzerSimple = "simple"
)

// luceneStopWords is Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET. It is
// much shorter than bleve's Snowball list (which also drops words such as
// "should", "does" or "have"), and it is what the Pyserini baselines use.
var luceneStopWords = []string{
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in",
	"into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the",
	"their", "then", "there", "these", "they", "this", "to", "was", "will",
	"with",
}

// newAnalyzer builds the analysis chain called name. All chains split text
// with bleve's Unicode (UAX #29) word tokenizer, as Lucene's StandardTokenizer
// does, so they differ only in their filters. The chains are built directly
// rather than looked up in bleve's registry, so the index depends on nothing
// but this function; the returned analyzer is safe for concurrent use. It
// gives the tokens of [referenceAnalyzer]'s chain, faster (see termAnalyzer).
func newAnalyzer(name string) (analysis.Analyzer, error) {
	ref, err := referenceAnalyzer(name)
	if err != nil {
		return nil, err
	}
	return &termAnalyzer{tokenizer: ref.Tokenizer, filters: ref.TokenFilters, terms: map[string]cachedTerm{}, ids: map[string]int32{}, limit: maxTermCache}, nil
}

// referenceAnalyzer is the chain called name as bleve runs it: the
// definition of the tokens that newAnalyzer's analyzer must give.
func referenceAnalyzer(name string) (*analysis.DefaultAnalyzer, error) {
	stopWords := func() analysis.TokenFilter {
		m := analysis.NewTokenMap()
		for _, w := range luceneStopWords {
			m.AddToken(w)
		}
		return stop.NewStopTokensFilter(m)
	}
	// Every filter here looks at one token at a time (termAnalyzer
	// depends on it).
	var filters []analysis.TokenFilter
	switch name {
	case AnalyzerEnglish:
		filters = []analysis.TokenFilter{en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), stopWords(), porter.NewPorterStemmer()}
	case AnalyzerStandard:
		filters = []analysis.TokenFilter{lowercase.NewLowerCaseFilter(), stopWords()}
	case AnalyzerSimple:
		filters = []analysis.TokenFilter{lowercase.NewLowerCaseFilter()}
	default:
		return nil, fmt.Errorf("unknown analyzer %q (want %q, %q or %q)", name, AnalyzerEnglish, AnalyzerStandard, AnalyzerSimple)
	}
	return &analysis.DefaultAnalyzer{Tokenizer: unicode.NewUnicodeTokenizer(), TokenFilters: filters}, nil
}

// countTerms returns how many tokens an analyses text into and each
// distinct term with its count: what the index stores of a passage.
func countTerms(an analysis.Analyzer, text []byte) (int, []termCount) {
	if ta, ok := an.(*termAnalyzer); ok {
		return ta.count(text)
	}
	toks := an.Analyze(text)
	at := map[string]int{}
	var out []termCount
	for _, t := range toks {
		i, ok := at[string(t.Term)]
		if !ok {
			i = len(out)
			at[string(t.Term)] = i
			out = append(out, termCount{term: string(t.Term), id: -1})
		}
		out[i].tf++
	}
	return len(toks), out
}

// maxTermCache bounds termAnalyzer's cache: English text of any size uses
// far fewer distinct words, and past it words are filtered without the
// cache.
const maxTermCache = 1 << 17

// termAnalyzer gives the tokens of a bleve chain (a Unicode tokenizer, then
// filters that each look at one token alone), at a fraction of its cost:
// analysis was the largest share of the CPU of indexing (docs/indexing.md).
//
//   - It splits runs of ASCII by UAX #29's rules for ASCII itself
//     (asciiWords), which bleve's tokenizer, a general state machine,
//     does several times slower; a run holding other characters, and text
//     that is not valid UTF-8, go to bleve's tokenizer.
//   - It remembers what the filters make of each word as written (its
//     term, or that it is a stopword): a corpus repeats its words, so
//     possessives, lower-casing, stopwords and stemming run once per
//     distinct word.
//   - It allocates a passage's tokens together, and [termAnalyzer.count]
//     gives the index a passage's term frequencies without making tokens
//     at all, counting terms by a number each term gets once.
//
// Positions, offsets and types are the tokenizer's. It is safe for
// concurrent use.
type termAnalyzer struct {
	tokenizer analysis.Tokenizer
	filters   []analysis.TokenFilter
	mu        sync.RWMutex
	terms     map[string]cachedTerm // word as written -> what the filters make of it
	ids       map[string]int32      // term -> its number
	limit     int                   // of terms and ids: maxTermCache
	scratch   sync.Pool             // of *scratch
}

// cachedTerm is what the filters make of a word: its term, shared by every
// token of the word (nothing writes a term once analysed, and the capped
// length keeps appends off it), or nothing for a stopword. key is the
// term as a string and id its number (-1 once the analyzer's limit of
// terms have one).
type cachedTerm struct {
	term []byte
	key  string
	id   int32
	stop bool
}

// span is one word the tokenizer found, before filtering.
type span struct {
	start, end int
	typ        analysis.TokenType
}

// scratch is the memory one call works in, reused by the next.
type scratch struct {
	spans []span
	terms []cachedTerm
	// count's: slot[id] is 1 + the index in uniq of term id in the
	// passage being counted (0: not met yet); uniq holds the index in
	// terms of each distinct term's first token, counts its tokens.
	slot   []int32
	uniq   []int
	counts []int
	// lookup's: the indexes of the words the cache does not hold, and
	// what the filters make of them, by word.
	missed []int
	fresh  map[string]cachedTerm
}

// lookup finds the words of input and what the filters make of each, in
// sc.spans and sc.terms (kept there until the caller is done with sc).
func (a *termAnalyzer) lookup(input []byte, sc *scratch) ([]span, []cachedTerm) {
	spans := a.words(input, sc.spans[:0])
	sc.spans = spans
	terms := slices.Grow(sc.terms[:0], len(spans))[:len(spans)]
	clear(terms)
	sc.terms = terms
	missed := sc.missed[:0]
	a.mu.RLock()
	for i, s := range spans {
		t, ok := a.terms[string(input[s.start:s.end])]
		if !ok {
			missed = append(missed, i)
			continue
		}
		terms[i] = t
	}
	a.mu.RUnlock()
	sc.missed = missed
	if len(missed) > 0 {
		a.filterMissed(input, spans, terms, sc)
	}
	return spans, terms
}

func (a *termAnalyzer) getScratch() *scratch {
	if sc, ok := a.scratch.Get().(*scratch); ok {
		return sc
	}
	return &scratch{}
}

// putScratch keeps sc for the next call, holding no terms.
func (a *termAnalyzer) putScratch(sc *scratch) {
	clear(sc.terms)
	a.scratch.Put(sc)
}

func (a *termAnalyzer) Analyze(input []byte) analysis.TokenStream {
	sc := a.getScratch()
	defer a.putScratch(sc)
	spans, terms := a.lookup(input, sc)
	kept := 0
	for _, t := range terms {
		if !t.stop {
			kept++
		}
	}
	toks := make([]analysis.Token, kept)
	out := make(analysis.TokenStream, kept)
	k := 0
	for i, t := range terms {
		if t.stop {
			continue
		}
		s := spans[i]
		toks[k] = analysis.Token{Term: t.term, Start: s.start, End: s.end, Position: i + 1, Type: s.typ}
		out[k] = &toks[k]
		k++
	}
	return out
}

// count returns how many tokens Analyze would return for input, and each
// distinct term with its count, in order of first occurrence.
func (a *termAnalyzer) count(input []byte) (int, []termCount) {
	sc := a.getScratch()
	defer a.putScratch(sc)
	_, terms := a.lookup(input, sc)
	uniq, counts := sc.uniq[:0], sc.counts[:0]
	var unnumbered map[string]int // terms past maxTermCache, by key: index in uniq
	n := 0
	for i, t := range terms {
		if t.stop {
			continue
		}
		n++
		var k int
		if t.id >= 0 {
			if int(t.id) >= len(sc.slot) {
				sc.slot = append(sc.slot, make([]int32, int(t.id)+1-len(sc.slot)+1024)...)
			}
			k = int(sc.slot[t.id]) - 1
			if k < 0 {
				k = len(uniq)
				uniq, counts = append(uniq, i), append(counts, 0)
				sc.slot[t.id] = int32(k + 1)
			}
		} else {
			var ok bool
			if k, ok = unnumbered[t.key]; !ok {
				if unnumbered == nil {
					unnumbered = map[string]int{}
				}
				k = len(uniq)
				uniq, counts = append(uniq, i), append(counts, 0)
				unnumbered[t.key] = k
			}
		}
		counts[k]++
	}
	out := make([]termCount, len(uniq))
	for k, i := range uniq {
		t := terms[i]
		out[k] = termCount{term: t.key, id: t.id, tf: uint32(counts[k])}
		if t.id >= 0 {
			sc.slot[t.id] = 0
		}
	}
	sc.uniq, sc.counts = uniq, counts
	return n, out
}

// filterMissed runs the filters on the words at sc.missed, which the
// cache does not hold, and caches what they make of them.
func (a *termAnalyzer) filterMissed(input []byte, spans []span, terms []cachedTerm, sc *scratch) {
	if sc.fresh == nil {
		sc.fresh = map[string]cachedTerm{}
	}
	fresh := sc.fresh
	defer clear(fresh)
	for _, i := range sc.missed {
		s := spans[i]
		word := string(input[s.start:s.end])
		if _, ok := fresh[word]; ok {
			continue
		}
		tok := &analysis.Token{Term: []byte(word), Start: s.start, End: s.end, Position: i + 1, Type: s.typ}
		stream := analysis.TokenStream{tok}
		for _, f := range a.filters {
			stream = f.Filter(stream)
		}
		t := cachedTerm{id: -1}
		if len(stream) == 0 {
			t.stop = true
		} else {
			term := stream[0].Term
			if term == nil {
				term = []byte{}
			}
			t.term = term[:len(term):len(term)]
			t.key = string(term)
		}
		fresh[word] = t
	}
	a.mu.Lock()
	for w, t := range fresh {
		if !t.stop {
			id, ok := a.ids[t.key]
			if !ok && len(a.ids) < a.limit {
				id, ok = int32(len(a.ids)), true
				a.ids[t.key] = id
			}
			if ok {
				t.id = id
			}
		}
		if len(a.terms) < a.limit {
			a.terms[w] = t
		}
		fresh[w] = t
	}
	a.mu.Unlock()
	for _, i := range sc.missed {
		s := spans[i]
		terms[i] = fresh[string(input[s.start:s.end])]
	}
}

// words appends the words of input, as bleve's Unicode tokenizer finds them,
// to spans.
func (a *termAnalyzer) words(input []byte, spans []span) []span {
	if !utf8.Valid(input) {
		return a.tokenized(input, 0, spans)
	}
	// UAX #29 always breaks around ASCII white space (and joins nothing
	// to it that is a word), so the runs between it are split on their
	// own: runs of ASCII here, others by bleve's tokenizer.
	for i := 0; i < len(input); {
		if isASCIISpace(input[i]) {
			i++
			continue
		}
		j, ascii := i, true
		for j < len(input) && !isASCIISpace(input[j]) {
			if input[j] >= utf8.RuneSelf {
				ascii = false
			}
			j++
		}
		if ascii {
			spans = asciiWords(input, i, j, spans)
		} else {
			spans = a.tokenized(input[i:j], i, spans)
		}
		i = j
	}
	return spans
}

// tokenized appends the words bleve's tokenizer finds in run, which starts
// at offset off of the input.
func (a *termAnalyzer) tokenized(run []byte, off int, spans []span) []span {
	for _, t := range a.tokenizer.Tokenize(run) {
		spans = append(spans, span{start: off + t.Start, end: off + t.End, typ: t.Type})
	}
	return spans
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// ASCII word-break classes of UAX #29 (Unicode 8.0, as bleve's segmenter).
const (
	wbOther  = iota
	wbLetter // ALetter: A-Z a-z
	wbDigit  // Numeric: 0-9
	wbUnder  // ExtendNumLet: _
	wbMidL   // MidLetter: ':'
	wbMidN   // MidNum: ',' ';'
	wbMidNL  // MidNumLet or Single_Quote: '.' and '\''
)

var asciiClass = func() (c [128]byte) {
	for b := 'a'; b <= 'z'; b++ {
		c[b], c[b-'a'+'A'] = wbLetter, wbLetter
	}
	for b := '0'; b <= '9'; b++ {
		c[b] = wbDigit
	}
	c['_'], c[':'], c[','], c[';'], c['.'], c['\''] = wbUnder, wbMidL, wbMidN, wbMidN, wbMidNL, wbMidNL
	return c
}()

// asciiWords appends the words of input[from:to], ASCII without white
// space, as UAX #29 splits them: letters, digits and underscores join
// (WB5, WB8-WB10, WB13a-b), a colon, full stop or apostrophe joins two
// letters (WB6-7), a comma, semicolon, full stop or apostrophe two digits
// (WB11-12), and everything else stands
// alone and is no word. A word of digits (underscores and separators
// between digits too) but no letter is numeric, as the segmenter types it.
func asciiWords(input []byte, from, to int, spans []span) []span {
	i := from
	for i < to {
		c := asciiClass[input[i]]
		if c != wbLetter && c != wbDigit && c != wbUnder {
			i++
			continue
		}
		start, letters := i, false
	scan:
		for i < to {
			c := asciiClass[input[i]]
			switch c {
			case wbLetter:
				letters = true
			case wbDigit, wbUnder:
			case wbMidL, wbMidN, wbMidNL:
				if i+1 >= to {
					break scan
				}
				prev, next := asciiClass[input[i-1]], asciiClass[input[i+1]]
				if prev != next || (prev != wbLetter && prev != wbDigit) ||
					(c == wbMidL && prev != wbLetter) || (c == wbMidN && prev != wbDigit) {
					break scan
				}
			default:
				break scan
			}
			i++
		}
		typ := analysis.AlphaNumeric
		if !letters && hasDigit(input[start:i]) {
			typ = analysis.Numeric
		}
		spans = append(spans, span{start: start, end: i, typ: typ})
	}
	return spans
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}
