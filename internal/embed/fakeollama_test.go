package embed_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// embedRequest is /api/embed's body as the fake sees it; raw fields show
// exactly what was sent.
type embedRequest struct {
	Model     string          `json:"model"`
	Input     []string        `json:"input"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Truncate  *bool           `json:"truncate"`
}

// fakeOllama is an httptest Ollama serving /api/embed, /api/show,
// /api/tags and /api/version for the models it has.
type fakeOllama struct {
	*httptest.Server
	dim    int
	models map[string][]string // model name (with tag) -> capabilities

	mu sync.Mutex
	// hook, if set, handles /api/embed request n (0-based) and reports
	// whether it wrote a response; otherwise the fake answers normally.
	hook     func(n int, req embedRequest, w http.ResponseWriter) bool
	requests []embedRequest
	shows    int
}

func newFakeOllama(t *testing.T, dim int, models ...string) *fakeOllama {
	t.Helper()
	f := &fakeOllama{dim: dim, models: map[string][]string{}}
	for _, m := range models {
		if !strings.Contains(m, ":") {
			m += ":latest"
		}
		f.models[m] = []string{"embedding"}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", f.embed)
	mux.HandleFunc("POST /api/show", f.show)
	mux.HandleFunc("GET /api/tags", f.tags)
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": "0.6.5"})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOllama) has(model string) bool {
	if !strings.Contains(model, ":") {
		model += ":latest"
	}
	_, ok := f.models[model]
	return ok
}

func (f *fakeOllama) embed(w http.ResponseWriter, r *http.Request) {
	var req embedRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	hook := f.hook
	f.mu.Unlock()

	if hook != nil && hook(n, req, w) {
		return
	}
	if !f.has(req.Model) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
		return
	}
	vecs := make([][]float32, len(req.Input))
	for i, in := range req.Input {
		if in == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fake: empty input sent"})
			return
		}
		vecs[i] = fakeVector(in, f.dim)
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": vecs})
}

func (f *fakeOllama) show(w http.ResponseWriter, r *http.Request) {
	var req struct{ Model string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.shows++
	f.mu.Unlock()
	if !f.has(req.Model) {
		// v0.6.5's wording
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", req.Model)})
		return
	}
	m := req.Model
	if !strings.Contains(m, ":") {
		m += ":latest"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"details":      map[string]string{"format": "gguf", "family": "bert"},
		"capabilities": f.models[m],
	})
}

func (f *fakeOllama) tags(w http.ResponseWriter, _ *http.Request) {
	var models []map[string]string
	for m := range f.models {
		models = append(models, map[string]string{"name": m, "model": m})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// setHook sets the /api/embed hook; safe while requests are in flight.
func (f *fakeOllama) setHook(h func(n int, req embedRequest, w http.ResponseWriter) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// embedRequests returns a copy of the /api/embed requests received.
func (f *fakeOllama) embedRequests() []embedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]embedRequest(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeVector is a deterministic, deliberately unnormalised vector for text:
// components seeded by an FNV hash of text, scaled by 3.
func fakeVector(text string, dim int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	seed := h.Sum64()
	v := make([]float32, dim)
	for i := range v {
		seed = seed*6364136223846793005 + 1442695040888963407
		v[i] = 3 * (float32(seed>>40)/float32(1<<24) - 0.5)
	}
	return v
}

// unit returns v scaled to unit length, in float64 like the client.
func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(s))
	}
	return out
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
