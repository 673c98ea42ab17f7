package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildBinary builds semsearch into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "semsearch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// mcpProcess is a `semsearch mcp` speaking JSON-RPC over its stdin and
// stdout, one message a line.
type mcpProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
	nextID int
}

func startMCP(t *testing.T, bin string, args ...string) *mcpProcess {
	t.Helper()
	p := &mcpProcess{t: t, cmd: exec.Command(bin, append(args, "mcp")...)}
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 1<<20), 8<<20)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("mcp stderr:\n%s", p.stderr.String())
		}
	})
	p.call("initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]string{"name": "test", "version": "1"}})
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return p
}

func (p *mcpProcess) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		p.t.Fatalf("write to mcp: %v", err)
	}
}

// rpcReply is a JSON-RPC response.
type rpcReply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// read returns the next response (skipping notifications).
func (p *mcpProcess) read() rpcReply {
	p.t.Helper()
	for {
		if !p.out.Scan() {
			p.t.Fatalf("mcp closed its output: %v\nstderr:\n%s", p.out.Err(), p.stderr.String())
		}
		var r rpcReply
		if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
			p.t.Fatalf("mcp wrote a line that is not JSON: %q", p.out.Text())
		}
		if r.ID != nil {
			return r
		}
	}
}

// call sends a request and returns its result.
func (p *mcpProcess) call(method string, params any) json.RawMessage {
	p.t.Helper()
	p.nextID++
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": p.nextID, "method": method, "params": params})
	p.send(string(b))
	r := p.read()
	if string(r.ID) != fmt.Sprint(p.nextID) {
		p.t.Fatalf("%s: answer to id %s, want %d", method, r.ID, p.nextID)
	}
	if r.Error != nil {
		p.t.Fatalf("%s: %d %s", method, r.Error.Code, r.Error.Message)
	}
	return r.Result
}

// searchTool is the search tool's result.
type searchTool struct {
	IsError           bool `json:"isError"`
	Content           []struct{ Text string }
	StructuredContent struct {
		Mode     string
		Warnings []string
		Results  []struct {
			DocID string `json:"doc_id"`
		}
	}
}

func (p *mcpProcess) search(query string) searchTool {
	p.t.Helper()
	var out searchTool
	raw := p.call("tools/call", map[string]any{"name": "search", "arguments": map[string]any{"query": query}})
	if err := json.Unmarshal(raw, &out); err != nil {
		p.t.Fatalf("search result %s: %v", raw, err)
	}
	return out
}

// TestMCP_readerBesideServe: a read-only `semsearch mcp` that searched
// before `semsearch serve` started does not break serve (it held the BM25
// index's lock, and serve's searches and writes failed with 500 until mcp
// exited); beside the running serve, mcp answers its hybrid searches by
// vectors and says so in the tool result and on stderr. Two processes, the
// real binary, a fake Ollama.
func TestMCP_readerBesideServe(t *testing.T) {
	f := newFakeOllama(t, "fake-embed")
	bin := buildBinary(t)
	global := append(f.flags(filepath.Join(t.TempDir(), "data")), "--collection", "demo")
	if out, err := exec.Command(bin, append(global, "index", "../../examples/articles")...).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}

	m := startMCP(t, bin, global...)
	if res := m.search("Comey fired"); res.IsError || res.StructuredContent.Mode != "hybrid" || len(res.StructuredContent.Results) == 0 {
		t.Fatalf("mcp search before serve: %+v", res)
	}

	// One bad line costs that message only (item 15 of issue 19).
	m.send("not json \x1b[2J")
	if r := m.read(); r.Error == nil || r.Error.Code != -32700 || string(r.ID) != "null" {
		t.Errorf("mcp answer to a line that is not JSON: %+v, want a -32700 parse error", r)
	}

	base := startServe(t, bin, global...)
	client := &http.Client{Timeout: time.Minute}
	post := func(path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+frontdoorKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/v1/search", `{"query":"Comey fired","mode":"hybrid"}`); code != 200 {
		t.Errorf("serve's hybrid search beside a read-only mcp: %d %s", code, body)
	}
	if code, body := post("/v1/documents", `[{"id":"okapi","title":"Okapi","text":"Okapi\n\nOkapi sightings in the Ituri forest."}]`); code != 200 {
		t.Errorf("serve's write beside a read-only mcp: %d %s", code, body)
	}

	res := m.search("Comey fired")
	if res.IsError || res.StructuredContent.Mode != "vector" || len(res.StructuredContent.Results) == 0 {
		t.Errorf("mcp search beside serve: %+v, want vector results", res)
	}
	if w := res.StructuredContent.Warnings; len(w) == 0 || !strings.Contains(w[0], "searched by vectors only") || !strings.Contains(w[0], "/mcp") {
		t.Errorf("mcp search beside serve: warnings %q, want one saying vectors only and naming /mcp", w)
	}
	if len(res.Content) == 0 || !strings.Contains(res.Content[0].Text, "Warning: searched by vectors only") {
		t.Errorf("mcp search beside serve: text %+v lacks the warning", res.Content)
	}
	m.in.Close()
	if err := m.cmd.Wait(); err != nil {
		t.Errorf("mcp exit: %v", err)
	}
	if !strings.Contains(m.stderr.String(), "searched by vectors only") {
		t.Errorf("mcp stderr does not say it searched by vectors only:\n%s", m.stderr.String())
	}
}
