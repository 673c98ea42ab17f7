package embed_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// wireRequest is an embedding request as a fake server sees it, on either
// API: /api/embed (Ollama) or /v1/embeddings (OpenAI-compatible).
type wireRequest struct {
	Path           string
	Auth           string
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     *int     `json:"dimensions"`
	EncodingFormat string   `json:"encoding_format"`
}

// fakeEmbedServer answers Ollama's /api/embed and the OpenAI-compatible
// /v1/embeddings with fakeVector's vectors of length dim. With honour set
// it cuts them to a requested "dimensions" (as Ollama >= 0.11.11 and
// OpenAI-compatible servers do); otherwise it ignores the field (as older
// Ollama does). With key set, /v1 requests need "Authorization: Bearer key".
type fakeEmbedServer struct {
	*httptest.Server
	dim    int
	honour bool
	key    string

	mu       sync.Mutex
	requests []wireRequest
}

func newFakeEmbedServer(t *testing.T, dim int, honour bool, key string) *fakeEmbedServer {
	t.Helper()
	f := &fakeEmbedServer{dim: dim, honour: honour, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		req, ok := f.read(w, r)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": f.vectors(req)})
	})
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		req, ok := f.read(w, r)
		if !ok {
			return
		}
		if f.key != "" && req.Auth != "Bearer "+f.key {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"message": "Incorrect API key provided", "type": "invalid_request_error"}})
			return
		}
		if req.Model != "fake-model" {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"message": "The model `" + req.Model + "` does not exist", "code": "model_not_found"}})
			return
		}
		vecs := f.vectors(req)
		// Answer in reverse order: clients must place vectors by index.
		data := make([]map[string]any, len(vecs))
		for i, v := range vecs {
			data[len(vecs)-1-i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "model": req.Model, "data": data,
			"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeEmbedServer) read(w http.ResponseWriter, r *http.Request) (wireRequest, bool) {
	var req wireRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return req, false
	}
	req.Path, req.Auth = r.URL.Path, r.Header.Get("Authorization")
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	return req, true
}

// vectors returns the unnormalised vectors for req, cut when asked and
// honoured.
func (f *fakeEmbedServer) vectors(req wireRequest) [][]float32 {
	out := make([][]float32, len(req.Input))
	for i, in := range req.Input {
		v := fakeVector(in, f.dim)
		if f.honour && req.Dimensions != nil && *req.Dimensions < len(v) {
			v = v[:*req.Dimensions]
		}
		out[i] = v
	}
	return out
}

func (f *fakeEmbedServer) received() []wireRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wireRequest(nil), f.requests...)
}
