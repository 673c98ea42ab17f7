package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
)

// serveInTest runs `semsearch serve` with flags g (and extra) until the test
// ends, and returns its URL from DATA/SERVER.
func serveInTest(t *testing.T, data string, g []string, extra ...string) string {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	exited := make(chan struct{})
	var code int
	var serveErr bytes.Buffer
	go func() {
		defer close(exited)
		app := newApp(strings.NewReader(""), &bytes.Buffer{}, &serveErr)
		code = runMain(ctx, app, append(append([]string{"semsearch", "serve", "--addr", "127.0.0.1:0"}, g...), extra...), &serveErr)
	}()
	t.Cleanup(func() {
		stop()
		<-exited
	})
	for range 400 {
		if url := runningServer(data); url != "" {
			return url
		}
		select {
		case <-exited:
			t.Fatalf("serve exited with %d: %s", code, serveErr.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not announce its address: %s", serveErr.String())
	return ""
}

// Issue 21 item 1: `index --server` stores exactly what a local index
// stores: Markdown without its front matter in passages and with its
// fields, HTML cited by lines of the file, the format and the content hash,
// stdin with --id and --title, JSON Lines with --id-prefix.
func TestIndexServer_sameAsLocal(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes", "fired.md"), "---\ntitle: Comey fired\nauthor: A. Reporter\ndate: 2017-05-09\ntags: [politics, fbi]\n---\n\n"+
		"# Comey fired\n\nPresident Trump fired FBI director James Comey on Tuesday.\n\nThe firing shocked lawmakers in Washington.\n")
	writeFile(t, filepath.Join(dir, "page.html"), "<!doctype html>\n<html>\n<head>\n<title>Rivers | Site</title>\n"+
		"<meta property=\"article:published_time\" content=\"2020-01-02\">\n</head>\n<body>\n<nav>Home | About</nav>\n<article>\n"+
		"<h1>Rivers</h1>\n<p>Rivers and lakes are\nfull of fish.</p>\n\n<p>Salmon swim upstream\nto spawn.</p>\n</article>\n</body>\n</html>\n")
	writeFile(t, filepath.Join(dir, "items.jsonl"), `{"id": "j1", "title": "Snow", "text": "Mountains and snow."}`+"\n"+`{"id": "j2", "text": "Deserts and sand."}`+"\n")
	writeFile(t, filepath.Join(dir, "latin1.txt"), "Caf\xe9 cr\xe8me\n\nA bad byte or two.\n")
	stdin := "Standard input\n\nA note piped in.\n"
	g := f.flags(data)
	args := []string{"index", "--id-prefix", "p/", "--id", "piped", "--title", "Piped note", dir, "-"}
	if _, errOut, code := runExit(t, stdin, append(append(args, g...), "-c", "local")...); code != 0 {
		t.Fatalf("local index: %s", errOut)
	}
	url := serveInTest(t, data, g)
	out, errOut, code := runExit(t, stdin, append(append(args, "--server", url), g...)...)
	if code != 0 || !strings.Contains(out, `indexed "default" through `+url+": 6 new") {
		t.Fatalf("index --server: %d %q %q", code, out, errOut)
	}
	// The same collection name through the server: move it aside by
	// indexing into "remote" instead.
	if _, errOut, code := runExit(t, stdin, append(append(args, "--server", url, "-c", "remote"), g...)...); code != 0 {
		t.Fatalf("index --server -c remote: %s", errOut)
	}

	cl, err := httpapi.NewClient(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	dump := func(col string) string {
		t.Helper()
		list, err := cl.Documents(ctx, col, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, s := range list.Documents {
			d, err := cl.Document(ctx, col, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "doc %s format=%s hash=%s title=%q source=%s author=%q published=%s meta=%v passages=%d\ntext=%q\n",
				d.ID, d.Format, d.Hash, d.Title, d.Source, d.Author, d.Published.Format(time.RFC3339), d.Meta, d.Passages, d.Text)
			k := engine.MaxK
			resp, err := cl.Search(ctx, httpapi.SearchRequest{Query: "fired rivers snow sand note byte", K: &k, Mode: "vector",
				Collection: col, Filter: &httpapi.Filter{DocIDs: []string{d.ID}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.Results {
				fmt.Fprintf(&b, "  chunk %d [%d,%d) lines %d-%d %s %q\n", r.Chunk, r.Start, r.End, r.LineStart, r.LineEnd, r.Citation, r.Text)
			}
		}
		return b.String()
	}
	local, remote, def := dump("local"), dump("remote"), dump("default")
	if local != remote || local != def {
		t.Errorf("local and --server differ:\nlocal:\n%s\nremote:\n%s", local, remote)
	}
	for _, want := range []string{
		"doc p/notes/fired.md format=markdown", `title="Comey fired"`, `author="A. Reporter"`, "published=2017-05-09T00:00:00Z",
		"doc p/page.html format=html", `doc p/latin1.txt format=text`, `Café crème`, "doc p/j1 format=json", `doc p/piped format=text`, `title="Piped note"`,
	} {
		if !strings.Contains(local, want) {
			t.Errorf("documents lack %s:\n%s", want, local)
		}
	}
	// The passages as a local index cuts and cites them: front matter
	// left out, HTML cited by the lines of the file.
	for _, want := range []string{"[87,205) lines 8-12 \"Comey fired\"", "page.html, lines 10-15"} {
		if !strings.Contains(local, want) {
			t.Errorf("passages lack %s:\n%s", want, local)
		}
	}
}

// index --server keeps within the server's --max-articles and --max-body:
// a batch the server refuses with 413 is sent again in halves, and a file
// too large alone is named.
func TestIndexServer_limits(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	for i := range 7 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.txt", i)), fmt.Sprintf("Note %d\n\n%s\n", i, strings.Repeat("words of a note ", 40)))
	}
	g := f.flags(data)
	url := serveInTest(t, data, g, "--max-articles", "2", "--max-body", "3000")
	out, errOut, code := runExit(t, "", append([]string{"index", "--server", url, dir}, g...)...)
	if code != 0 || !strings.Contains(out, ": 7 new") {
		t.Fatalf("index --server: %d %q %q", code, out, errOut)
	}
	big := t.TempDir()
	writeFile(t, filepath.Join(big, "big.txt"), "Big\n\n"+strings.Repeat("a long line of words ", 200)+"\n")
	_, errOut, code = runExit(t, "", append([]string{"index", "--server", url, big}, g...)...)
	if code == 0 || !strings.Contains(errOut, "big.txt is too large for the server in one request") || !strings.Contains(errOut, "--max-body") {
		t.Errorf("index --server of a file over --max-body: %d %q", code, errOut)
	}
}

// Issue 21 item 14: while serve runs on the data directory, index, search
// and delete go through it by themselves and say so on stderr once;
// --no-server refuses; a missing key names --server-key and
// SEMSEARCH_API_KEY.
func TestCLI_usesRunningServer(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	g := f.flags(data)
	url := serveInTest(t, data, g)
	note := "going through the running server " + url
	out, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	if code != 0 || !strings.Contains(out, "through "+url+": 1 new") || strings.Count(errOut, note) != 1 {
		t.Errorf("index while serving: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"search", "fish"}, g...)...)
	if code != 0 || !strings.Contains(out, "a.txt") || !strings.Contains(out, "hybrid search") || strings.Count(errOut, note) != 1 {
		t.Errorf("search while serving: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"search", "--no-server", "fish"}, g...)...)
	if code == 0 || strings.Contains(errOut, note) || !strings.Contains(errOut, "--server "+url) {
		t.Errorf("search --no-server while serving: %d %q", code, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"delete", "a.txt"}, g...)...)
	if code != 0 || !strings.Contains(out, "deleted 1 of 1 article through "+url) {
		t.Errorf("delete while serving: %d %q %q", code, out, errOut)
	}

	// A server with a key: the message names the options, not the header.
	keyed := t.TempDir()
	kurl := serveInTest(t, keyed, f.flags(keyed), "--api-key", "s3cret")
	t.Setenv("SEMSEARCH_API_KEY", "")
	_, errOut, code = runExit(t, "", append([]string{"search", "--server", kurl, "fish"}, f.flags(keyed)...)...)
	if code == 0 || !strings.Contains(errOut, "--server-key KEY or SEMSEARCH_API_KEY") {
		t.Errorf("search --server without its key: %d %q", code, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"search", "--server", kurl, "--server-key", "s3cret", "fish"}, f.flags(keyed)...)...)
	if !strings.Contains(errOut, `collection "default" does not exist`) {
		t.Errorf("search --server with its key: %d %q %q", code, out, errOut)
	}
	// A crashed server's address is ignored.
	stale := t.TempDir()
	writeFile(t, filepath.Join(stale, serverFileName), "http://127.0.0.1:1\n")
	out, errOut, code = runExit(t, "", append([]string{"index", dir}, f.flags(stale)...)...)
	if code != 0 || strings.Contains(errOut, "going through") || strings.Contains(out, "through http") {
		t.Errorf("index with a stale DATA/SERVER: %d %q %q", code, out, errOut)
	}
}

// A request the server could not finish (Ollama down) fails index
// --server with the server's message, after a summary of what it stored.
func TestIndexServer_failure(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	g := f.flags(data)
	url := serveInTest(t, data, g)
	f.fail.Store(true)
	out, errOut, code := runExit(t, "", append([]string{"index", "--server", url, dir}, g...)...)
	if code == 0 || !strings.Contains(out, "0 new") || !strings.Contains(errOut, "index --server: server "+url) || !strings.Contains(errOut, "no document was stored") {
		t.Errorf("index --server with Ollama failing: %d %q %q", code, out, errOut)
	}
}
