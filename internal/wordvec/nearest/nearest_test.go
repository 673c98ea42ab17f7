package nearest_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/wordvec"
	"github.com/semsearch/semsearch/internal/wordvec/nearest"
)

// neighbourVectors is a small table whose geometry is known: "sacked" and
// "dismissed" are close to "fired" (cosines 0.98 and 0.8), "the" is
// orthogonal to it, "sacking" points exactly where "sacked" does but is
// rarer, "zero" has no direction and "rare", the least frequent word, is
// nearly "fired".
func neighbourVectors() *wordvec.Vectors {
	s := float32(math.Sqrt(1 - 0.98*0.98))
	return &wordvec.Vectors{
		Dim:   2,
		Words: []string{"the", "fired", "sacked", "dismissed", "zero", "sacking", "rare"},
		Data: []float32{
			0, 3, // the
			2, 0, // fired
			2 * 0.98, 2 * s, // sacked
			4, 3, // dismissed
			0, 0, // zero
			0.98, s, // sacking
			1, 0.01, // rare
		},
	}
}

func TestIndex_Nearest(t *testing.T) {
	v := neighbourVectors()
	all, err := nearest.New(v, nearest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	words := func(ns []nearest.Neighbour) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Word)
		}
		return out
	}
	limited, err := nearest.New(v, nearest.Options{Candidates: 5, Keep: func(w string) bool { return w != "the" }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		n      *nearest.Index
		word   string
		k      int
		minSim float64
		want   []string
	}{
		{"most similar first, ties by frequency", all, "fired", 4, 0, []string{"rare", "sacked", "sacking", "dismissed"}},
		{"k cuts", all, "fired", 2, 0, []string{"rare", "sacked"}},
		{"min similarity", all, "fired", 10, 0.9, []string{"rare", "sacked", "sacking"}},
		{"orthogonal words pass a zero floor", all, "fired", 10, 0, []string{"rare", "sacked", "sacking", "dismissed", "the"}},
		{"unknown word", all, "hired", 3, 0, nil},
		{"zero vector has no neighbours", all, "zero", 3, -1, nil},
		{"k zero", all, "fired", 0, 0, nil},
		// "rare" and "sacking" are beyond the 5 most frequent words; "the"
		// is not kept. The rare word can still be asked about.
		{"candidates and keep", limited, "fired", 10, -1, []string{"sacked", "dismissed"}},
		{"a rare word has frequent neighbours", limited, "rare", 1, 0, []string{"fired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := words(tt.n.Nearest(tt.word, tt.k, tt.minSim)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Nearest(%q, %d, %g) = %q, want %q", tt.word, tt.k, tt.minSim, got, tt.want)
			}
		})
	}
	got := all.Nearest("fired", 2, 0)
	if math.Abs(got[1].Similarity-0.98) > 1e-6 {
		t.Errorf("similarity of sacked = %g, want 0.98", got[1].Similarity)
	}
	if !all.Known("the") || all.Known("zero") || all.Known("hired") {
		t.Error("Known: want the known, zero and hired unknown")
	}
}

func TestNew_errors(t *testing.T) {
	if _, err := nearest.New(neighbourVectors(), nearest.Options{Candidates: -1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative candidates: err %v", err)
	}
	if _, err := nearest.New(&wordvec.Vectors{Dim: 3, Words: []string{"a"}, Data: []float32{1}}, nearest.Options{}); err == nil {
		t.Error("ragged data: no error")
	}
}

// TestIndex_bruteForce checks the scan against sorting every
// similarity, on random vectors.
func TestIndex_bruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const words, dim = 500, 8
	v := &wordvec.Vectors{Dim: dim}
	for i := range words {
		v.Words = append(v.Words, "w"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
		for range dim {
			v.Data = append(v.Data, float32(r.NormFloat64()))
		}
	}
	n, err := nearest.New(v, nearest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	unit := func(i int) []float64 {
		row := v.Row(i)
		var s float64
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		out := make([]float64, dim)
		for j, x := range row {
			out[j] = float64(x) / math.Sqrt(s)
		}
		return out
	}
	for _, q := range []int{0, 17, 499} {
		uq := unit(q)
		type scored struct {
			word string
			sim  float64
		}
		var all []scored
		for i := range words {
			if i == q {
				continue
			}
			var s float64
			for j, x := range unit(i) {
				s += x * uq[j]
			}
			all = append(all, scored{v.Words[i], s})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].sim > all[j].sim })
		got := n.Nearest(v.Words[q], 10, -1)
		if len(got) != 10 {
			t.Fatalf("Nearest(%s): %d words, want 10", v.Words[q], len(got))
		}
		for j, g := range got {
			if g.Word != all[j].word || math.Abs(g.Similarity-all[j].sim) > 1e-5 {
				t.Errorf("Nearest(%s)[%d] = %+v, want %s %g (brute force)", v.Words[q], j, g, all[j].word, all[j].sim)
			}
		}
	}
}

func BenchmarkIndex_Nearest100k(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const words, dim = 100_000, 100
	v := &wordvec.Vectors{Dim: dim, Words: make([]string, words), Data: make([]float32, words*dim)}
	for i := range v.Words {
		v.Words[i] = "w" + strings.Repeat("a", i%5) + string(rune(i))
	}
	for i := range v.Data {
		v.Data[i] = float32(r.NormFloat64())
	}
	n, err := nearest.New(v, nearest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n.Nearest(v.Words[42], 10, 0.3)
	}
}

func TestIndex_Similarity(t *testing.T) {
	// Candidates limits what Nearest returns, not what Similarity knows.
	idx, err := nearest.New(neighbourVectors(), nearest.Options{Candidates: 1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		a, b string
		want float64
		ok   bool
	}{
		{"fired", "sacked", 0.98, true},
		{"sacked", "fired", 0.98, true},
		{"fired", "dismissed", 0.8, true},
		{"fired", "the", 0, true},
		{"fired", "zero", 0, false}, // no direction
		{"fired", "unknown", 0, false},
	}
	for _, tt := range tests {
		got, ok := idx.Similarity(tt.a, tt.b)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("Similarity(%q, %q) = %g, %v; want %g, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}
