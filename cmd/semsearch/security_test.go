package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// serveWithFake runs `semsearch serve` on 127.0.0.1 with the fake Ollama
// and returns its base URL; the server stops when the test ends.
func serveWithFake(t *testing.T, args ...string) string {
	t.Helper()
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	return serveInTest(t, data, f.flags(data), args...)
}

// browse sends one request as curl or a browser would, with a Host header
// of its own when host is set.
func browse(t *testing.T, method, target, host, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// curl is what `curl -s URL -d BODY` sends: a form content type, no Origin,
// no Sec-Fetch-Site.
var curl = map[string]string{"User-Agent": "curl/8.5.0", "Accept": "*/*", "Content-Type": "application/x-www-form-urlencoded"}

// TestServe_browserAttacks (issue 19, items 9, 10 and 12 on the default
// setup): the curl examples of docs/http-api.md and the page work; a cross-site page,
// a rebound DNS name and a body of too many articles are refused.
func TestServe_browserAttacks(t *testing.T) {
	t.Setenv("SEMSEARCH_ALLOWED_HOSTS", "search.internal, proxy.example:9000,")
	base := serveWithFake(t, "--max-articles", "2")
	u, _ := url.Parse(base)
	_, port, _ := net.SplitHostPort(u.Host)

	// The HTTP API examples of docs/http-api.md, as curl sends them.
	steps := []struct{ method, path, body string }{
		{"POST", "/v1/documents", `{"id": "note-1", "title": "A note", "text": "The meeting moved to Friday."}`},
		{"GET", "/v1/search?q=Who+was+fired%3F&k=2", ""},
		{"POST", "/v1/search", `{"query": "When is the meeting?", "k": 3, "explain": true}`},
		{"POST", "/v1/context", `{"query": "When is the meeting?", "max_chars": 2000}`},
		{"GET", "/v1/documents/note-1", ""},
		{"GET", "/readyz", ""},
	}
	for _, s := range steps {
		if resp, body := browse(t, s.method, base+s.path, "", s.body, curl); resp.StatusCode != http.StatusOK {
			t.Errorf("curl %s %s: %d %s", s.method, s.path, resp.StatusCode, body)
		}
	}

	// Item 9: a page of another site posts text/plain (no preflight).
	forged := `{"id": "note-1", "title": "Forged", "text": "Forged text."}`
	resp, body := browse(t, "POST", base+"/v1/documents", "", forged,
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/v1/search", "/v1/context", "/retrieval", "/v1/web-search", "/mcp"} {
		resp, body := browse(t, "POST", base+path, "", `{"query": "meeting", "knowledge_id": "default"}`,
			map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if _, body := browse(t, "GET", base+"/v1/documents/note-1", "", "", nil); !strings.Contains(body, "A note") {
		t.Errorf("the note changed: %s", body)
	}

	// The page: opened by the user, then its own search form.
	page := map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}
	if resp, body := browse(t, "GET", base+"/", "", "", page); resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/"`) {
		t.Errorf("page: %d", resp.StatusCode)
	}
	form := map[string]string{"Sec-Fetch-Site": "same-origin", "Referer": base + "/"}
	if resp, body := browse(t, "GET", base+"/?q=meeting", "", "", form); resp.StatusCode != http.StatusOK || !strings.Contains(body, "A note") {
		t.Errorf("page search: %d %s", resp.StatusCode, body)
	}

	// Item 10: DNS rebinding: another name for 127.0.0.1.
	for _, path := range []string{"/v1/documents", "/", "/doc?id=note-1", "/healthz"} {
		if resp, body := browse(t, "GET", base+path, "evil.example:"+port, "", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s with Host evil.example: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := browse(t, "POST", base+"/v1/documents", "evil.example:"+port, forged, curl); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with Host evil.example: %d %s", resp.StatusCode, body)
	}
	mcpInit := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	mcpHeader := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
	for _, host := range []string{"localhost:" + port, "search.internal:" + port, "proxy.example:9000"} { // SEMSEARCH_ALLOWED_HOSTS
		if resp, body := browse(t, "GET", base+"/v1/documents", host, "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
		if resp, body := browse(t, "POST", base+"/mcp", host, mcpInit, mcpHeader); resp.StatusCode != http.StatusOK {
			t.Errorf("/mcp with Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
	if resp, body := browse(t, "POST", base+"/mcp", "evil.example", mcpInit, mcpHeader); resp.StatusCode != http.StatusForbidden {
		t.Errorf("/mcp with Host evil.example: %d %s", resp.StatusCode, body)
	}

	// Item 12: --max-articles.
	three := `[{"id": "a", "text": "A."}, {"id": "b", "text": "B."}, {"id": "c", "text": "C."}]`
	if resp, body := browse(t, "POST", base+"/v1/documents", "", three, curl); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "--max-articles") {
		t.Errorf("3 articles with --max-articles 2: %d %s", resp.StatusCode, body)
	}
}

// TestServe_keyForm (items 11 and 14 through serve): the page's own key
// form logs in with any key and goes back to a path of this site only; a
// page of another site cannot post it.
func TestServe_keyForm(t *testing.T) {
	const key = `pa;ss"wörd`
	base := serveWithFake(t, "--api-key", key)
	same := map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"}

	resp, body := browse(t, "GET", base+"/?q=meeting", "", "", map[string]string{"Sec-Fetch-Site": "none"})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `action="/key"`) {
		t.Fatalf("page without the key: %d", resp.StatusCode)
	}
	resp, body = browse(t, "POST", base+"/key", "", url.Values{"key": {key}, "next": {"/?q=meeting"}}.Encode(), same)
	cookie := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?q=meeting" || cookie == "" {
		t.Fatalf("key form: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	sent := map[string]string{"Cookie": strings.SplitN(cookie, ";", 2)[0], "Sec-Fetch-Site": "same-origin"}
	if resp, body := browse(t, "GET", base+"/?q=meeting", "", "", sent); resp.StatusCode != http.StatusOK {
		t.Errorf("page with the cookie for key %q: %d %s", key, resp.StatusCode, body)
	}
	resp, _ = browse(t, "POST", base+"/key", "", url.Values{"key": {key}, "next": {"/\t/evil.example/x"}}.Encode(), same)
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("open redirect: Location %q", loc)
	}
	cross := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}
	if resp, body := browse(t, "POST", base+"/key", "", url.Values{"forget": {"1"}}.Encode(), cross); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site forget: %d %s", resp.StatusCode, body)
	}
	// docs/http-api.md's curl with the key.
	auth := map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/x-www-form-urlencoded"}
	if resp, body := browse(t, "POST", base+"/v1/documents", "", `{"id": "note-1", "text": "The meeting moved to Friday."}`, auth); resp.StatusCode != http.StatusOK {
		t.Errorf("curl with the key: %d %s", resp.StatusCode, body)
	}
}

// TestServe_securityFlagsChecked: bad values are usage errors (exit 2).
func TestServe_securityFlagsChecked(t *testing.T) {
	f := newFakeOllama(t, "fake")
	for _, args := range [][]string{
		{"--allowed-hosts", "http://search.example.com"},
		{"--allowed-hosts", "search.example.com/x"},
		{"--max-articles", "0"},
	} {
		_, errOut, code := runExit(t, "", append(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), f.flags(t.TempDir())...)...)
		if code != 2 || !strings.Contains(errOut, strings.TrimPrefix(args[0], "--")[:5]) {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

// TestServe_crossSiteInChromium (item 9 in a real browser): a page of
// another site auto-submits a text/plain form to the API of a default
// (no key, loopback) server, the attack of the issue, and makes the browser
// search it with an image and a no-cors fetch; Chromium's own Origin and
// Sec-Fetch-Site make the server refuse all three, while the search page's
// own key and forget forms, submitted by Chromium, work.
func TestServe_crossSiteInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	base := serveWithFake(t, "--api-key", `pa;ss"wörd`)
	open := serveWithFake(t) // the default setup: no key
	if resp, body := browse(t, "POST", open+"/v1/documents", "", `{"id": "note-1", "title": "A note", "text": "The meeting moved to Friday."}`, curl); resp.StatusCode != http.StatusOK {
		t.Fatalf("seed: %d %s", resp.StatusCode, body)
	}

	// The attacker's page, on localhost: another site than 127.0.0.1.
	attack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/reads" {
			// Searches whose answers the page cannot read, but can time.
			fmt.Fprintf(w, `<!doctype html><script>
				const img = new Promise(done => { const i = new Image(); i.onload = i.onerror = done; i.src = "%[1]s/v1/search?q=meeting+image" });
				const f = fetch("%[1]s/v1/search?q=meeting+fetch", {mode: "no-cors"}).catch(() => {});
				Promise.all([img, f]).then(() => { document.title = "done" });
				</script>`, open)
			return
		}
		fmt.Fprintf(w, `<!doctype html><form method="post" enctype="text/plain" action="%s/v1/documents">`+
			`<input type="hidden" name='{"id": "note-1", "title": "Forged", "text": "Forged text.", "pad": "' value='"}'></form>`+
			`<script>document.forms[0].submit()</script>`, open)
	}))
	defer attack.Close()
	attackURL := strings.Replace(attack.URL, "127.0.0.1", "localhost", 1)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(attackURL+"/reads"),
		chromedp.Poll[chromedp.Void](`document.title == "done"`),
	); err != nil {
		t.Fatalf("attack page, reads: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(attackURL),
		chromedp.Poll[chromedp.Void](`location.href.includes("/v1/documents")`),
		chromedp.WaitReady(chromedp.CSS("body")),
	); err != nil {
		t.Fatalf("attack page: %v", err)
	}
	landed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the browser was answered: %s", landed)
	if !strings.Contains(landed, "cross_origin") {
		t.Errorf("the forged POST was not refused: %s", landed)
	}
	if _, body := browse(t, "GET", open+"/v1/documents/note-1", "", "", nil); !strings.Contains(body, "A note") {
		t.Errorf("the article changed: %s", body)
	}
	// The image and the fetch reached the server and were refused: no
	// search was answered.
	_, metrics := browse(t, "GET", open+"/metrics", "", "", nil)
	refusedReads, answered := 0, 0
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(line, "semsearch_http_requests_total{") || !strings.Contains(line, `route="/v1/search"`) {
			continue
		}
		n, _ := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
		switch {
		case strings.Contains(line, `status="403"`):
			refusedReads += n
		case strings.Contains(line, `status="200"`):
			answered += n
		}
	}
	if refusedReads != 2 || answered != 0 {
		t.Errorf("cross-site searches: %d refused, %d answered; want 2 refused, none answered\n%s", refusedReads, answered, metrics)
	}

	// The page's own forms, in the same browser: the key, then forget.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/?q=meeting"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=key]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=key]`), `pa;ss"wörd`),
		chromedp.Submit(chromedp.CSS(`input[name=key]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=q]`)),
	); err != nil {
		t.Fatalf("key form: %v", err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "forget the API key") {
		t.Errorf("after the key form, the page shows no forget button:\n%.500s", html)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`footer button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=key]`)),
	); err != nil {
		t.Fatalf("forget form: %v", err)
	}
}
