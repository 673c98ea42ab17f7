package bm25

import (
	"fmt"
	"sync"

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
// but this function; the returned analyzer is safe for concurrent use.
func newAnalyzer(name string) (analysis.Analyzer, error) {
	stopWords := func() analysis.TokenFilter {
		m := analysis.NewTokenMap()
		for _, w := range luceneStopWords {
			m.AddToken(w)
		}
		return stop.NewStopTokensFilter(m)
	}
	var filters []analysis.TokenFilter
	switch name {
	case AnalyzerEnglish:
		filters = []analysis.TokenFilter{en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), stopWords(), &stemCache{stem: porter.NewPorterStemmer(), terms: map[string][]byte{}}}
	case AnalyzerStandard:
		filters = []analysis.TokenFilter{lowercase.NewLowerCaseFilter(), stopWords()}
	case AnalyzerSimple:
		filters = []analysis.TokenFilter{lowercase.NewLowerCaseFilter()}
	default:
		return nil, fmt.Errorf("unknown analyzer %q (want %q, %q or %q)", name, AnalyzerEnglish, AnalyzerStandard, AnalyzerSimple)
	}
	return &analysis.DefaultAnalyzer{Tokenizer: unicode.NewUnicodeTokenizer(), TokenFilters: filters}, nil
}

// preAnalyzed is an analysis.Analyzer that returns tokens it was built with.
// Replace analyses each passage once, to count its tokens for the length
// statistics, and hands the tokens to bleve through it instead of letting
// bleve analyse the text a second time.
type preAnalyzed analysis.TokenStream

// Analyze returns the stored tokens, whatever the input.
func (p preAnalyzed) Analyze([]byte) analysis.TokenStream { return analysis.TokenStream(p) }

// maxStemCache bounds stemCache: English text of any size uses far fewer
// distinct words, and past it words are stemmed without the cache.
const maxStemCache = 1 << 17

// stemCache is a stemming filter that remembers each word's stem: a corpus
// repeats its words, and stemming was a sixth of the CPU of indexing BBC
// News (docs/indexing.md). Its tokens are the wrapped stemmer's. It is safe
// for concurrent use.
type stemCache struct {
	stem  analysis.TokenFilter
	mu    sync.Mutex
	terms map[string][]byte
}

func (c *stemCache) Filter(input analysis.TokenStream) analysis.TokenStream {
	one := make(analysis.TokenStream, 1)
	for _, tok := range input {
		if tok.KeyWord {
			continue
		}
		c.mu.Lock()
		stem, ok := c.terms[string(tok.Term)]
		c.mu.Unlock()
		if ok {
			// Shared by every token of the word: nothing writes a term
			// once analysed, and the capped length keeps appends off it.
			tok.Term = stem[:len(stem):len(stem)]
			continue
		}
		word := string(tok.Term)
		one[0] = tok
		c.stem.Filter(one)
		c.mu.Lock()
		if len(c.terms) < maxStemCache {
			c.terms[word] = append([]byte(nil), tok.Term...)
		}
		c.mu.Unlock()
	}
	return input
}
