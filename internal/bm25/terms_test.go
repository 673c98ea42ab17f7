package bm25

import (
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

func TestTerms(t *testing.T) {
	got, err := Terms(AnalyzerEnglish, "The FBI director's firing: Lavrov joked")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fbi", "director", "fire", "lavrov", "joke"}; !slices.Equal(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	if _, err := Terms("nope", "x"); err == nil {
		t.Error("unknown analyzer accepted")
	}
}

// TestStemCache_sameTokens: the English analyzer's cached stemming gives
// the tokens bleve's Porter stemmer gives, on first sight of a word and
// from the cache, keyword tokens untouched.
func TestStemCache_sameTokens(t *testing.T) {
	an, err := newAnalyzer(AnalyzerEnglish)
	if err != nil {
		t.Fatal(err)
	}
	plain := &analysis.DefaultAnalyzer{Tokenizer: unicode.NewUnicodeTokenizer(), TokenFilters: []analysis.TokenFilter{
		en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), stopTokens(t), porter.NewPorterStemmer()}}
	text := "The runners were running; a runner's runs ran. Généralement, connected connections CONNECTING über-fast 東京 running runners"
	for round := range 2 { // the second round is answered from the cache
		got, want := an.Analyze([]byte(text)), plain.Analyze([]byte(text))
		if len(got) != len(want) {
			t.Fatalf("round %d: %d tokens, want %d", round, len(got), len(want))
		}
		for i := range got {
			if string(got[i].Term) != string(want[i].Term) || got[i].Position != want[i].Position {
				t.Errorf("round %d token %d: %q at %d, want %q at %d", round, i, got[i].Term, got[i].Position, want[i].Term, want[i].Position)
			}
		}
	}
}

func stopTokens(t *testing.T) analysis.TokenFilter {
	t.Helper()
	m := analysis.NewTokenMap()
	for _, w := range luceneStopWords {
		m.AddToken(w)
	}
	return stop.NewStopTokensFilter(m)
}
