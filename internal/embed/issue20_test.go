package embed_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/embed"
)

// TestClient_SlowLoad: a model whose load takes longer than a request's
// limit, and is abandoned whenever the client hangs up (as Ollama does),
// loads once under the load limit and then embeds. Before, every attempt
// restarted the load and the call failed with "did not answer within".
func TestClient_SlowLoad(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	f.loadTime = 2 * time.Second
	var progress syncBuffer
	c := newClient(t, f, func(cfg *embed.Config) {
		cfg.RequestTimeout = time.Second
		cfg.Progress = &progress
	})
	got, err := c.EmbedDocuments(t.Context(), texts(40))
	if err != nil {
		t.Fatalf("EmbedDocuments: %v", err)
	}
	if len(got) != 40 {
		t.Fatalf("%d vectors, want 40", len(got))
	}
	if f.loads != 1 {
		t.Errorf("the model was loaded %d times, want once", f.loads)
	}
	if out := progress.String(); !strings.Contains(out, "loading "+testModel+" ...") || !strings.Contains(out, "loaded "+testModel+" in ") {
		t.Errorf("progress = %q, want a loading and a loaded line", out)
	}

	// A load that outlasts the load limit fails naming it.
	f2 := newFakeOllama(t, 4, testModel)
	f2.loadTime = time.Hour
	c2 := newClient(t, f2, func(cfg *embed.Config) { cfg.LoadTimeout = 200 * time.Millisecond; cfg.MaxRetries = -1 })
	_, err = c2.EmbedQuery(t.Context(), "a")
	if !errors.Is(err, embed.ErrTimeout) || !strings.Contains(err.Error(), "did not load within 200ms (--load-timeout)") {
		t.Errorf("err = %v, want a load timeout naming --load-timeout", err)
	}
}

// hangAbove makes the fake answer no request of more than n inputs: it
// waits until the client hangs up.
func hangAbove(n int) func(int, embedRequest) bool {
	return func(_ int, req embedRequest) bool { return len(req.Input) > n }
}

// TestClient_TimeoutHalvesBatch: a batch that times out is sent again in
// halves, not whole. Before, the same 16 inputs were resent 4 times.
func TestClient_TimeoutHalvesBatch(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	f.setHang(hangAbove(4))
	// The requests of 4 are answered at once; the limit only has to outlast
	// a busy machine's scheduling of one local request.
	c := newClient(t, f, func(cfg *embed.Config) { cfg.RequestTimeout = time.Second; cfg.BatchSize = 16 })
	in := texts(16)
	got, err := c.EmbedDocuments(t.Context(), in)
	if err != nil {
		t.Fatalf("EmbedDocuments: %v", err)
	}
	for i, v := range got {
		if !slices.Equal(v, unit(fakeVector("search_document: "+in[i], 4))) {
			t.Fatalf("vector %d out of order", i)
		}
	}
	var sizes []int
	for _, r := range f.embedRequests() {
		sizes = append(sizes, len(r.Input))
	}
	if want := []int{16, 8, 4, 4, 8, 4, 4}; !slices.Equal(sizes, want) {
		t.Errorf("request sizes %v, want %v", sizes, want)
	}
}

// TestClient_TimeoutScalesWithBatch: RequestTimeout bounds a request of up
// to 16 inputs; each 16 more (begun) add one RequestTimeout.
func TestClient_TimeoutScalesWithBatch(t *testing.T) {
	f := newFakeOllama(t, 4, testModel)
	c := newClient(t, f, func(cfg *embed.Config) { cfg.RequestTimeout = 500 * time.Millisecond })
	for _, tt := range []struct {
		inputs int
		want   time.Duration
	}{{0, 500 * time.Millisecond}, {1, 500 * time.Millisecond}, {16, 500 * time.Millisecond}, {17, time.Second}, {32, time.Second}, {33, 1500 * time.Millisecond}} {
		if got := embed.RequestLimit(c, tt.inputs); got != tt.want {
			t.Errorf("limit of a request of %d inputs: %s, want %s", tt.inputs, got, tt.want)
		}
	}
	// The limit is the one the request runs under: a batch of 32 never
	// answered is given up (and halved) no sooner than twice RequestTimeout.
	// A deadline never fires early, so this bound holds on any machine.
	f.setHang(hangAbove(16))
	c = newClient(t, f, func(cfg *embed.Config) { cfg.RequestTimeout = 50 * time.Millisecond; cfg.MaxRetries = -1 })
	start := time.Now()
	if _, err := c.EmbedDocuments(t.Context(), texts(32)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("the batch of 32 was given up after %s, before its limit of 100ms", took)
	}
	var sizes []int
	for _, r := range f.embedRequests() {
		sizes = append(sizes, len(r.Input))
	}
	if want := []int{32, 16, 16}; !slices.Equal(sizes, want) {
		t.Errorf("request sizes %v, want %v", sizes, want)
	}
}

// TestClient_RunnerErrors: newer Ollama servers answer runner failures with
// 400; those are retried, other 400s are not, and the server's own text is
// in the error whatever the body's shape.
func TestClient_RunnerErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		wantRequests int    // with 1 failure, then success
		wantMsg      string // when it fails for good
	}{
		{"do embedding request EOF", 400, `{"error":"do embedding request: Post \"http://127.0.0.1:41231/embedding\": EOF"}`, 2, ""},
		{"runner terminated", 400, `{"error":"llama runner process has terminated: exit status 2"}`, 2, ""},
		{"out of memory", 400, `{"error":"model requires more system memory (5.2 GiB) than is available: out of memory"}`, 2, ""},
		{"runner 500", 500, `{"error":"llama runner process no longer running: -1"}`, 2, ""},
		{"plain 400", 400, `{"error":"invalid input type"}`, 1, "HTTP 400): invalid input type"},
		{"OpenAI-style body", 400, `{"error":{"message":"model is not loaded","type":"invalid_request_error"}}`, 1, "model is not loaded"},
		{"detail body", 422, `{"detail":"input must be a list"}`, 1, "input must be a list"},
		{"text body", 502, "upstream connect error or disconnect/reset before headers", 4, "upstream connect error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			fails := 1
			if tt.wantMsg != "" {
				fails = 100
			}
			f.setHook(func(i int, _ embedRequest, w http.ResponseWriter) bool {
				if i >= fails {
					return false
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
				return true
			})
			c := newClient(t, f, nil)
			_, err := c.EmbedDocuments(t.Context(), []string{"a"})
			if n := len(f.embedRequests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			switch {
			case tt.wantMsg == "" && err != nil:
				t.Errorf("err = %v, want success after a retry", err)
			case tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)):
				t.Errorf("err = %v, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

// TestClient_RefusedFailsFast: a refused connection is not retried, and the
// one-line error suggests --mode bm25.
func TestClient_RefusedFailsFast(t *testing.T) {
	addr := closedAddr(t)
	c, err := embed.New(embed.Config{Host: addr, Model: testModel})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.EmbedQuery(t.Context(), "hello")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("gave up after %v, want at once", d)
	}
	if !errors.Is(err, embed.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	for _, want := range []string{"--mode bm25", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %q, want one line", err)
	}
	if st := c.Stats(); st.Retries != 0 {
		t.Errorf("Stats = %+v, want no retries", st)
	}
}

// TestClient_RetryWarnsOnce: a call that is retried three times logs one
// warning, not one per attempt.
func TestClient_RetryWarnsOnce(t *testing.T) {
	var buf syncBuffer
	f := newFakeOllama(t, 4, testModel)
	f.setHook(failFirst(3, 503, "busy"))
	c := newClient(t, f, func(cfg *embed.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if _, err := c.EmbedDocuments(t.Context(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, buf.String())
	}
}

// TestClient_KeepAliveOnlyWhenSet: keep_alive is sent only when configured,
// so the server's OLLAMA_KEEP_ALIVE applies otherwise.
func TestClient_KeepAliveOnlyWhenSet(t *testing.T) {
	tests := []struct {
		name string
		set  *time.Duration
		want string
	}{
		{"unset", nil, ""},
		{"30s", ptr(30 * time.Second), `"30s"`},
		{"zero unloads at once", ptr(time.Duration(0)), `"0s"`},
		{"forever", ptr(time.Duration(-1)), `-1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			c := newClient(t, f, func(cfg *embed.Config) { cfg.KeepAlive = tt.set })
			if _, err := c.EmbedQuery(t.Context(), "x"); err != nil {
				t.Fatal(err)
			}
			if got := string(f.embedRequests()[0].KeepAlive); got != tt.want {
				t.Errorf("keep_alive %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClient_ContextCap: inputs longer than the model's context (learned
// from /api/show) are cut before they are sent, queries too.
func TestClient_ContextCap(t *testing.T) {
	long := strings.Repeat("word ", 300)
	cjk := strings.Repeat("経済政策", 200)
	tests := []struct {
		name            string
		showCtx, numCtx int
		ctxTokens       int // Config.ContextTokens
		wantMax         int // most fakeTokens an input may arrive with
	}{
		{"model_info", 128, 0, 0, 128},
		{"num_ctx smaller", 8192, 100, 0, 100},
		{"unknown: 2,048 at most", 0, 0, 0, 2048},
		{"configured", 8192, 0, 64, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			f.showCtx, f.numCtx = tt.showCtx, tt.numCtx
			c := newClient(t, f, func(cfg *embed.Config) { cfg.ContextTokens = tt.ctxTokens })
			if _, err := c.EmbedDocuments(t.Context(), []string{long, cjk, "short"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.EmbedQuery(t.Context(), cjk); err != nil {
				t.Fatal(err)
			}
			for _, r := range f.embedRequests() {
				for _, in := range r.Input {
					if n := fakeTokens(in); n > tt.wantMax {
						t.Errorf("an input of %d tokens was sent, over %d", n, tt.wantMax)
					}
				}
			}
			if got := f.embedRequests()[0].Input[2]; got != "search_document: short" {
				t.Errorf("a short input was changed: %q", got)
			}
		})
	}
}

// TestClient_TooLongRefused: a server that ignores truncate and refuses an
// input longer than its context (Ollama v0.13.5 to v0.15) gets that input
// alone, cut, with a warning naming it; the others go whole and the call
// succeeds. Before, the whole run failed saying truncation was off.
func TestClient_TooLongRefused(t *testing.T) {
	var buf syncBuffer
	f := newFakeOllama(t, 4, testModel)
	f.ctxLen = 40
	f.showCtx = 2048 // the server claims more than it takes
	c := newClient(t, f, func(cfg *embed.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cfg.DocumentPrefix = ptr("")
	})
	in := []string{"first passage", strings.Repeat("long ", 100), "third passage"}
	got, err := c.EmbedDocumentsNamed(t.Context(), in, []string{"a1 passage 0", "a2 passage 3", "a3 passage 0"})
	if err != nil {
		t.Fatalf("EmbedDocumentsNamed: %v", err)
	}
	if !slices.Equal(got[0], unit(fakeVector(in[0], 4))) || !slices.Equal(got[2], unit(fakeVector(in[2], 4))) {
		t.Error("the inputs that fit were not embedded whole")
	}
	if len(got[1]) != 4 {
		t.Fatalf("the long input got %v", got[1])
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", `input="a2 passage 3"`, "longer than the model's context"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}

	// With truncation off, the error says so and no cut is made.
	f2 := newFakeOllama(t, 4, testModel)
	f2.ctxLen = 40
	f2.showCtx = 2048
	c2 := newClient(t, f2, func(cfg *embed.Config) { cfg.Truncate = ptr(false) })
	_, err = c2.EmbedDocuments(t.Context(), in)
	if !errors.Is(err, embed.ErrInputTooLong) || !strings.Contains(err.Error(), "truncation is off") {
		t.Errorf("truncate off: err = %v, want ErrInputTooLong saying truncation is off", err)
	}
}

// TestClient_EmbedConcurrency: Concurrency N keeps up to N requests in
// flight and the vectors in order.
func TestClient_EmbedConcurrency(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeOllama(t, 4, testModel)
			// Requests are answered in groups of n, each once all n of its
			// requests have arrived: a client that keeps n in flight is
			// answered at once, one that keeps fewer never completes a
			// group (and fails after the fail-safe wait), one that keeps
			// more shows more in flight. No sleep decides the overlap.
			var inFlight, most atomic.Int32
			var mu sync.Mutex
			arrived := map[int]int{}
			full := map[int]chan struct{}{}
			group := func(g int) chan struct{} { // under mu
				if full[g] == nil {
					full[g] = make(chan struct{})
				}
				return full[g]
			}
			f.setHook(func(i int, _ embedRequest, _ http.ResponseWriter) bool {
				cur := inFlight.Add(1)
				for {
					m := most.Load()
					if cur <= m || most.CompareAndSwap(m, cur) {
						break
					}
				}
				mu.Lock()
				g := i / n
				ch := group(g)
				if arrived[g]++; arrived[g] == n {
					close(ch)
				}
				mu.Unlock()
				select {
				case <-ch:
				case <-time.After(10 * time.Second): // fewer than n in flight: the check below fails
				}
				inFlight.Add(-1)
				return false
			})
			c := newClient(t, f, func(cfg *embed.Config) { cfg.BatchSize = 2; cfg.Concurrency = n })
			in := texts(12)
			got, err := c.EmbedDocuments(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if !slices.Equal(v, unit(fakeVector("search_document: "+in[i], 4))) {
					t.Fatalf("vector %d out of order", i)
				}
			}
			if m := int(most.Load()); m != n {
				t.Errorf("at most %d requests in flight, want %d", m, n)
			}
		})
	}
}

// TestClient_HungServerNotWaitedForLoad: a server that answers nothing is
// reported after RequestTimeout, not after LoadTimeout: Ollama answers
// /api/show while it loads, so a silent one is hung.
func TestClient_HungServerNotWaitedForLoad(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client hang up
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := embed.New(embed.Config{Host: srv.URL, Model: testModel, RequestTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.EmbedDocuments(t.Context(), texts(40))
	if !errors.Is(err, embed.ErrTimeout) || !strings.Contains(err.Error(), "did not answer within 200ms") {
		t.Errorf("err = %v, want a timeout naming 200ms", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want about 200ms", d)
	}
}
