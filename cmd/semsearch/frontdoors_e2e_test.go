package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The front doors with clients nobody here wrote: Chromium drives the search
// page, and the official MCP TypeScript SDK talks to `semsearch mcp` and
// /mcp. Both need the real runtime (make test); the browser and node are
// installed by `make chromium` and `make mcp-client`, which make test runs.

const (
	frontdoorQuestion = "Who did Trump fire the day before meeting Lavrov?"
	frontdoorKey      = "frontdoor-secret"
	// frontdoorPassage is in the passage that should answer the question.
	frontdoorPassage = "Trump's meeting with Lavrov came the day after Trump fired FBI Director James Comey"
)

// needRuntime skips unless a real Ollama is configured.
func needRuntime(t *testing.T) {
	t.Helper()
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SEMSEARCH_MODEL") == "" {
		t.Skip("needs a real Ollama: run `make test` (it starts the offline runtime and sets SEMSEARCH_TEST_OLLAMA=1, OLLAMA_HOST and SEMSEARCH_MODEL)")
	}
}

// indexedBinary builds semsearch and indexes the sample articles into a
// fresh data directory, collection "demo". It returns the binary and the
// global flags that select that data.
func indexedBinary(t *testing.T) (bin string, global []string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "semsearch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	global = []string{"--data", filepath.Join(dir, "data"), "--collection", "demo"}
	index := exec.Command(bin, append(global, "index", "../../examples/articles")...)
	if out, err := index.CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	return bin, global
}

// startServe runs `semsearch serve` on a free loopback port and returns its
// base URL; the server is killed when the test ends.
func startServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append(args, "serve", "--addr", "127.0.0.1:0", "--api-key", frontdoorKey)...)
	cmd.Env = append(os.Environ(), "SEMSEARCH_ADDR=", "SEMSEARCH_API_KEY=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs logLines
	addr := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logs.add(sc.Text())
			var entry struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "listening" {
				addr <- entry.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-exited:
		t.Fatalf("serve exited early: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start listening\n%s", logs.String())
	}
	return ""
}

// chromiumPath finds the browser: $SEMSEARCH_CHROMIUM (make test sets it,
// and then a missing browser fails the test), else chromium on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SEMSEARCH_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("SEMSEARCH_CHROMIUM=%s: %v (run `make chromium`)", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: run `make chromium` (Debian's chromium package) or `make test`, which installs it")
	return ""
}

// TestServe_browser types the demo question into the search page in real
// Chromium (after giving the page the API key), checks that the expected
// passage is shown with the query's terms highlighted, follows its link
// and checks that the cited range is highlighted and scrolled into view.
// With SEMSEARCH_SCREENSHOT=FILE.png it saves the results page there and the
// document view in FILE-doc.png (make screenshot).
func TestServe_browser(t *testing.T) {
	needRuntime(t)
	chromium := chromiumPath(t)
	bin, global := indexedBinary(t)
	base := startServe(t, bin, global...)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 1000),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	fatal := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		fatal("text of "+css, err)
		return s
	}
	screenshot := func(suffix string) {
		t.Helper()
		shot := os.Getenv("SEMSEARCH_SCREENSHOT")
		if shot == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		fatal("screenshot", err)
		path := strings.TrimSuffix(shot, ".png") + suffix + ".png"
		fatal("write screenshot", os.WriteFile(path, png, 0o644))
		t.Logf("screenshot: %s (%d bytes)", path, len(png))
	}

	// The page asks for the key once, then keeps it in a cookie.
	fatal("key form", chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=key]`)),
	))
	t.Logf("key form: %q", strings.Join(strings.Fields(text("main")), " "))
	fatal("give the key", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=key]`), frontdoorKey),
		chromedp.Submit(chromedp.CSS(`input[name=key]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=q]`)),
	))

	fatal("ask", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), frontdoorQuestion),
		chromedp.Submit(chromedp.CSS(`input[name=q]`)),
		chromedp.WaitVisible(chromedp.CSS(`#summary`)),
	))
	summary, first := text("#summary"), text("li.result .text")
	results, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("li.result").length`))
	fatal("count results", err)
	marked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("li.result .text mark")).map(m => m.textContent).join(",")`))
	fatal("highlighted terms", err)
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`li.result .title a`), "href"))
	fatal("first link", err)
	t.Logf("summary: %s", summary)
	t.Logf("first result (%d shown): %.200q; highlighted: %s", results, first, marked)
	if !strings.Contains(first, frontdoorPassage) {
		t.Errorf("the first result does not hold %q:\n%s", frontdoorPassage, first)
	}
	if !strings.Contains(marked, "Trump") || !strings.Contains(marked, "Lavrov") {
		t.Errorf("highlighted terms %q: want Trump and Lavrov among them", marked)
	}
	screenshot("")

	fatal("follow the link", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`li.result .title a`)),
		chromedp.WaitVisible(chromedp.CSS(`mark#passage`)),
		chromedp.Sleep(300*time.Millisecond), // the scroll to #passage
	))
	cited, lines := text("mark#passage"), text(`a[href="#passage"]`)
	inView, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = document.getElementById("passage").getBoundingClientRect();
		return window.scrollY > 0 && r.top >= 0 && r.top < window.innerHeight; })()`))
	fatal("scroll position", err)
	t.Logf("followed %s: cited %s, highlighted %.120q", link.Value, lines, cited)
	if strings.Join(strings.Fields(cited), " ") != strings.Join(strings.Fields(first), " ") {
		t.Errorf("highlighted range %q differs from the result's passage %q", cited, first)
	}
	if !inView {
		t.Errorf("the highlighted passage was not scrolled into view")
	}
	screenshot("-doc")

	// Open WebUI's links lead to the same view of the cited passage.
	req, _ := http.NewRequest("POST", base+"/v1/web-search", strings.NewReader(`{"query": "`+frontdoorQuestion+`", "count": 1}`))
	req.Header.Set("Authorization", "Bearer "+frontdoorKey)
	resp, err := http.DefaultClient.Do(req)
	fatal("web search", err)
	var found []struct{ Link, Title, Snippet string }
	err = json.NewDecoder(resp.Body).Decode(&found)
	resp.Body.Close()
	if err != nil || len(found) != 1 {
		t.Fatalf("web search: %d results, %v", len(found), err)
	}
	fatal("open the Open WebUI link", chromedp.Do(ctx,
		chromedp.Navigate(found[0].Link),
		chromedp.WaitVisible(chromedp.CSS(`mark#passage`)),
	))
	if got := text("mark#passage"); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(found[0].Snippet), " ") {
		t.Errorf("%s highlights %q, want the snippet %q", found[0].Link, got, found[0].Snippet)
	}
	t.Logf("Open WebUI link %s highlights its snippet", found[0].Link)
}

// mcpClient finds the official MCP TypeScript SDK installed by `make
// mcp-client` ($SEMSEARCH_MCP_CLIENT) and node.
func mcpClient(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("SEMSEARCH_MCP_CLIENT")
	node, err := exec.LookPath("node")
	switch {
	case dir == "" && err != nil:
		t.Skip("no node: the third-party MCP client test needs node and `make mcp-client`")
	case dir == "":
		t.Skip("SEMSEARCH_MCP_CLIENT is not set: run `make test` (or `make mcp-client` and set it to the directory it prints)")
	case err != nil:
		t.Fatalf("SEMSEARCH_MCP_CLIENT is set but node is missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@modelcontextprotocol/sdk/package.json")); err != nil {
		t.Fatalf("SEMSEARCH_MCP_CLIENT=%s: %v (run `make mcp-client`)", dir, err)
	}
	return node, dir
}

// TestServe_mcpThirdParty runs the official MCP TypeScript SDK's client
// (testdata/mcp-client.mjs) against `semsearch mcp` over stdio and against
// /mcp of `semsearch serve` with the API key: it lists the tools, calls
// search and reads a document resource, and an unknown argument must fail.
func TestServe_mcpThirdParty(t *testing.T) {
	needRuntime(t)
	node, sdk := mcpClient(t)
	bin, global := indexedBinary(t)

	check := func(t *testing.T, out []byte, err error) {
		t.Helper()
		t.Logf("client output:\n%s", out)
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		for _, want := range []string{
			"server: semsearch",
			"- demo: 2 documents",
			"tool: search readOnly=true input=query,collection,collections,k,mode,max_per_doc,keep_duplicates,filter",
			"tool: get_document readOnly=true",
			"search isError=false",
			"[1] ",
			"(Source: ",
			"first doc_id=russia-oval-office-photos.txt",
			"resource semsearch://demo/",
			`unknown argument: isError=true validating "arguments": validating root: unexpected additional properties ["colection"]`,
		} {
			if !strings.Contains(string(out), want) {
				t.Errorf("client output lacks %q", want)
			}
		}
		if !strings.Contains(string(out), frontdoorPassage) {
			t.Errorf("no cited passage holds %q", frontdoorPassage)
		}
	}
	t.Run("stdio", func(t *testing.T) {
		args := append([]string{"testdata/mcp-client.mjs", sdk, "stdio", frontdoorQuestion, bin}, global...)
		args = append(args, "mcp")
		cmd := exec.CommandContext(t.Context(), node, args...)
		out, err := cmd.Output() // the server's logs (stderr) are inherited, not mixed in
		check(t, out, err)
	})
	t.Run("streamable HTTP", func(t *testing.T) {
		base := startServe(t, bin, global...)
		cmd := exec.CommandContext(t.Context(), node, "testdata/mcp-client.mjs", sdk, "http", frontdoorQuestion, base+"/mcp", frontdoorKey)
		out, err := cmd.CombinedOutput()
		check(t, out, err)
		noKey := exec.CommandContext(t.Context(), node, "testdata/mcp-client.mjs", sdk, "http", frontdoorQuestion, base+"/mcp")
		if out, err := noKey.CombinedOutput(); err == nil || !strings.Contains(string(out), "401") {
			t.Errorf("without the API key the client connected: %v\n%s", err, out)
		}
	})
}
