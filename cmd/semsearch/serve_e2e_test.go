package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServe_endToEnd builds the real binary, serves the two sample articles
// with the real Ollama, asks the demo question over HTTP and stops the
// server with SIGTERM.
func TestServe_endToEnd(t *testing.T) {
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SEMSEARCH_MODEL") == "" {
		t.Skip("needs a real Ollama: run `make test` (it starts the offline runtime and sets SEMSEARCH_TEST_OLLAMA=1, OLLAMA_HOST and SEMSEARCH_MODEL)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "semsearch")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	const key = "e2e-secret"
	cmd := exec.Command(bin, "--data", filepath.Join(dir, "data"), "--collection", "e2e",
		"serve", "--addr", "127.0.0.1:0", "--api-key", key)
	cmd.Env = append(os.Environ(), "SEMSEARCH_ADDR=", "SEMSEARCH_API_KEY=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs logLines
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			logs.add(line)
			var entry struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "listening" {
				addr <- entry.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // fails harmlessly once it has exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-exited:
		t.Fatalf("serve exited early: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start listening\n%s", logs.String())
	}

	client := &http.Client{Timeout: 2 * time.Minute}
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, base+path, r)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}

	if code, body := call("GET", "/readyz", nil); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}

	// The sample articles as JSON documents.
	paths, _ := filepath.Glob("../../examples/articles/*.txt")
	if len(paths) != 2 {
		t.Fatalf("want the two sample articles, found %v", paths)
	}
	var docs []map[string]string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		title, _, _ := strings.Cut(string(data), "\n")
		docs = append(docs, map[string]string{
			"id": filepath.Base(p), "title": strings.TrimSpace(title), "text": string(data),
			"source": "examples/articles/" + filepath.Base(p),
		})
	}
	code, body := call("POST", "/v1/documents", docs)
	var st struct{ New, Passages int }
	if json.Unmarshal(body, &st); code != 200 || st.New != 2 || st.Passages == 0 {
		t.Fatalf("POST /v1/documents: %d %s", code, body)
	}
	t.Logf("indexed: %s", body)

	const question = "Who did Trump fire the day before meeting Lavrov?"
	code, body = call("POST", "/v1/search", map[string]any{"query": question, "k": 3})
	var resp struct {
		Results []struct {
			DocID    string `json:"doc_id"`
			Text     string `json:"text"`
			Citation string `json:"citation"`
			Score    float64
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || code != 200 || len(resp.Results) == 0 {
		t.Fatalf("POST /v1/search: %d %s", code, body)
	}
	found := false
	for i, r := range resp.Results {
		t.Logf("[%d] %.3f %s: %.100q", i+1, r.Score, r.Citation, r.Text)
		found = found || strings.Contains(r.Text, "Comey")
	}
	if !found {
		t.Errorf("no passage in the top 3 mentions Comey")
	}

	code, body = call("POST", "/v1/context", map[string]any{"query": question, "k": 3, "max_chars": 4000})
	if code != 200 || !bytes.Contains(body, []byte(`[1] `)) || !bytes.Contains(body, []byte(`(Source: `)) {
		t.Errorf("POST /v1/context: %d %s", code, body)
	}
	if code, body := call("GET", "/metrics", nil); code != 200 || !bytes.Contains(body, []byte(`semsearch_embed_duration_seconds_count{op="query"}`)) {
		t.Errorf("metrics: %d", code)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no \"stopped\" log line")
	}
}

// logLines collects a process's log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintln(strings.Join(l.lines, "\n"))
}
