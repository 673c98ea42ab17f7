package bm25

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"
)

// analyzerCases are texts whose words UAX #29 splits in every way ASCII
// allows (joiners between letters, between digits, between both, at the
// ends), next to text that is not ASCII or not UTF-8 at all.
var analyzerCases = []string{
	"", " ", "a", "_", "__", "1", "a1", "1a", "a_1", "_a_", "1_", "_1",
	"U.S.A. it's dogs' owner's CAN'T can't 3.14 1,000,000.50 a:b a::b 1:2 1;2 a;b a,b a.b. .a .1 1. 1.a a.1",
	"a'b'c 'quoted' \"double\" a\"b 1'000 x_y_z e.g. i.e., mr.smith 10.5% $5bn £5bn 5bn£ 24/7 a-b 19th",
	"The runners were running; a runner's runs ran. Généralement, connected connections CONNECTING über-fast 東京 running runners",
	"naïve café's CAFÉ's Straße İstanbul ΣΊΣΥΦΟΣ Ⱥpple ﬁne a\u0301b a\u00adb a\u200db \u200d a \u0301a x\u2019s it\u2019s",
	"tab\tnew\nline\r\ncr\rvt\vff\f\u0085nel\u2028ls\u2029ps\u00a0nbsp",
	"\xff\xfeinvalid a\xffb 1\xc0 2 café\xe9", "emoji 👍🏽 flags 🇬🇧🇫🇷 カタカナ ひらがな 한국어 漢字 עִבְרִית ש\"ס ש'",
	"\x00\x01\x1b[0m a\x7fb ~!@#$%^&*()+=[]{}|\\<>?/`",
}

// sameTokens fails t unless got and want are the same tokens: terms,
// offsets, positions, types.
func sameTokens(t *testing.T, what string, got, want analysis.TokenStream) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tokens %s, want %d %s", what, len(got), terms(got), len(want), terms(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if string(g.Term) != string(w.Term) || g.Start != w.Start || g.End != w.End || g.Position != w.Position || g.Type != w.Type || g.KeyWord != w.KeyWord {
			t.Fatalf("%s: token %d = %q %d-%d at %d type %d, want %q %d-%d at %d type %d", what, i,
				g.Term, g.Start, g.End, g.Position, g.Type, w.Term, w.Start, w.End, w.Position, w.Type)
		}
	}
}

func terms(ts analysis.TokenStream) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(" " + string(t.Term))
	}
	return b.String()
}

// checkSameAsBleve compares the analyzer newAnalyzer builds (fast, cached)
// with bleve's own chain on text, twice: the second time from the cache.
func checkSameAsBleve(t *testing.T, fast analysis.Analyzer, ref *analysis.DefaultAnalyzer, text string) {
	t.Helper()
	for round := range 2 {
		got := fast.Analyze([]byte(text))
		want := ref.Analyze([]byte(text)) // bleve lower-cases its input in place
		sameTokens(t, "round "+string(rune('0'+round))+" "+strconvQuote(text), got, want)
	}
}

func strconvQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}

// TestTermAnalyzer_sameAsBleve: every analyzer gives the tokens of bleve's
// chain (Unicode tokenizer, then the filters), on tricky text, on every
// string of up to four characters drawn from the ones that decide word
// breaks, and on every ASCII character between letters and between digits.
func TestTermAnalyzer_sameAsBleve(t *testing.T) {
	alphabet := []string{"a", "B", "1", "_", ":", ".", ",", "'", ";", " ", "-", "é", "\u0301", "s"}
	var short []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		short = append(short, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 4)
	var ascii []string
	for c := range 128 {
		s := string(rune(c))
		ascii = append(ascii, "a"+s+"b", "1"+s+"2", "a"+s+"1", "1"+s+"a", "_"+s+"_", s, s+"x", "x"+s, "it"+s+"s", "The"+s+"s")
	}
	for _, name := range []string{AnalyzerEnglish, AnalyzerStandard, AnalyzerSimple} {
		t.Run(name, func(t *testing.T) {
			fast, err := newAnalyzer(name)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := referenceAnalyzer(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range [][]string{analyzerCases, short, ascii} {
				for _, text := range set {
					checkSameAsBleve(t, fast, ref, text)
				}
			}
		})
	}
}

// TestTermAnalyzer_sameAsBleveOnNews: the same on real text, BBC News
// (../shared/data/bbc) when it is there, else the package's testdata.
func TestTermAnalyzer_sameAsBleveOnNews(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../../shared/data/bbc/*/*.txt", "testdata/*"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no text to compare on")
	}
	fast, err := newAnalyzer(AnalyzerEnglish)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := referenceAnalyzer(AnalyzerEnglish)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		checkSameAsBleve(t, fast, ref, string(b))
	}
}

// FuzzTermAnalyzer: on any text the analyzer gives bleve's chain's tokens.
func FuzzTermAnalyzer(f *testing.F) {
	for _, s := range analyzerCases {
		f.Add(s)
	}
	fast, err := newAnalyzer(AnalyzerEnglish)
	if err != nil {
		f.Fatal(err)
	}
	ref, err := referenceAnalyzer(AnalyzerEnglish)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSameAsBleve(t, fast, ref, text)
	})
}

// BenchmarkAnalyze analyses BBC News (or, without it, synthetic text) with
// bleve's chain and with the analyzer the index uses.
func BenchmarkAnalyze(b *testing.B) {
	files, _ := filepath.Glob("../../../shared/data/bbc/*/*.txt")
	var texts [][]byte
	size := 0
	for _, f := range files {
		if t, err := os.ReadFile(f); err == nil {
			texts = append(texts, t)
			size += len(t)
		}
	}
	if len(texts) == 0 {
		docs, _ := syntheticCorpus(2000)
		for _, d := range docs {
			for _, p := range d.Passages {
				texts = append(texts, []byte(p.Text))
				size += len(p.Text)
			}
		}
	}
	ref, err := referenceAnalyzer(AnalyzerEnglish)
	if err != nil {
		b.Fatal(err)
	}
	fast, err := newAnalyzer(AnalyzerEnglish)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		an   analysis.Analyzer
	}{{"bleve", ref}, {"index", fast}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, t := range texts {
					bc.an.Analyze(append([]byte(nil), t...))
				}
			}
		})
	}
}

// TestTermAnalyzer_countLikeBleve: the term frequencies the index gets of a
// passage (count) are those bleve computes from the chain's tokens, and so
// is their number, on the same texts as above, for every analyzer.
func TestTermAnalyzer_countLikeBleve(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/data/bbc/tech/*.txt")
	texts := slices.Clone(analyzerCases)
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			texts = append(texts, string(b))
		}
	}
	for _, name := range []string{AnalyzerEnglish, AnalyzerStandard, AnalyzerSimple} {
		an, err := newAnalyzer(name)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := referenceAnalyzer(name)
		if err != nil {
			t.Fatal(err)
		}
		small, _ := newAnalyzer(name)
		small.(*termAnalyzer).limit = 50 // most words and terms past it: neither cached nor numbered
		for round := range 4 {
			ta := an.(*termAnalyzer)
			if round >= 2 {
				ta = small.(*termAnalyzer)
			}
			for _, text := range texts {
				n, got := ta.count([]byte(text))
				tokens := ref.Analyze([]byte(text))
				want := analysis.TokenFrequency(tokens, nil, index.IndexField)
				if n != len(tokens) || len(got) != len(want) {
					t.Fatalf("%s round %d %q: %d tokens, %d terms; want %d, %d", name, round, strconvQuote(text), n, len(got), len(tokens), len(want))
				}
				byTerm := make(map[string]uint32, len(got))
				for _, g := range got {
					byTerm[g.term] = g.tf
				}
				for term, w := range want {
					if g, ok := byTerm[term]; !ok || int(g) != w.Frequency() {
						t.Fatalf("%s round %d %q: term %q counted %d, want %d", name, round, strconvQuote(text), term, g, w.Frequency())
					}
				}
			}
		}
	}
}

// TestTermAnalyzer_concurrent: goroutines sharing one analyzer (as
// ReplaceMany's do) get bleve's tokens and term counts, while the cache
// fills and past its limit (run with -race).
func TestTermAnalyzer_concurrent(t *testing.T) {
	an, err := newAnalyzer(AnalyzerEnglish)
	if err != nil {
		t.Fatal(err)
	}
	an.(*termAnalyzer).limit = 200
	ref, err := referenceAnalyzer(AnalyzerEnglish)
	if err != nil {
		t.Fatal(err)
	}
	texts := slices.Clone(analyzerCases)
	for i := range 50 {
		texts = append(texts, strings.Repeat(fmt.Sprintf("word%d runner's Running %d.5 ", i, i), 5))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range texts {
				text := texts[(i+g*7)%len(texts)]
				want := ref.Analyze([]byte(text))
				got := an.Analyze([]byte(text))
				n, freqs := an.(*termAnalyzer).count([]byte(text))
				if len(got) != len(want) || n != len(want) || len(freqs) != len(analysis.TokenFrequency(want, nil, index.IndexField)) {
					t.Errorf("%q: %d tokens, count %d (%d terms); want %d", strconvQuote(text), len(got), n, len(freqs), len(want))
					return
				}
				for k := range got {
					if string(got[k].Term) != string(want[k].Term) {
						t.Errorf("%q token %d: %q, want %q", strconvQuote(text), k, got[k].Term, want[k].Term)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
