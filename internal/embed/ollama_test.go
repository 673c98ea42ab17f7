package embed_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
)

var _ engine.Embedder = (*embed.Client)(nil)

const testModel = "nomic-embed-text"

// newClient returns a client for f's server with fast retries; mutate
// adjusts the config first.
func newClient(t *testing.T, f *fakeOllama, mutate func(*embed.Config)) *embed.Client {
	t.Helper()
	cfg := embed.Config{Host: f.URL, Model: testModel, RequestTimeout: 5 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := embed.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	embed.SetBackoffBase(c, time.Millisecond)
	return c
}

func ptr[T any](v T) *T { return &v }

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("passage number %d", i)
	}
	return out
}

func TestClient_EmbedDocuments_Batching(t *testing.T) {
	tests := []struct {
		name      string
		n, batch  int
		wantSizes []int
	}{
		{"100 by 32", 100, 32, []int{32, 32, 32, 4}},
		{"default batch", 40, 0, []int{32, 8}},
		{"exact multiple", 64, 32, []int{32, 32}},
		{"one by one", 3, 1, []int{1, 1, 1}},
		{"none", 0, 32, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 8, testModel)
			c := newClient(t, f, func(cfg *embed.Config) {
				cfg.BatchSize = tt.batch
				cfg.DocumentPrefix = ptr("")
			})
			in := texts(tt.n)
			got, err := c.EmbedDocuments(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.n {
				t.Fatalf("got %d vectors, want %d", len(got), tt.n)
			}
			for i, v := range got {
				if !slices.Equal(v, unit(fakeVector(in[i], 8))) {
					t.Fatalf("vector %d is not the one for %q: order lost", i, in[i])
				}
			}
			var sizes []int
			var sent []string
			for _, r := range f.embedRequests() {
				sizes = append(sizes, len(r.Input))
				sent = append(sent, r.Input...)
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("batch sizes %v, want %v", sizes, tt.wantSizes)
			}
			if tt.n > 0 && !slices.Equal(sent, in) {
				t.Errorf("inputs sent out of order")
			}
			st := c.Stats()
			if st.Requests != int64(len(tt.wantSizes)) || st.Inputs != int64(tt.n) || st.Retries != 0 {
				t.Errorf("Stats = %+v, want %d requests, %d inputs", st, len(tt.wantSizes), tt.n)
			}
			if tt.n > 0 && st.Duration <= 0 {
				t.Errorf("Stats.Duration = %v, want > 0", st.Duration)
			}
		})
	}
}

func TestClient_Prefixes(t *testing.T) {
	const q = "who was fired?"
	const d = "Comey was dismissed."
	tests := []struct {
		model          string
		query, doc     *string
		wantQ, wantDoc string
	}{
		{model: "nomic-embed-text", wantQ: "search_query: " + q, wantDoc: "search_document: " + d},
		{model: "nomic-embed-text:latest", wantQ: "search_query: " + q, wantDoc: "search_document: " + d},
		{model: "mxbai-embed-large", wantQ: "Represent this sentence for searching relevant passages: " + q, wantDoc: d},
		{model: "snowflake-arctic-embed:335m", wantQ: "Represent this sentence for searching relevant passages: " + q, wantDoc: d},
		{model: "snowflake-arctic-embed2", wantQ: "query: " + q, wantDoc: d},
		{model: "all-minilm", wantQ: q, wantDoc: d},
		{model: "glove-100d", wantQ: q, wantDoc: d},
		{model: "nomic-embed-text", query: ptr(""), doc: ptr(""), wantQ: q, wantDoc: d},
		{model: "glove-100d", query: ptr("Q: "), doc: ptr("D: "), wantQ: "Q: " + q, wantDoc: "D: " + d},
		{model: "nomic-embed-text", query: ptr("custom: "), wantQ: "custom: " + q, wantDoc: "search_document: " + d},
	}
	for _, tt := range tests {
		name := tt.model
		if tt.query != nil || tt.doc != nil {
			name += " override"
		}
		t.Run(name, func(t *testing.T) {
			f := newFakeOllama(t, 4, tt.model)
			c := newClient(t, f, func(cfg *embed.Config) {
				cfg.Model, cfg.QueryPrefix, cfg.DocumentPrefix = tt.model, tt.query, tt.doc
			})
			if _, err := c.EmbedQuery(t.Context(), q); err != nil {
				t.Fatal(err)
			}
			if _, err := c.EmbedDocuments(t.Context(), []string{d}); err != nil {
				t.Fatal(err)
			}
			reqs := f.embedRequests()
			if got := reqs[0].Input[0]; got != tt.wantQ {
				t.Errorf("query sent as %q, want %q", got, tt.wantQ)
			}
			if got := reqs[1].Input[0]; got != tt.wantDoc {
				t.Errorf("document sent as %q, want %q", got, tt.wantDoc)
			}
		})
	}
}

func TestClient_RequestFields(t *testing.T) {
	tests := []struct {
		name          string
		keepAlive     *time.Duration
		truncate      *bool
		wantKeepAlive string
		wantTruncate  bool
	}{
		{"defaults", nil, nil, ``, true},
		{"custom", ptr(30 * time.Second), ptr(false), `"30s"`, false},
		{"forever", ptr(time.Duration(-1)), ptr(true), `-1`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			c := newClient(t, f, func(cfg *embed.Config) { cfg.KeepAlive, cfg.Truncate = tt.keepAlive, tt.truncate })
			if _, err := c.EmbedQuery(t.Context(), "x"); err != nil {
				t.Fatal(err)
			}
			r := f.embedRequests()[0]
			if r.Model != testModel {
				t.Errorf("model %q, want %q", r.Model, testModel)
			}
			if string(r.KeepAlive) != tt.wantKeepAlive {
				t.Errorf("keep_alive %s, want %s", r.KeepAlive, tt.wantKeepAlive)
			}
			if r.Truncate == nil || *r.Truncate != tt.wantTruncate {
				t.Errorf("truncate %v, want explicit %v", r.Truncate, tt.wantTruncate)
			}
		})
	}
}

// failFirst makes the first n /api/embed requests answer status with msg.
func failFirst(n, status int, msg string) func(int, embedRequest, http.ResponseWriter) bool {
	return func(i int, _ embedRequest, w http.ResponseWriter) bool {
		if i >= n {
			return false
		}
		writeJSON(w, status, map[string]string{"error": msg})
		return true
	}
}

func TestClient_Retries(t *testing.T) {
	tests := []struct {
		name         string
		hook         func(int, embedRequest, http.ResponseWriter) bool
		maxRetries   int
		wantRequests int
		wantErr      error  // nil: success
		wantMsg      string // substring of the error
	}{
		{name: "503 twice then ok", hook: failFirst(2, 503, "server busy"), wantRequests: 3},
		{name: "500 once then ok", hook: failFirst(1, 500, "llama runner process has terminated"), wantRequests: 2},
		{name: "503 forever gives up", hook: failFirst(100, 503, "busy"), wantRequests: 4, wantMsg: "HTTP 503"},
		{name: "max retries 1", hook: failFirst(100, 502, "bad gateway"), maxRetries: 1, wantRequests: 2, wantMsg: "HTTP 502"},
		{name: "no retries", hook: failFirst(100, 503, "busy"), maxRetries: -1, wantRequests: 1, wantMsg: "HTTP 503"},
		{name: "400 is permanent", hook: failFirst(100, 400, "invalid input type"), wantRequests: 1, wantMsg: "HTTP 400): invalid input type"},
		{name: "404 model is permanent", hook: failFirst(100, 404, `model "nomic-embed-text" not found, try pulling it first`),
			wantRequests: 1, wantErr: embed.ErrModelMissing},
		// The batch, then its first input alone, too short to cut.
		{name: "too long is permanent", hook: failFirst(100, 400, "input length exceeds maximum context length"),
			wantRequests: 2, wantErr: embed.ErrInputTooLong},
		{name: "connection dropped then ok", hook: func(i int, _ embedRequest, w http.ResponseWriter) bool {
			if i > 0 {
				return false
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			f.setHook(tt.hook)
			c := newClient(t, f, func(cfg *embed.Config) { cfg.MaxRetries = tt.maxRetries })
			_, err := c.EmbedDocuments(t.Context(), []string{"a", "b"})
			if got := len(f.embedRequests()); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
			if st := c.Stats(); st.Requests != int64(tt.wantRequests) {
				t.Errorf("Stats.Requests = %d, want %d", st.Requests, tt.wantRequests)
			}
			switch {
			case tt.wantErr == nil && tt.wantMsg == "":
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				if st := c.Stats(); st.Retries != int64(tt.wantRequests-1) || st.Inputs != 2 {
					t.Errorf("Stats = %+v, want %d retries, 2 inputs", st, tt.wantRequests-1)
				}
			case err == nil:
				t.Fatal("err = nil, want an error")
			default:
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want errors.Is %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
				}
				if !strings.HasPrefix(err.Error(), "embed batch 0 (inputs 0-1): ") {
					t.Errorf("err = %q, want it to name the batch", err)
				}
			}
		})
	}
}

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestClient_Unreachable(t *testing.T) {
	addr := closedAddr(t)
	// Real backoff: this checks the promise that a stopped Ollama fails fast.
	c, err := embed.New(embed.Config{Host: addr, Model: testModel})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.EmbedQuery(t.Context(), "hello")
	elapsed := time.Since(start)
	if !errors.Is(err, embed.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{"Ollama not reachable at http://" + addr, "`ollama serve`", "`make runtime`", "OLLAMA_HOST / --ollama", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	// A refused connection is not retried.
	if st := c.Stats(); st.Retries != 0 {
		t.Errorf("Stats = %+v, want no retries", st)
	}
	if elapsed > time.Second {
		t.Errorf("gave up after %v, want at once", elapsed)
	}
	t.Logf("gave up after %v: %v", elapsed, err)

	if err := c.Check(t.Context()); !errors.Is(err, embed.ErrUnreachable) {
		t.Errorf("Check: err = %v, want ErrUnreachable", err)
	}
}

func TestClient_ContextCancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		f := newFakeOllama(t, 4, testModel)
		f.setHook(failFirst(100, 503, "busy"))
		// Real backoff: the first wait is about 250ms.
		c, err := embed.New(embed.Config{Host: f.URL, Model: testModel, MaxRetries: 10})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = c.EmbedDocuments(ctx, []string{"a"})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "HTTP 503") {
			t.Errorf("err = %v, want DeadlineExceeded and the last attempt's 503", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("returned after %v, want right after the deadline", d)
		}
		if st := c.Stats(); st.Requests != 1 {
			t.Errorf("%d requests, want 1 (no retry after cancel)", st.Requests)
		}
	})
	t.Run("during request", func(t *testing.T) {
		f := newFakeOllama(t, 4, testModel)
		release := make(chan struct{})
		f.setHook(func(int, embedRequest, http.ResponseWriter) bool { <-release; return false })
		defer close(release)
		c := newClient(t, f, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.EmbedQuery(ctx, "a")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := len(f.embedRequests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		f := newFakeOllama(t, 4, testModel)
		c := newClient(t, f, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.EmbedDocuments(ctx, []string{"a"}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := len(f.embedRequests()); n != 0 {
			t.Errorf("%d requests, want 0", n)
		}
	})
}

// TestClient_RequestTimeout: a request the server does not answer within
// RequestTimeout is abandoned and retried; when no attempt is answered the
// error names the limit. The fake never answers the hanging requests (it
// waits for the client to hang up), so nothing depends on one sleep
// outlasting another.
func TestClient_RequestTimeout(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	f.setHang(func(n int, _ embedRequest) bool { return n == 0 })
	// The retry is answered at once; its limit only has to outlast a busy
	// machine's scheduling of one local request.
	c := newClient(t, f, func(cfg *embed.Config) { cfg.RequestTimeout = 2 * time.Second; cfg.MaxRetries = 1 })
	if _, err := c.EmbedQuery(t.Context(), "a"); err != nil {
		t.Fatalf("err = %v, want success on the retry", err)
	}
	if st := c.Stats(); st.Requests != 2 || st.Retries != 1 {
		t.Errorf("Stats = %+v, want 2 requests, 1 retry", st)
	}

	f.setHang(func(int, embedRequest) bool { return true })
	c = newClient(t, f, func(cfg *embed.Config) { cfg.RequestTimeout = 100 * time.Millisecond })
	_, err := c.EmbedQuery(t.Context(), "a")
	if err == nil || !strings.Contains(err.Error(), "did not answer within 100ms") {
		t.Errorf("err = %v, want a timeout naming RequestTimeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v: a request timeout must not look like the caller's deadline", err)
	}
	if st := c.Stats(); st.Requests != 1+embed.DefaultMaxRetries {
		t.Errorf("Stats = %+v, want every attempt timed out (%d requests)", st, 1+embed.DefaultMaxRetries)
	}
}

func TestClient_ModelMissing(t *testing.T) {
	tests := []struct {
		model    string
		wantHint string
	}{
		{"nomic-embed-text", "run `ollama pull nomic-embed-text`"},
		{"mxbai-embed-large:latest", "run `ollama pull mxbai-embed-large:latest`"},
		{"glove-100d", "glove-100d is built offline: run `make runtime`"},
		{"glove-100d:latest", "run `make runtime`"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			f := newFakeOllama(t, 4, "other-model")
			c := newClient(t, f, func(cfg *embed.Config) { cfg.Model = tt.model })

			_, err := c.EmbedDocuments(t.Context(), []string{"a"})
			if !errors.Is(err, embed.ErrModelMissing) {
				t.Fatalf("EmbedDocuments: err = %v, want ErrModelMissing", err)
			}
			if !strings.Contains(err.Error(), tt.wantHint) {
				t.Errorf("err = %q, want hint %q", err, tt.wantHint)
			}

			err = c.Check(t.Context())
			if !errors.Is(err, embed.ErrModelMissing) {
				t.Fatalf("Check: err = %v, want ErrModelMissing", err)
			}
			if !strings.Contains(err.Error(), tt.wantHint) {
				t.Errorf("Check: err = %q, want hint %q", err, tt.wantHint)
			}
		})
	}
}

func TestClient_Check(t *testing.T) {
	f := newFakeOllama(t, 4, testModel, "llama3")
	f.models["llama3:latest"] = []string{"completion", "tools"}

	c := newClient(t, f, nil)
	if err := c.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
	c = newClient(t, f, func(cfg *embed.Config) { cfg.Model = "llama3" })
	err := c.Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), "not an embedding model (capabilities: completion, tools)") {
		t.Errorf("Check on a chat model: err = %v", err)
	}
	if n := len(f.embedRequests()); n != 0 {
		t.Errorf("Check made %d embed requests, want 0", n)
	}
	if st := c.Stats(); st.Requests != 0 {
		t.Errorf("Check counted in Stats: %+v", st)
	}
}

func TestClient_NotOllama(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantMsg string
	}{
		{"404 page", http.NotFound, "ollama API not found at"},
		{"html 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>hello</html>")
		}, "is it an Ollama server?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, err := embed.New(embed.Config{Host: srv.URL, Model: testModel})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.EmbedQuery(t.Context(), "a")
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantMsg)
			}
			if errors.Is(err, embed.ErrModelMissing) || errors.Is(err, embed.ErrUnreachable) {
				t.Errorf("err = %v: wrong sentinel", err)
			}
		})
	}
}

func TestClient_Dimensions(t *testing.T) {
	f := newFakeOllama(t, 8, testModel)
	f.setHook(func(i int, req embedRequest, w http.ResponseWriter) bool {
		if i < 1 {
			return false
		}
		vecs := make([][]float32, len(req.Input))
		for j, in := range req.Input {
			vecs[j] = fakeVector(in, 16)
		}
		writeJSON(w, http.StatusOK, map[string]any{"embeddings": vecs})
		return true
	})
	c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 2 })
	if c.Dimension() != 0 {
		t.Fatalf("Dimension() = %d before any request, want 0", c.Dimension())
	}
	_, err := c.EmbedDocuments(t.Context(), texts(3))
	if !errors.Is(err, embed.ErrDimensions) {
		t.Fatalf("err = %v, want ErrDimensions", err)
	}
	for _, want := range []string{"embed batch 1 (inputs 2-2)", "got 16, want 8"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if c.Dimension() != 8 {
		t.Errorf("Dimension() = %d, want 8", c.Dimension())
	}
}

func TestClient_BadResponses(t *testing.T) {
	respond := func(vecs [][]float32) func(int, embedRequest, http.ResponseWriter) bool {
		return func(_ int, _ embedRequest, w http.ResponseWriter) bool {
			writeJSON(w, http.StatusOK, map[string]any{"embeddings": vecs})
			return true
		}
	}
	tests := []struct {
		name    string
		vecs    [][]float32
		wantErr error
		wantMsg string
	}{
		{"too few", [][]float32{{1, 0}}, nil, "ollama returned 1 embeddings for 2 inputs"},
		{"too many", [][]float32{{1, 0}, {0, 1}, {1, 1}}, nil, "ollama returned 3 embeddings for 2 inputs"},
		{"none", nil, nil, "ollama returned 0 embeddings for 2 inputs"},
		{"empty vector", [][]float32{{}, {}}, embed.ErrDimensions, "empty embedding"},
		{"ragged", [][]float32{{1, 0}, {1, 0, 0}}, embed.ErrDimensions, "got 3, want 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 2, testModel)
			f.setHook(respond(tt.vecs))
			c := newClient(t, f, nil)
			_, err := c.EmbedDocuments(t.Context(), []string{"a", "b"})
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantMsg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantErr)
			}
			if n := len(f.embedRequests()); n != 1 {
				t.Errorf("%d requests, want 1: bad responses are not retried", n)
			}
		})
	}
}

func TestClient_Normalisation(t *testing.T) {
	f := newFakeOllama(t, 3, testModel)
	f.setHook(func(_ int, req embedRequest, w http.ResponseWriter) bool {
		vecs := map[string][]float32{
			"big":   {3, 4, 0},
			"tiny":  {1e-20, 0, 0}, // squares underflow in float32
			"zero":  {0, 0, 0},     // e.g. only stopwords with GloVe
			"unit":  {0, 1, 0},
			"nearu": {0.6, 0.8, 1e-4},
		}
		var out [][]float32
		for _, in := range req.Input {
			out = append(out, vecs[in])
		}
		writeJSON(w, http.StatusOK, map[string]any{"embeddings": out})
		return true
	})
	c := newClient(t, f, func(cfg *embed.Config) { cfg.DocumentPrefix = ptr("") })
	got, err := c.EmbedDocuments(t.Context(), []string{"big", "tiny", "zero", "unit", "nearu"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.6, 0.8, 0}; !slices.Equal(got[0], want) {
		t.Errorf("big: %v, want %v", got[0], want)
	}
	if want := []float32{1, 0, 0}; !slices.Equal(got[1], want) {
		t.Errorf("tiny: %v, want %v", got[1], want)
	}
	if want := []float32{0, 0, 0}; !slices.Equal(got[2], want) {
		t.Errorf("zero: %v, want %v (no NaN)", got[2], want)
	}
	for _, i := range []int{0, 1, 3, 4} {
		if n := norm(got[i]); n < 1-1e-6 || n > 1+1e-6 {
			t.Errorf("vector %d has norm %v, want 1", i, n)
		}
	}
}

func TestClient_BlankTexts(t *testing.T) {
	t.Run("mixed", func(t *testing.T) {
		f := newFakeOllama(t, 4, testModel)
		c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 2 })
		in := []string{"", "alpha", "  \n\t", "beta", "gamma", ""}
		got, err := c.EmbedDocuments(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			blank := strings.TrimSpace(in[i]) == ""
			switch {
			case len(v) != 4:
				t.Errorf("vector %d has length %d, want 4", i, len(v))
			case blank && norm(v) != 0:
				t.Errorf("blank text %d got %v, want zeros", i, v)
			case !blank && !slices.Equal(v, unit(fakeVector("search_document: "+in[i], 4))):
				t.Errorf("vector %d is not the one for %q", i, in[i])
			}
		}
		var sent []string
		for _, r := range f.embedRequests() {
			sent = append(sent, r.Input...)
		}
		want := []string{"search_document: alpha", "search_document: beta", "search_document: gamma"}
		if !slices.Equal(sent, want) {
			t.Errorf("sent %q, want %q", sent, want)
		}
	})
	t.Run("all blank probes once", func(t *testing.T) {
		f := newFakeOllama(t, 5, testModel)
		c := newClient(t, f, nil)
		for range 2 {
			got, err := c.EmbedDocuments(t.Context(), []string{"", " "})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || len(got[0]) != 5 || len(got[1]) != 5 || norm(got[0]) != 0 {
				t.Fatalf("got %v, want two zero vectors of length 5", got)
			}
		}
		q, err := c.EmbedQuery(t.Context(), "   ")
		if err != nil || len(q) != 5 || norm(q) != 0 {
			t.Fatalf("EmbedQuery(blank) = %v, %v; want 5 zeros", q, err)
		}
		if n := len(f.embedRequests()); n != 1 {
			t.Errorf("%d requests, want 1 probe", n)
		}
	})
	t.Run("blank query first", func(t *testing.T) {
		f := newFakeOllama(t, 3, testModel)
		c := newClient(t, f, nil)
		q, err := c.EmbedQuery(t.Context(), "")
		if err != nil || len(q) != 3 {
			t.Fatalf("EmbedQuery(\"\") = %v, %v", q, err)
		}
	})
	t.Run("probe fails", func(t *testing.T) {
		f := newFakeOllama(t, 3, "other")
		c := newClient(t, f, nil)
		_, err := c.EmbedDocuments(t.Context(), []string{""})
		if !errors.Is(err, embed.ErrModelMissing) {
			t.Errorf("err = %v, want ErrModelMissing", err)
		}
	})
}

func TestClient_BatchErrorNamesInputs(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	f.setHook(func(i int, _ embedRequest, w http.ResponseWriter) bool {
		if i != 3 {
			return false
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "boom"})
		return true
	})
	c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 32 })
	in := texts(130)
	in[0] = "" // blank texts are skipped but indices stay the caller's
	_, err := c.EmbedDocuments(t.Context(), in)
	const want = "embed batch 3 (inputs 97-128): "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
}

func TestClient_Concurrent(t *testing.T) {
	f := newFakeOllama(t, 16, testModel)
	c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 4 })
	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			in := texts(perWorker)
			for i := range in {
				in[i] = fmt.Sprintf("worker %d text %d", w, i)
			}
			docs, err := c.EmbedDocuments(t.Context(), in)
			if err != nil {
				errs <- err
				return
			}
			for i, v := range docs {
				if !slices.Equal(v, unit(fakeVector("search_document: "+in[i], 16))) {
					errs <- fmt.Errorf("worker %d: vector %d mixed up", w, i)
					return
				}
			}
			if _, err := c.EmbedQuery(t.Context(), in[0]); err != nil {
				errs <- err
			}
			_ = c.Stats()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := c.Stats()
	wantReq := int64(workers * (3 + 1)) // ceil(10/4) batches + 1 query each
	if st.Requests != wantReq || st.Inputs != workers*(perWorker+1) {
		t.Errorf("Stats = %+v, want %d requests, %d inputs", st, wantReq, workers*(perWorker+1))
	}
}

func TestClient_Logging(t *testing.T) {
	var buf syncBuffer
	f := newFakeOllama(t, 4, testModel)
	f.setHook(failFirst(1, 503, "busy"))
	c := newClient(t, f, func(cfg *embed.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const secret = "confidential article body"
	if _, err := c.EmbedDocuments(t.Context(), []string{secret}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", "attempt=1", "HTTP 503", "level=DEBUG", "batch=0", "kind=documents", "inputs=1", "ms="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("log contains the text:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
