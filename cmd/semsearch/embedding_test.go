package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOpenAI is an httptest OpenAI-compatible embedding server
// (POST /v1/embeddings) for the model "fake", with fakeVector's vectors,
// that needs "Authorization: Bearer sk-test" and records the inputs it got.
type fakeOpenAI struct {
	*httptest.Server
	mu     sync.Mutex
	inputs []string
}

func newFakeOpenAI(t *testing.T) *fakeOpenAI {
	t.Helper()
	f := &fakeOpenAI{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fakeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"message": err.Error()}})
			return
		}
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			fakeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"message": "invalid api key"}})
			return
		}
		if req.Model != "fake" {
			fakeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"message": "model " + req.Model + " does not exist"}})
			return
		}
		f.mu.Lock()
		f.inputs = append(f.inputs, req.Input...)
		f.mu.Unlock()
		data := make([]map[string]any, len(req.Input))
		for i, in := range req.Input {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": fakeVector(in)}
		}
		fakeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": req.Model})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOpenAI) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.inputs...)
}

// TestCLI_OpenAIEmbedder: a collection indexed with --embedder openai is
// searched through the same server without any embedding flag (Ollama is
// not even there), records the server and never the key, and refuses an
// explicit --embedder ollama with what it recorded.
func TestCLI_OpenAIEmbedder(t *testing.T) {
	f := newFakeOpenAI(t)
	data := t.TempDir()
	t.Setenv("SEMSEARCH_EMBED_API_KEY", "sk-test")
	t.Setenv("OLLAMA_HOST", downAddr(t))
	unsetEnv(t, "SEMSEARCH_MODEL") // the runtime's, in `make test`: it would be an explicit choice
	flags := []string{"--data", data}
	out, stderr, err := run(t, "", append(flags, "--embedder", "openai", "--embed-url", f.URL+"/v1", "--model", "fake", "--query-prefix", "ask: ", "index", "testdata/datadir-v4/corpus")...)
	if err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run(t, "", append(flags, "search", "--mode", "vector", "-k", "1", "harbour wall")...)
	if err != nil {
		t.Fatalf("search without embedding flags: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, `1 passage from "default" (vector search, model fake)`) {
		t.Errorf("search found:\n%s", out)
	}
	if got := f.received(); len(got) == 0 || got[len(got)-1] != "ask: harbour wall" {
		t.Errorf("the server got %q last, want the query with the recorded prefix", got)
	}
	col, _, _ := storedDocs(t, data, "default")
	if s := col.Settings; s.Embedder != "openai" || s.EmbedURL != f.URL+"/v1" || s.Model != "fake" || s.QueryPrefix != "ask: " {
		t.Errorf("recorded %+v", s)
	}
	files, _ := filepath.Glob(filepath.Join(data, "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "sk-test") {
			t.Errorf("%s holds the API key", p)
		}
	}
	out, _, err = run(t, "", append(flags, "stats")...)
	if err != nil || !strings.Contains(out, "openai") || !strings.Contains(out, f.URL+"/v1") || !strings.Contains(out, `query prefix "ask: "`) {
		t.Errorf("stats: %v\n%s", err, out)
	}
	_, stderr, err = run(t, "", append(flags, "search", "--embedder", "ollama", "--mode", "vector", "harbour")...)
	if err == nil || !strings.Contains(err.Error()+stderr, `embedded by an "openai" server`) {
		t.Errorf("search --embedder ollama: %v\n%s", err, stderr)
	}
}

// TestCLI_Dimensions: --dimensions is recorded; a server that ignores it
// (the fake Ollama answers 8 dimensions) gets its vectors cut; later
// searches use the recorded length without the flag, and another length
// is refused.
func TestCLI_Dimensions(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	flags := f.flags(data)
	if out, stderr, err := run(t, "", append(flags, "--dimensions", "4", "index", "testdata/datadir-v4/corpus")...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	col, hits, _ := storedDocs(t, data, "default")
	if col.Settings.Dimensions != 4 || col.Settings.EmbedDimensions != 4 || len(hits["bees.md"][0].Vector) != 4 {
		t.Fatalf("recorded %+v", col.Settings)
	}
	if out, stderr, err := run(t, "", append(flags, "search", "--mode", "vector", "-k", "1", "harbour wall")...); err != nil || !strings.Contains(out, "id ") {
		t.Fatalf("search: %v\n%s%s", err, out, stderr)
	}
	_, stderr, err := run(t, "", append(flags, "search", "--dimensions", "8", "--mode", "vector", "harbour")...)
	if err == nil || !strings.Contains(err.Error()+stderr, "--dimensions 4") {
		t.Errorf("search --dimensions 8: %v\n%s", err, stderr)
	}
}

// TestDataDirV4 opens a data directory written before collections recorded
// how they were embedded (testdata/datadir-v4, snapshot v4): it is searched
// with no model flag, stats says its query prefix was not recorded, and the
// next write records the embedder, its URL and the query prefix, in a
// current snapshot.
func TestDataDirV4(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL") // the collection's own model is used
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v4/data", data)
	base := []string{"--ollama", f.URL, "--data", data}
	out, stderr, err := run(t, "", append(base, "search", "-k", "2", "harbour wall storm")...)
	if err != nil || !strings.Contains(out, "id harbour.html") {
		t.Fatalf("search of the v4 data directory: %v\n%s%s", err, out, stderr)
	}
	out, _, err = run(t, "", append(base, "stats")...)
	if err != nil || !strings.Contains(out, "query prefix not recorded") {
		t.Errorf("stats: %v\n%s", err, out)
	}
	if out, stderr, err := run(t, "Bees need water.\n", append(base, "index", "--id", "note2", "-")...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	col, _, docs := storedDocs(t, data, "default")
	if s := col.Settings; s.Embedder != "ollama" || s.EmbedURL != f.URL || s.Model != "fake" || s.ModelDigest != "fakedigest" || len(docs) != 5 {
		t.Errorf("after the next write: %+v, %d documents", s, len(docs))
	}
	b, err := os.ReadFile(filepath.Join(data, "default.collection"))
	if err != nil || !strings.HasPrefix(string(b), "semsearch collection v10") {
		t.Errorf("snapshot starts %.24q, %v", b, err)
	}
	out, _, err = run(t, "", append(base, "stats")...)
	if err != nil || !strings.Contains(out, `query prefix ""`) || strings.Contains(out, "not recorded") {
		t.Errorf("stats after the write: %v\n%s", err, out)
	}
}

// TestCLI_OpenAIRealOllama indexes the example articles twice on the real
// runtime, once through Ollama's /api/embed and once through its own
// OpenAI-compatible /v1/embeddings (--embedder openai), and checks that both
// collections hold the same vectors and answer the same searches.
func TestCLI_OpenAIRealOllama(t *testing.T) {
	rt := realRuntime(t)
	host, model := rt[1], rt[3]
	base := host
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base = strings.TrimSuffix(base, "/") + "/v1"
	articles := copyArticles(t)
	data := t.TempDir()
	flags := append([]string{"--data", data}, rt...)
	if out, stderr, err := run(t, "", append(flags, "-c", "native", "index", articles)...); err != nil {
		t.Fatalf("index through /api/embed: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := run(t, "", append(flags, "-c", "compat", "--embedder", "openai", "--embed-url", base, "index", articles)...); err != nil {
		t.Fatalf("index through /v1/embeddings: %v\n%s%s", err, out, stderr)
	}
	native, nhits, _ := storedDocs(t, data, "native")
	compat, chits, _ := storedDocs(t, data, "compat")
	if compat.Settings.Embedder != "openai" || compat.Settings.EmbedURL != base || compat.Settings.ModelDigest != "" ||
		native.Settings.Embedder != "ollama" || native.Settings.Dimensions != compat.Settings.Dimensions || native.Passages != compat.Passages {
		t.Fatalf("native %+v\ncompat %+v", native, compat)
	}
	compared := 0
	for id, hs := range nhits {
		for i, h := range hs {
			c := chits[id][i]
			if c.Text != h.Text || len(c.Vector) != len(h.Vector) {
				t.Fatalf("%s passage %d differs: %q vs %q", id, i, h.Text, c.Text)
			}
			for j := range h.Vector {
				if d := h.Vector[j] - c.Vector[j]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("%s passage %d: component %d is %v through /api/embed, %v through /v1", id, i, j, h.Vector[j], c.Vector[j])
				}
			}
			compared++
		}
	}
	for _, q := range []string{"interest rates", "football match", "the president fired the director"} {
		// No embedder flags: each collection uses the server it records.
		n, _, err1 := run(t, "", "--data", data, "-c", "native", "search", "--mode", "vector", "-k", "3", q)
		c, _, err2 := run(t, "", "--data", data, "-c", "compat", "--ollama", "127.0.0.1:1", "search", "--mode", "vector", "-k", "3", q)
		if err1 != nil || err2 != nil {
			t.Fatalf("search %q: %v / %v", q, err1, err2)
		}
		if strip(n) != strip(c) {
			t.Errorf("search %q differs:\n%s\n---\n%s", q, n, c)
		}
	}
	t.Logf("%d passages compared, model %s", compared, model)
}

// strip drops a search's last line (collection name and time).
func strip(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

// TestMCP_PerCollectionEmbedder: an MCP server started for collection "a"
// (indexed through Ollama) searches collection "b" through the
// OpenAI-compatible server and with the query prefix that "b" records,
// without any flag naming them.
func TestMCP_PerCollectionEmbedder(t *testing.T) {
	ollama := newFakeOllama(t, "fake")
	oa := newFakeOpenAI(t)
	data := t.TempDir()
	t.Setenv("SEMSEARCH_EMBED_API_KEY", "sk-test")
	if out, stderr, err := run(t, "", append(ollama.flags(data), "-c", "a", "index", "testdata/datadir-v4/corpus")...); err != nil {
		t.Fatalf("index a: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := run(t, "", "--data", data, "-c", "b", "--model", "fake", "--embedder", "openai", "--embed-url", oa.URL+"/v1",
		"--query-prefix", "B: ", "index", "testdata/datadir-v4/corpus"); err != nil {
		t.Fatalf("index b: %v\n%s%s", err, out, stderr)
	}
	indexed := len(oa.received())
	in, feed := io.Pipe()
	var out, errOut lockedBuilder
	app := newApp(in, &out, &errOut)
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(t.Context(), interspersed(app, append([]string{"semsearch", "mcp", "-c", "a"}, ollama.flags(data)...)))
	}()
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{"query":"harbour wall","collection":"b","mode":"vector"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{"query":"bees","collection":"a","mode":"vector"}}}`,
	} {
		if _, err := io.WriteString(feed, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !(strings.Contains(out.String(), `"id":2`) && strings.Contains(out.String(), `"id":3`)) {
		time.Sleep(20 * time.Millisecond)
	}
	feed.Close()
	if err := <-done; err != nil {
		t.Errorf("mcp: %v (stderr %s)", err, errOut.String())
	}
	if strings.Contains(out.String(), `"isError":true`) {
		t.Errorf("a search failed: %s", out.String())
	}
	if got := oa.received()[indexed:]; len(got) != 1 || got[0] != "B: harbour wall" {
		t.Errorf("the OpenAI-compatible server got %q, want only b's query with b's prefix\n%s", got, out.String())
	}
}
