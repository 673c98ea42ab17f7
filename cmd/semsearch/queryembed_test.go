package main

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/httpapi"
)

// TestCLI_HybridHungOllama: with an Ollama that accepts connections and
// never answers, a hybrid search answers from BM25 within
// --query-embed-timeout (default 5s), long before the command's --timeout,
// and says so on stderr, in its JSON and in --explain; a vector search
// fails within the same bound saying what to do.
func TestCLI_HybridHungOllama(t *testing.T) {
	data := offlineData(t, sampleArts())
	g := []string{"--data", data, "--collection", "news", "--model", "m", "--ollama", hungOllama(t), "--timeout", "40s"}

	out, errOut, err, took := runFor(t, time.Minute, append([]string{"search", "--json", "quagga"}, g...)...)
	if err != nil || took > 8*time.Second {
		t.Fatalf("hybrid search with a hung Ollama: took %s, err %v; want BM25's answer within 5s", took, err)
	}
	var resp httpapi.SearchResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("search --json: %v: %s", err, out)
	}
	if resp.Mode != "bm25" || len(resp.Results) == 0 || resp.Results[0].DocID != "zebra.txt" ||
		len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "ranked by BM25 alone") || !strings.Contains(resp.Warnings[0], "within 5s (--query-embed-timeout)") {
		t.Errorf("hybrid search with a hung Ollama: %s", out)
	}
	if !strings.Contains(errOut, "warning: ranked by BM25 alone") {
		t.Errorf("stderr %q: want the warning", errOut)
	}

	out, _, err, took = runFor(t, time.Minute, append([]string{"search", "--query-embed-timeout", "300ms", "--explain", "quagga"}, g...)...)
	if err != nil || took > 3*time.Second || !strings.Contains(out, "vector - (the query's embedding did not arrive within 300ms (--query-embed-timeout)), bm25 ") {
		t.Errorf("hybrid search --explain with --query-embed-timeout 300ms: took %s, err %v, out %s", took, err, out)
	}

	_, _, err, took = runFor(t, time.Minute, append([]string{"search", "--mode", "vector", "--query-embed-timeout", "300ms", "quagga"}, g...)...)
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms (--query-embed-timeout)") || !strings.Contains(err.Error(), "--mode bm25") || took > 3*time.Second {
		t.Errorf("vector search with a hung Ollama: took %s, err %v", took, err)
	}

	t.Setenv("SEMSEARCH_QUERY_EMBED_TIMEOUT", "0s")
	if _, _, err, _ := runFor(t, time.Minute, append([]string{"search", "quagga"}, g...)...); err == nil || !strings.Contains(err.Error(), "--query-embed-timeout must be positive") {
		t.Errorf("SEMSEARCH_QUERY_EMBED_TIMEOUT=0s: %v", err)
	}
}

// lockedBuilder is a strings.Builder safe for a writer and a reader.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMCP_HybridHungOllama: the MCP search tool's result carries the
// warning that a hung Ollama left the answer to BM25 alone.
func TestMCP_HybridHungOllama(t *testing.T) {
	data := offlineData(t, sampleArts())
	in, feed := io.Pipe()
	var out, errOut lockedBuilder
	app := newApp(in, &out, &errOut)
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(t.Context(), interspersed(app, []string{"semsearch", "mcp", "--data", data, "--collection", "news", "--model", "m",
			"--ollama", hungOllama(t), "--query-embed-timeout", "300ms"}))
	}()
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search","arguments":{"query":"quagga"}}}`,
	} {
		if _, err := io.WriteString(feed, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(out.String(), `"id":2`) {
		time.Sleep(20 * time.Millisecond)
	}
	feed.Close()
	if err := <-done; err != nil {
		t.Errorf("mcp: %v (stderr %s)", err, errOut.String())
	}
	var resp struct {
		Result struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			Structured struct {
				Mode     string   `json:"mode"`
				Warnings []string `json:"warnings"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, `"id":2`) {
			if err := json.Unmarshal([]byte(line), &resp); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
		}
	}
	r := resp.Result
	if len(r.Content) == 0 || !strings.Contains(r.Content[0].Text, "zebra") || !strings.Contains(r.Content[0].Text, "Warning: ranked by BM25 alone") ||
		r.Structured.Mode != "bm25" || len(r.Structured.Warnings) != 1 {
		t.Errorf("MCP search with a hung Ollama: %+v; output %s", r, out.String())
	}
}
