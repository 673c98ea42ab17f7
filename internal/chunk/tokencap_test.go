package chunk

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSplit_tokenCap checks that no passage exceeds Options.MaxTokens by
// EstimateTokens, whatever the unit, for texts whose words hold many tokens:
// Chinese and Japanese without spaces, Thai, and a long unbroken ASCII run.
// Before the cap, a 6,000-character CJK text was one passage.
func TestSplit_tokenCap(t *testing.T) {
	// 6,000 characters of 3 bytes each.
	cjk := strings.Repeat("日本の首相は本日記者会見を開き新しい経済政策を発表した", 250)[:6000*3]
	tests := []struct {
		name string
		text string
		opt  Options
	}{
		{"6000 CJK characters, no spaces, words", cjk, DefaultOptions()},
		{"6000 CJK characters, sentences, words", strings.Repeat("日本の首相は本日記者会見を開き新しい経済政策を発表した。", 222), DefaultOptions()},
		{"CJK, tokens unit", cjk, Options{Unit: Tokens, Size: 150, Overlap: 40, Max: 200, MaxTokens: 100}},
		{"kana", strings.Repeat("ひらがなとカタカナのぶんしょう", 400), DefaultOptions()},
		{"thai", strings.Repeat("ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", 300), DefaultOptions()},
		{"base64 blob", strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 400), DefaultOptions()},
		{"mixed English and CJK", strings.Repeat("The minister said 経済政策を発表した today. ", 300), Options{Unit: Words, Size: 120, Overlap: 30, Max: 200, MaxTokens: 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opt.MaxTokens == 0 {
				t.Fatalf("options %+v have no token cap", tt.opt)
			}
			got, err := Split(tt.text, nil, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkChunks(t, tt.text, nil, tt.opt, got)
			if len(got) < 2 {
				t.Fatalf("%d passage(s), want the text split", len(got))
			}
			for _, c := range got {
				if n := EstimateTokens(tt.text[c.Start:c.End]); n > tt.opt.MaxTokens {
					t.Errorf("passage %d has ~%d tokens, over the cap of %d", c.Index, n, tt.opt.MaxTokens)
				}
				if want := measure(tt.text[c.Start:c.End], tt.opt.Unit); c.Size != want {
					t.Errorf("passage %d: Size %d, want its measure %d", c.Index, c.Size, want)
				}
			}
		})
	}
}

// TestSplit_tokenCapLeavesEnglishAlone checks that the default cap does not
// change how ordinary English text is split.
func TestSplit_tokenCapLeavesEnglishAlone(t *testing.T) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again. ", 400)
	capped := DefaultOptions()
	uncapped := capped
	uncapped.MaxTokens = 0
	a, _ := Split(text, nil, capped)
	b, _ := Split(text, nil, uncapped)
	if len(a) != len(b) {
		t.Fatalf("%d passages with the cap, %d without", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("passage %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"the quick brown fox", 4},
		{"Hello, world!", 4},
		{"日本語", 3},
		{"ひらがな", 4},
		{"abcdefghijklmnopqrstuvwxyz", 4}, // a long run: one token per 8 bytes, plus one
		{"Привет мир", 3},
	}
	for _, tt := range tests {
		if got := EstimateTokens(tt.text); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}

func TestCutTokens(t *testing.T) {
	for _, text := range []string{strings.Repeat("日本語", 500), strings.Repeat("word ", 500), strings.Repeat("x", 5000)} {
		for _, n := range []int{1, 10, 100} {
			got := CutTokens(text, n)
			if EstimateTokens(got) > n || got == "" || !strings.HasPrefix(text, got) {
				t.Errorf("CutTokens(%.10q..., %d) = %.20q... (~%d tokens)", text, n, got, EstimateTokens(got))
			}
		}
	}
	if got := CutTokens("short text", 100); got != "short text" {
		t.Errorf("CutTokens of a short text = %q, want it whole", got)
	}
}

// The cap moves no boundary of ordinary prose, whose passages are far
// below it: the sample articles chunk exactly as without it.
func TestSplit_tokenCapLeavesProse(t *testing.T) {
	files, err := filepath.Glob("../../examples/articles/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("sample articles: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		capped := DefaultOptions()
		uncapped := capped
		uncapped.MaxTokens = 0
		want, err := Split(string(data), nil, uncapped)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Split(string(data), nil, capped)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the token cap moved boundaries of ordinary prose:\n got %v\nwant %v", f, got, want)
		}
	}
}
