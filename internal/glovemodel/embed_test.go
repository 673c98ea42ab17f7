package glovemodel_test

import (
	"math"
	"testing"

	"github.com/semsearch/semsearch/internal/glovemodel"
)

var embedTexts = []string{
	"The FBI director fired the president!",
	"bureau dismissed director",
	"Café, NAÏVE apple. 2014 $ €",
	"unknown words only",
}

func dot32(a []float32, b []float64) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * b[i]
	}
	return s
}

func TestModel_Embed(t *testing.T) {
	v := tiny(t)
	plain, err := glovemodel.Build(v, glovemodel.Options{ZeroPunct: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range embedTexts {
		got, want := plain.Embed(text), expected(plain, text)
		if c := cosine(got, want); c < 0.999999 {
			t.Errorf("%q: Embed and the mean of LayerNorm-ed rows differ (cosine %.7f)", text, c)
		}
	}
	if got := plain.Embed("unknown words only"); dot32(got, make([]float64, len(got))) != 0 || got[0] != 0 {
		t.Errorf("no known word: got %v, want zeros", got)
	}
}

// TestModel_EmbedFoldsTheNetwork holds Embed, which folds the network into
// per-token constants, to the network computed step by step, for every
// kind of model (plain, SIF-weighted and so linear, with a common direction
// removed), including texts of unknown words only and control tokens.
func TestModel_EmbedFoldsTheNetwork(t *testing.T) {
	v := tiny(t)
	texts := append(append([]string{}, embedTexts...), "", "[SEP] the fbi [UNK] fired", "the the the the")
	for _, opt := range []glovemodel.Options{
		{ZeroPunct: true},
		{SIF: 0.1},
		{ZeroPunct: true, RemoveCommon: true},
		{ZeroPunct: true, SIF: 1e-4, RemoveCommon: true},
	} {
		m, err := glovemodel.Build(v, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			got, net := m.Embed(text), glovemodel.NetworkEmbed(m, text)
			want := make([]float64, len(net))
			for i, x := range net {
				want[i] = float64(x)
			}
			if c := cosine(got, want); c < 0.999999 {
				t.Errorf("%+v, %q: cosine %.7f to the network's embedding", opt, text, c)
			}
		}
	}
}

// TestBuild_sif checks that SIF weights survive: a linear model's embedding
// is the plain weighted sum of its (standardised, weighted) rows, and each
// row's length is its weight a/(a+p) times sqrt(d).
func TestBuild_sif(t *testing.T) {
	v := tiny(t)
	const a = 0.1
	m, err := glovemodel.Build(v, glovemodel.Options{SIF: a})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Linear || m.Common != nil {
		t.Fatalf("Linear %v, Common %v; want a linear model without common direction", m.Linear, m.Common)
	}
	var h float64
	for i := 1; i <= v.Len(); i++ {
		h += 1 / float64(i)
	}
	for _, tt := range tinyTokens {
		id := slicesIndex(m.Tokens, tt.text)
		row := m.Embeddings[id*m.Dim : (id+1)*m.Dim]
		var n, mean float64
		for _, x := range row {
			n += float64(x) * float64(x)
			mean += float64(x)
		}
		want := a / (a + 1/(float64(tt.row+1)*h)) * math.Sqrt(float64(m.Dim))
		if math.Abs(math.Sqrt(n)-want) > 1e-5 || math.Abs(mean) > 1e-5 {
			t.Errorf("%s: row length %.6f, mean %.6f; want length %.6f, mean 0", tt.text, math.Sqrt(n), mean, want)
		}
	}
	// Frequent words weigh less: "the" (rank 1) less than "president".
	the, pres := slicesIndex(m.Tokens, "▁the"), slicesIndex(m.Tokens, "▁president")
	if norm(m.Embeddings[the*m.Dim:(the+1)*m.Dim]) >= norm(m.Embeddings[pres*m.Dim:(pres+1)*m.Dim]) {
		t.Error("the most frequent word does not weigh less than a rarer one")
	}
	for _, text := range embedTexts[:3] {
		sum := make([]float64, m.Dim)
		for _, id := range m.Tokenize(text) {
			for i, x := range m.Embeddings[id*m.Dim : (id+1)*m.Dim] {
				sum[i] += float64(x)
			}
		}
		if c := cosine(m.Embed(text), unit(sum)); c < 0.999999 {
			t.Errorf("%q: embedding is not the weighted sum of its rows (cosine %.7f)", text, c)
		}
	}
	f := writeAndParse(t, m)
	if eps, _ := f.Get("bert.attention.layer_norm_epsilon"); eps != float32(glovemodel.LinearEps) {
		t.Errorf("layer_norm_epsilon = %v, want %v", eps, glovemodel.LinearEps)
	}
	for _, name := range []string{"token_embd_norm.weight", "blk.0.attn_output_norm.weight", "blk.0.layer_output_norm.weight"} {
		if xs, err := f.Float32s(name); err != nil || !allEqual(xs, 100) {
			t.Errorf("%s is not all 100 (sqrt of the epsilon)", name)
		}
	}
}

// TestBuild_removeCommon checks the common direction: a centred unit
// vector, orthogonal to every embedding, and attention weights whose
// product is -u·uᵀ.
func TestBuild_removeCommon(t *testing.T) {
	v := tiny(t)
	m, err := glovemodel.Build(v, glovemodel.Options{ZeroPunct: true, RemoveCommon: true})
	if err != nil {
		t.Fatal(err)
	}
	u := make([]float64, len(m.Common))
	var n, mean float64
	for i, x := range m.Common {
		u[i] = float64(x)
		n += u[i] * u[i]
		mean += u[i]
	}
	if len(u) != m.Dim || math.Abs(n-1) > 1e-5 || math.Abs(mean) > 1e-5 {
		t.Fatalf("common direction %v: want a centred unit vector of %d values", m.Common, m.Dim)
	}
	// (LayerNorm is linear only up to var/eps, about 1e-4 relative: a text
	// whose mean lies almost along u, as a few 4-d words can, keeps a
	// visible remainder, hence ordinary sentences here.)
	for _, text := range embedTexts[:2] {
		e := m.Embed(text)
		if d := dot32(e, u); math.Abs(d) > 1e-3 {
			t.Errorf("%q: embedding has %.6f along the common direction, want 0", text, d)
		}
		// Without the removal the text does lean on u, or the test proves nothing.
		plain := expected(m, text)
		var along float64
		for i := range plain {
			along += plain[i] * u[i]
		}
		if math.Abs(along) < 1e-3 {
			t.Errorf("%q: the plain mean has only %.6f along u; pick a better test text", text, along)
		}
	}
	f := writeAndParse(t, m)
	vw, err := f.Float32s("blk.0.attn_v.weight")
	if err != nil {
		t.Fatal(err)
	}
	ow, err := f.Float32s("blk.0.attn_output.weight")
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim
	for i := range d {
		for j := range d {
			// (O·V)[i][j] = sum_k O[i][k] V[k][j]
			var p float64
			for k := range d {
				p += float64(ow[i*d+k]) * float64(vw[k*d+j])
			}
			if want := -u[i] * u[j]; math.Abs(p-want) > 1e-6 {
				t.Fatalf("(O·V)[%d][%d] = %.6f, want %.6f", i, j, p, want)
			}
		}
	}
}

func slicesIndex(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

func norm(x []float32) float64 {
	var n float64
	for _, v := range x {
		n += float64(v) * float64(v)
	}
	return math.Sqrt(n)
}
