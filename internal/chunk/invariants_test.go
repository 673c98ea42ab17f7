package chunk

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/article"
)

// sharedData returns where the project's shared data lives, relative to
// this package's directory: /work/main/internal/chunk -> /work/shared/data.
func sharedData() string { return filepath.Join("..", "..", "..", "shared", "data") }

// checkChunks checks every property [Split] promises for got, the result of
// Split(text, skip, opt), using independent code where it can.
func checkChunks(t testing.TB, text string, skip []article.Span, opt Options, got []Chunk) {
	t.Helper()
	masked := make([]bool, len(text))
	for _, sp := range skip {
		for i := max(sp.Start, 0); i < min(sp.End, len(text)); i++ {
			masked[i] = true
		}
	}
	covered := make([]bool, len(text))
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if errs++; errs <= 5 {
			t.Errorf(format, args...)
		}
	}
	for k, c := range got {
		if c.Index != k {
			fail("passage %d: Index = %d", k, c.Index)
		}
		if c.Start < 0 || c.End > len(text) || c.Start >= c.End {
			fail("passage %d: span [%d,%d) out of range or empty (len %d)", k, c.Start, c.End, len(text))
			return
		}
		if k > 0 {
			prev := got[k-1]
			if c.Start <= prev.Start || c.End <= prev.End {
				fail("passage %d [%d,%d) does not follow [%d,%d)", k, c.Start, c.End, prev.Start, prev.End)
			}
			if c.Start < prev.End {
				if ov := measure(text[c.Start:prev.End], opt.Unit); ov > opt.Overlap {
					fail("passages %d and %d overlap by %d > %d: %q", k-1, k, ov, opt.Overlap, text[c.Start:prev.End])
				}
			}
		}
		seg := text[c.Start:c.End]
		if r, _ := utf8.DecodeRuneInString(seg); isSpace(r) {
			fail("passage %d starts with space: %q", k, seg)
		}
		if r, _ := utf8.DecodeLastRuneInString(seg); isSpace(r) {
			fail("passage %d ends with space: %q", k, seg)
		}
		for i := c.Start; i < c.End; i++ {
			if masked[i] {
				fail("passage %d [%d,%d) contains skipped byte %d", k, c.Start, c.End, i)
				break
			}
			covered[i] = true
		}
		if want := 1 + strings.Count(text[:c.Start], "\n"); c.LineStart != want {
			fail("passage %d: LineStart = %d, want %d", k, c.LineStart, want)
		}
		if want := 1 + strings.Count(text[:c.End-1], "\n"); c.LineEnd != want {
			fail("passage %d: LineEnd = %d, want %d", k, c.LineEnd, want)
		}
		if want := measure(seg, opt.Unit); c.Size != want {
			fail("passage %d: Size = %d, want %d", k, c.Size, want)
		}
		if c.Size > opt.Max {
			fail("passage %d: Size %d > Max %d", k, c.Size, opt.Max)
		}
	}
	// No text lost: decode each run of unskipped bytes forward and check that
	// every non-space rune is in a passage.
	for i := 0; i < len(text); {
		if masked[i] {
			i++
			continue
		}
		j := i
		for j < len(text) && !masked[j] {
			j++
		}
		for off := i; off < j; {
			r, w := utf8.DecodeRuneInString(text[off:j])
			if !isSpace(r) && !covered[off] {
				fail("byte %d (%q) is in no passage", off, text[off:off+w])
			}
			off += w
		}
		i = j
	}
}

// corpusOptions are the options the corpus and random tests run with.
func corpusOptions() []Options {
	return []Options{
		DefaultOptions(),
		{Unit: Tokens, Size: 150, Overlap: 40, Max: 200},
		{Unit: Words, Size: 20, Overlap: 8, Max: 30},
		{Unit: Tokens, Size: 3, Overlap: 2, Max: 3},
	}
}

func TestSplit_corpus(t *testing.T) {
	data := sharedData()
	if _, err := os.Stat(data); err != nil {
		t.Skipf("shared data not found at %s (resolved from the package directory): %v", data, err)
	}
	files, err := filepath.Glob(filepath.Join(data, "sample", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	bbc, err := filepath.Glob(filepath.Join(data, "bbc", "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(bbc); i += 7 { // about 320 of 2,225, across all topics
		files = append(files, bbc[i])
	}
	if len(files) < 100 {
		t.Fatalf("found only %d articles under %s", len(files), data)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		// Skip the title line, as the loaders do for a header, and one
		// random span.
		title := strings.IndexByte(text, '\n')
		if title < 0 {
			title = len(text)
		}
		a := r.IntN(len(text) + 1)
		skips := [][]article.Span{nil, {{Start: 0, End: title}, {Start: a, End: a + r.IntN(200)}}}
		for _, skip := range skips {
			for _, opt := range corpusOptions() {
				got, err := Split(text, skip, opt)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if len(got) == 0 {
					t.Errorf("%s: no passages", f)
				}
				checkChunks(t, text, skip, opt, got)
				if t.Failed() {
					t.Fatalf("%s with skip %v and %+v failed", f, skip, opt)
				}
			}
		}
	}
}

func TestSplit_random(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 600
	if testing.Short() {
		n = 100
	}
	for i := range n {
		text := randomText(r, r.IntN(3000))
		skip := randomSkip(r, len(text))
		opt := randomOptions(r)
		got, err := Split(text, skip, opt)
		if err != nil {
			t.Fatalf("case %d: Split(%+v): %v", i, opt, err)
		}
		checkChunks(t, text, skip, opt, got)
		if t.Failed() {
			t.Fatalf("case %d failed: opt %+v skip %v text %q", i, opt, skip, text)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Mr. Smith went to Washington. He arrived at 10 a.m. EDT and left.", 0, 0, 0, 0, uint8(5), uint8(2), uint8(8), false)
	f.Add("Title\n\nPara one. Still one.\n\nPara two \xff\xfe.\r\nLine.", 0, 6, 30, 20, uint8(3), uint8(1), uint8(4), true)
	f.Add(strings.Repeat("a,", 50), -3, 5, 7, 200, uint8(4), uint8(0), uint8(4), true)
	f.Add("He said \"no.\" Then... what? J.R.R. Tolkien. U.S. officials said. Then", 10, 20, 15, 25, uint8(4), uint8(3), uint8(9), false)
	f.Add("Intro:\n - one\n - two.\n\n1. three \" '", 2, 9, 0, 0, uint8(2), uint8(1), uint8(3), false)
	f.Add("", 0, 0, 0, 0, uint8(1), uint8(0), uint8(1), false)
	f.Add("x y", 0, 0, 0, 0, uint8(0), uint8(0), uint8(0), false)
	f.Add("T\n\n| a | b |\n|---|---|\n| 1 2 3 | 4 |\n| 5 | 6 7 8 9 |\n| x | y |\n\nEnd.", 0, 0, 0, 0, uint8(3), uint8(1), uint8(4), false)
	f.Add("a | b\n\nc | d e f g h i | j\n\nk | l\n\nText.", 0, 0, 0, 0, uint8(2), uint8(0), uint8(3), true)
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int, size, overlap, maxSize uint8, tokens bool) {
		opt := Options{Unit: Words, Size: int(size), Overlap: int(overlap), Max: int(maxSize)}
		if tokens {
			opt.Unit = Tokens
		}
		skip := []article.Span{{Start: s1, End: e1}, {Start: s2, End: e2}}
		got, err := Split(text, skip, opt)
		if err != nil {
			if opt.Validate() == nil {
				t.Fatalf("Split(%+v) = %v for valid options", opt, err)
			}
			return
		}
		if opt.Validate() != nil {
			t.Fatalf("Split(%+v) accepted invalid options", opt)
		}
		checkChunks(t, text, skip, opt, got)
		for _, c := range got {
			if c.HeaderEnd != 0 && !(c.HeaderStart < c.HeaderEnd && c.HeaderEnd <= c.Start) {
				t.Fatalf("chunk %d: header %d-%d is not before its span %d-%d", c.Index, c.HeaderStart, c.HeaderEnd, c.Start, c.End)
			}
			if h := TableHeader(text, skip, c.Start); h.Start != c.HeaderStart || h.End != c.HeaderEnd {
				t.Fatalf("chunk %d: TableHeader %v, Split gave %d-%d", c.Index, h, c.HeaderStart, c.HeaderEnd)
			}
		}
		spans := Sentences(text)
		for i, s := range spans {
			if s.Start >= s.End || s.Start < 0 || s.End > len(text) || i > 0 && s.Start < spans[i-1].End {
				t.Fatalf("bad sentence span %d: %+v", i, s)
			}
		}
	})
}

// randomOptions returns random valid options, from the smallest to about
// the defaults.
func randomOptions(r *rand.Rand) Options {
	opt := Options{Unit: Words, Size: 1 + r.IntN(60)}
	if r.IntN(2) == 0 {
		opt.Unit = Tokens
	}
	opt.Overlap = r.IntN(opt.Size)
	opt.Max = opt.Size + r.IntN(opt.Size+5)
	return opt
}

// randomSkip returns up to four random skip spans, some of them out of
// range, inverted, empty or overlapping.
func randomSkip(r *rand.Rand, n int) []article.Span {
	var out []article.Span
	for range r.IntN(5) {
		a := r.IntN(n+21) - 10
		b := a + r.IntN(n/4+10) - 3
		out = append(out, article.Span{Start: a, End: b})
	}
	return out
}

// randomText returns about n bytes of text made of news-like words and
// everything that makes segmentation hard: abbreviations, numbers, quotes,
// ellipses, all kinds of white space and line endings, CJK, emoji, invalid
// UTF-8, overlong words and punctuation runs.
func randomText(r *rand.Rand, n int) string {
	pieces := []string{
		"the", "said", "officials", "Trump", "Lavrov", "on", "Wednesday", "it", "was",
		"Mr.", "Dr.", "U.S.", "a.m.", "p.m.", "EDT", "e.g.", "i.e.", "vs.", "No.", "5", "Jan.",
		"Inc.", "J.R.R.", "B.", "3.5", "$1.2bn", "10:30", "www.example.com", "a@b.org",
		".", ".", ".", "?", "!", "...", "…", ". . .", ",", ";", ":", "\"", "“", "”", "'", "(", ")",
		"The", "He", "Then", "But", "iPhone",
		"\n", "\n", "\n\n", "\r\n", "\r\n\r\n", "\t", "\u00a0", "\u2028", "\ufeff", "  ",
		"日本語", "😀", "é", "e\u0301",
	}
	var b strings.Builder
	for b.Len() < n {
		switch k := r.IntN(100); {
		case k < 3: // invalid bytes
			b.WriteByte(byte(0x80 + r.IntN(128)))
		case k < 4: // a truncated multi-byte sequence
			b.WriteString("\xe2\x80")
		case k < 5:
			b.WriteString(strings.Repeat("x", r.IntN(400)))
		case k < 6:
			b.WriteString(strings.Repeat("a,", r.IntN(200)))
		case k < 7:
			b.WriteString(strings.Repeat(" ", r.IntN(50)))
		default:
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if r.IntN(6) != 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}
