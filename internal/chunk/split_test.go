package chunk

import (
	"slices"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
)

// sentencesOf returns n sentences of the given number of words each, words
// numbered from first ("W1 w2 w3." for first=1, words=3).
func sentencesOf(n, words, first int) []string {
	out := make([]string, n)
	w := first
	for i := range out {
		var b strings.Builder
		for j := range words {
			if j > 0 {
				b.WriteByte(' ')
			}
			if j == 0 {
				b.WriteString("W") // sentences start with a capital
			} else {
				b.WriteString("w")
			}
			b.WriteString(itoa(w))
			w++
		}
		b.WriteByte('.')
		out[i] = b.String()
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func words(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = "w" + itoa(i+1)
	}
	return strings.Join(ws, " ")
}

func TestSplit(t *testing.T) {
	w := func(size, overlap, max int) Options {
		return Options{Unit: Words, Size: size, Overlap: overlap, Max: max}
	}
	s5 := sentencesOf(10, 5, 1) // ten sentences of five words
	tests := []struct {
		name string
		text string
		skip []article.Span
		opt  Options
		want []string
	}{
		{"empty", "", nil, DefaultOptions(), nil},
		{"only space", " \n\r\n\t \u00a0\n", nil, DefaultOptions(), nil},
		{"all skipped", "Advertisement", []article.Span{{Start: 0, End: 13}}, DefaultOptions(), nil},
		{"short", "\n\n  Hello world.  \n", nil, DefaultOptions(), []string{"Hello world."}},
		{"packs paragraphs", "Title\n\nOne two. Three four.\n\nFive six.", nil, w(10, 2, 20),
			[]string{"Title\n\nOne two. Three four.\n\nFive six."}},
		{"skip is a hard boundary", "First part here. Advertisement Second part here.",
			[]article.Span{{Start: 17, End: 31}}, DefaultOptions(),
			[]string{"First part here.", "Second part here."}},
		{"messy skip spans", "aa bb. cc dd. ee ff. gg hh.",
			[]article.Span{{Start: 20, End: 99}, {Start: -5, End: 3}, {Start: 9, End: 7}, {Start: 10, End: 12}, {Start: 11, End: 14}, {Start: 5, End: 5}},
			DefaultOptions(), []string{"bb. cc", "ee ff."}},
		{"overlap inside paragraph", strings.Join(s5, " "), nil, w(20, 6, 30),
			[]string{
				strings.Join(s5[0:4], " "),
				strings.Join(s5[3:7], " "),
				strings.Join(s5[6:10], " "),
			}},
		{"no overlap at paragraph end", strings.Join(s5[0:4], " ") + "\n\n" + strings.Join(s5[4:8], " "), nil, w(20, 6, 30),
			[]string{strings.Join(s5[0:4], " "), strings.Join(s5[4:8], " ")}},
		{"no overlap across skip", strings.Join(s5[0:4], " ") + " SKIP " + strings.Join(s5[4:8], " "),
			[]article.Span{{Start: len(strings.Join(s5[0:4], " ")) + 1, End: len(strings.Join(s5[0:4], " ")) + 5}}, w(20, 6, 30),
			[]string{strings.Join(s5[0:4], " "), strings.Join(s5[4:8], " ")}},
		{"long sentence cut at words", words(50), nil, w(10, 3, 15),
			[]string{words(50)[:len(words(10))], "w11 w12 w13 w14 w15 w16 w17 w18 w19 w20", "w21 w22 w23 w24 w25 w26 w27 w28 w29 w30",
				"w31 w32 w33 w34 w35 w36 w37 w38 w39 w40", "w41 w42 w43 w44 w45 w46 w47 w48 w49 w50"}},
		{"long sentence near-equal pieces", words(12), nil, w(10, 0, 11),
			[]string{"w1 w2 w3 w4 w5 w6", "w7 w8 w9 w10 w11 w12"}},
		{"sentence between size and max kept whole", words(14) + ".", nil, w(10, 3, 15), []string{words(14) + "."}},
		{"giant token cut between tokens", strings.Repeat("a,", 10) + "b", nil, Options{Unit: Tokens, Size: 5, Overlap: 1, Max: 5},
			[]string{"a,a,a", ",a,a,", "a,a,a", ",a,a,", "b"}},
		{"tail merged", strings.Join(s5[0:4], " ") + "\n\nW99 w98.", nil, w(20, 0, 40),
			[]string{strings.Join(s5[0:4], " ") + "\n\nW99 w98."}},
		{"tail not merged beyond max", strings.Join(s5[0:4], " ") + "\n\nW99 w98.", nil, w(20, 0, 20),
			[]string{strings.Join(s5[0:4], " "), "W99 w98."}},
		{"ends at earlier paragraph end", words(12) + ".\n\n" + strings.Join(s5[0:3], " "), nil, w(20, 4, 30),
			[]string{words(12) + ".", strings.Join(s5[0:3], " ")}},
		{"runs on to paragraph end", strings.Join(s5[0:5], " ") + "\n\n" + strings.Join(s5[5:9], " "), nil, w(20, 4, 30),
			[]string{strings.Join(s5[0:5], " "), strings.Join(s5[5:9], " ")}},
		{"heading starts a passage", "Alpha beta gamma delta epsilon.\nSub heading\nZeta eta theta iota kappa.", nil, w(8, 0, 9),
			[]string{"Alpha beta gamma delta epsilon.", "Sub heading\nZeta eta theta iota kappa."}},
		{"line mode", "Alpha beta\ngamma delta", nil, w(3, 0, 3), []string{"Alpha beta", "gamma delta"}},
		{"crlf", "One two.\r\n\r\nThree four.\r\n", nil, w(2, 0, 2), []string{"One two.", "Three four."}},
		{"invalid utf8", "\xff\xfe bad \xe2\x80 bytes.", nil, DefaultOptions(), []string{"\xff\xfe bad \xe2\x80 bytes."}},
		{"skip splits a rune", "caf\u00e9 ol\u00e9", []article.Span{{Start: 4, End: 5}}, DefaultOptions(), []string{"caf\xc3", "ol\u00e9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.text, tt.skip, tt.opt)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			checkChunks(t, tt.text, tt.skip, tt.opt, got)
			var texts []string
			for _, c := range got {
				texts = append(texts, tt.text[c.Start:c.End])
			}
			if !slices.Equal(texts, tt.want) {
				t.Errorf("passages\n got %q\nwant %q", texts, tt.want)
			}
		})
	}
}

func TestSplit_chunkFields(t *testing.T) {
	text := "Title line\r\n\r\nFirst sentence here. Second one follows.\r\nWrapped line.\r\n\r\nLast paragraph.\r\n"
	opt := Options{Unit: Words, Size: 6, Overlap: 3, Max: 8}
	got, err := Split(text, []article.Span{{Start: 0, End: 14}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []Chunk{
		{Index: 0, Start: 14, End: 54, LineStart: 3, LineEnd: 3, Size: 6},
		{Index: 1, Start: 35, End: 69, LineStart: 3, LineEnd: 4, Size: 5},
		{Index: 2, Start: 73, End: 88, LineStart: 6, LineEnd: 6, Size: 2},
	}
	if !slices.Equal(got, want) {
		for _, c := range got {
			t.Logf("%+v %q", c, text[c.Start:c.End])
		}
		t.Errorf("Split =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSplit_invalidOptions(t *testing.T) {
	for _, opt := range []Options{
		{Unit: Words, Size: 0, Max: 10},
		{Unit: Words, Size: 10, Overlap: -1, Max: 10},
		{Unit: Words, Size: 10, Overlap: 10, Max: 10},
		{Unit: Words, Size: 10, Max: 9},
		{Unit: "bytes", Size: 10, Max: 10},
	} {
		got, err := Split("Some text.", nil, opt)
		if err == nil || got != nil {
			t.Errorf("Split(%+v) = %v, %v; want nil and an error", opt, got, err)
		}
	}
}

func TestSplit_huge(t *testing.T) {
	// Pathological input must stay linear: a 2 MB "sentence" with no
	// punctuation, 1 MB of dots without spaces, and 1 MB of "a. " sentences.
	for name, text := range map[string]string{
		"no punctuation": strings.Repeat("word ", 400_000),
		"dots":           strings.Repeat("a.", 500_000),
		"tiny sentences": strings.Repeat("A. ", 350_000),
		"one token":      strings.Repeat("x", 1_000_000),
		"punctuation":    strings.Repeat(",", 1_000_000),
	} {
		t.Run(name, func(t *testing.T) {
			for _, opt := range []Options{DefaultOptions(), {Unit: Tokens, Size: 150, Overlap: 40, Max: 200}} {
				got, err := Split(text, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					t.Fatal("no passages")
				}
				for _, c := range got {
					if c.Size > opt.Max || c.Start >= c.End {
						t.Fatalf("bad passage %+v", c)
					}
				}
			}
		})
	}
}
