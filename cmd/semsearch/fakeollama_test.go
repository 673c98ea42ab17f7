package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeOllama is an httptest Ollama serving /api/embed, /api/show, /api/tags
// and /api/version for one model, with deterministic 8-dimensional vectors.
// It counts /api/embed requests; fail, when set, makes them fail with 500.
type fakeOllama struct {
	*httptest.Server
	model  string
	embeds atomic.Int64
	fail   atomic.Bool
	// onEmbed, when set, is called with the number of each /api/embed
	// request (1-based) before it is answered.
	onEmbed atomic.Pointer[func(n int64)]
	// onInputs, when set, is called with each /api/embed request's inputs
	// before onEmbed.
	onInputs atomic.Pointer[func(inputs []string)]
}

func newFakeOllama(t *testing.T, model string) *fakeOllama {
	t.Helper()
	f := &fakeOllama{model: model}
	if !strings.Contains(f.model, ":") {
		f.model += ":latest"
	}
	has := func(m string) bool {
		if !strings.Contains(m, ":") {
			m += ":latest"
		}
		return m == f.model
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fakeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if len(req.Input) == 0 && has(req.Model) {
			// The client's request to load the model: not counted.
			fakeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": [][]float32{}})
			return
		}
		n := f.embeds.Add(1)
		if h := f.onInputs.Load(); h != nil {
			(*h)(req.Input)
		}
		if h := f.onEmbed.Load(); h != nil {
			(*h)(n)
		}
		if f.fail.Load() {
			fakeJSON(w, http.StatusInternalServerError, map[string]string{"error": "fake: failing on purpose"})
			return
		}
		if !has(req.Model) {
			fakeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
			return
		}
		vecs := make([][]float32, len(req.Input))
		for i, in := range req.Input {
			vecs[i] = fakeVector(in)
		}
		fakeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": vecs})
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		if !has(req.Model) {
			fakeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", req.Model)})
			return
		}
		fakeJSON(w, http.StatusOK, map[string]any{"details": map[string]string{"format": "gguf", "family": "bert"}, "capabilities": []string{"embedding"}})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, _ *http.Request) {
		fakeJSON(w, http.StatusOK, map[string]any{"models": []map[string]string{{"name": f.model, "model": f.model, "digest": "fakedigest"}}})
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		fakeJSON(w, http.StatusOK, map[string]string{"version": "0.6.5"})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// flags returns the global flags that point the CLI at the fake and data.
func (f *fakeOllama) flags(data string) []string {
	return []string{"--ollama", f.URL, "--model", strings.TrimSuffix(f.model, ":latest"), "--data", data}
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeVector is a deterministic vector seeded by an FNV hash of the words of
// text, so texts sharing words point in similar directions.
func fakeVector(text string) []float32 {
	v := make([]float32, 8)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New64a()
		h.Write([]byte(w))
		seed := h.Sum64()
		for i := range v {
			seed = seed*6364136223846793005 + 1442695040888963407
			v[i] += float32(seed>>40)/float32(1<<24) - 0.5
		}
	}
	return v
}
