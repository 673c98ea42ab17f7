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
	"time"
	"unicode/utf8"
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

	// loadTime, when set, is how long loading the model takes. Like
	// Ollama, the fake loads on the first request that needs the model
	// (an empty input included) and abandons the load when that request's
	// client hangs up, so the next request starts it again. loads counts
	// the loads started.
	loadTime time.Duration
	loaded   bool
	loads    int
	// ctxLen, when set, makes the fake refuse an input of more than ctxLen
	// fakeTokens with 400 "the input length exceeds the context length",
	// whatever truncate says, as Ollama v0.13.5 to v0.15 do (ollama#14186).
	ctxLen int
	// showCtx and numCtx, when set, are what /api/show reports as the
	// model's context_length (model_info) and num_ctx (parameters).
	showCtx, numCtx int
	// hang, when it returns true for a request's number, makes the fake
	// answer that /api/embed request never: it waits until the client
	// gives up, so a test of a timeout needs no race between two sleeps.
	hang func(n int, req embedRequest) bool
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
	if !f.has(req.Model) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
		return
	}
	if !f.load(r) {
		return // the client hung up: the load is abandoned
	}
	if len(req.Input) == 0 {
		// Ollama answers a load request with no embeddings; it is not
		// recorded, so that tests see only the requests that embed.
		writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": [][]float32{}})
		return
	}
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	hook, ctxLen, hang := f.hook, f.ctxLen, f.hang
	f.mu.Unlock()

	if hang != nil && hang(n, req) {
		<-r.Context().Done() // the client hung up
		return
	}
	if hook != nil && hook(n, req, w) {
		return
	}
	for _, in := range req.Input {
		if ctxLen > 0 && fakeTokens(in) > ctxLen {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the input length exceeds the context length"})
			return
		}
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

// load waits until the model is loaded, starting a load if none has
// finished; it reports false when r's client hung up first.
func (f *fakeOllama) load(r *http.Request) bool {
	f.mu.Lock()
	if f.loaded || f.loadTime == 0 {
		f.mu.Unlock()
		return true
	}
	f.loads++
	d := f.loadTime
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		f.mu.Lock()
		f.loaded = true
		f.mu.Unlock()
		return true
	case <-r.Context().Done():
		return false
	}
}

// fakeTokens is the fake's tokenizer: one token per word, plus one per
// rune beyond the first of a word outside ASCII (so CJK without spaces
// costs one token a character).
func fakeTokens(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n++
		if !isASCII(w) {
			n += utf8.RuneCountInString(w) - 1
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
	resp := map[string]any{
		"details":      map[string]string{"format": "gguf", "family": "bert"},
		"capabilities": f.models[m],
	}
	if f.showCtx > 0 {
		resp["model_info"] = map[string]any{"general.architecture": "bert", "bert.context_length": f.showCtx}
	}
	if f.numCtx > 0 {
		resp["parameters"] = fmt.Sprintf("num_ctx                        %d\nstop                           \"<eos>\"", f.numCtx)
	}
	writeJSON(w, http.StatusOK, resp)
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

// setHang sets which /api/embed requests are never answered; safe while
// requests are in flight.
func (f *fakeOllama) setHang(h func(n int, req embedRequest) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = h
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
