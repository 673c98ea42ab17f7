package chunk

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// newsText returns a seeded news-like article of about n words: a headline,
// then paragraphs of one to five sentences of 5 to 40 words separated by
// blank lines, with the abbreviations, numbers and quotes news is full of.
func newsText(r *rand.Rand, n int) string {
	vocab := strings.Fields(`the a of to in and said that for on was with is by at as from
		officials government minister president company market shares profits year people
		Trump Lavrov Comey Washington Moscow BBC FBI Mr. Dr. U.S. Inc. a.m. p.m. EDT
		3.5 $1.2bn 27% 10:30 2005 "no" (left) e.g. Jan. No. 5 really well`)
	var b strings.Builder
	b.WriteString("Ad sales boost Time Warner profit\n\n")
	words := 0
	for words < n {
		for range 1 + r.IntN(5) {
			k := 5 + r.IntN(36)
			for i := range k {
				w := vocab[r.IntN(len(vocab))]
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
				if i < k-1 {
					b.WriteByte(' ')
				}
			}
			words += k
			switch r.IntN(10) {
			case 0:
				b.WriteString("? ")
			case 1:
				b.WriteString(".\" ")
			default:
				b.WriteString(". ")
			}
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

func BenchmarkSplit_News(b *testing.B) {
	for _, tc := range []struct {
		name  string
		words int
		opt   Options
	}{
		{"words=500/unit=words", 500, DefaultOptions()},
		{"words=500/unit=tokens", 500, Options{Unit: Tokens, Size: 150, Overlap: 40, Max: 200}},
		{"words=20000/unit=words", 20000, DefaultOptions()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			text := newsText(rand.New(rand.NewPCG(42, 42)), tc.words)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Split(text, nil, tc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSentences_News(b *testing.B) {
	text := newsText(rand.New(rand.NewPCG(42, 42)), 500)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Sentences(text)
	}
}
