package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// paraphraseRareShare is the document frequency below which a word of an
// answer counts as distinctive: it occurs in fewer than this share of the
// BBC articles.
const paraphraseRareShare = 0.10

// TestParaphraseSet_answerWordsNotInQuestion checks the paraphrase set
// (eval/bbc-paraphrase): every answer is an exact substring of each of its
// relevant articles, and no distinctive word of an answer (stemmed as BM25
// stems it, and in fewer than 10% of the BBC articles) occurs in its
// question, so a question can only find its passage through paraphrase and
// the words around the answer.
func TestParaphraseSet_answerWordsNotInQuestion(t *testing.T) {
	bbc := filepath.Join("..", "..", "shared", "data", "bbc")
	if _, err := os.Stat(bbc); err != nil {
		t.Skipf("needs the BBC corpus at %s: %v", bbc, err)
	}
	ds, err := LoadQueries(t.Context(), filepath.Join("bbc-paraphrase", "queries.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Queries) < 40 {
		t.Errorf("%d questions, want at least 40", len(ds.Queries))
	}
	var st BBCStats
	files, err := readBBCFiles(t.Context(), bbc, &st)
	if err != nil {
		t.Fatal(err)
	}
	an := &analysis.DefaultAnalyzer{Tokenizer: unicode.NewUnicodeTokenizer(), TokenFilters: []analysis.TokenFilter{
		en.NewPossessiveFilter(), lowercase.NewLowerCaseFilter(), porter.NewPorterStemmer(),
	}}
	terms := func(s string) map[string]bool {
		set := map[string]bool{}
		for _, tok := range an.Analyze([]byte(s)) {
			set[string(tok.Term)] = true
		}
		return set
	}
	df := map[string]int{}
	text := map[string]string{}
	for _, f := range files {
		full := f.headline + "\n" + f.body
		text[f.id] = full
		for w := range terms(full) {
			df[w]++
		}
	}
	rare := int(paraphraseRareShare * float64(len(files)))
	for _, q := range ds.Queries {
		for id := range q.Relevant {
			body, ok := text[id]
			if !ok {
				t.Errorf("%s: relevant %s is not a BBC article", q.ID, id)
				continue
			}
			for _, a := range q.Answers {
				if !strings.Contains(normalizeSpace(body), normalizeSpace(a)) {
					t.Errorf("%s: answer %q is not in %s", q.ID, a, id)
				}
			}
		}
		if len(q.Answers) == 0 {
			t.Errorf("%s: no answer", q.ID)
		}
		qt := terms(q.Text)
		for _, a := range q.Answers {
			for w := range terms(a) {
				if qt[w] && df[w] < rare {
					t.Errorf("%s: %q shares the distinctive answer word %q (in %d of %d articles) with %q", q.ID, q.Text, w, df[w], len(files), a)
				}
			}
		}
	}
}
