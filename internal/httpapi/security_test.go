package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// This file replays the attacks of issue 19's security items (9-16) as a
// browser or a hostile client sends them, and checks that what docs/http-api.md
// documents (curl without Origin, the search page's own forms) still works.

// browserHeaders are what a page of another site sends with a form or a
// fetch in no-cors mode: no preflight for a text/plain body.
var crossSite = map[string]string{
	"Origin":         "https://evil.example",
	"Sec-Fetch-Site": "cross-site",
	"Content-Type":   "text/plain",
}

// TestServer_crossSiteRequests (item 9): every route that changes state,
// or reads with a POST, refuses a browser's cross-site request, while curl
// (no Origin, no Sec-Fetch-Site), the page itself (same-origin), a trusted
// --cors-origin and reads with GET keep working.
func TestServer_crossSiteRequests(t *testing.T) {
	const trusted = "https://app.example.com"
	s, eng := newTestServer(t, withFrontdoors, func(c *Config) { c.CORSOrigins = []string{trusted} })
	seed(t, s)
	doc := `{"id": "comey", "title": "Replaced", "text": "Forged text."}`
	routes := []struct{ method, target, body string }{
		{"POST", "/v1/documents", doc},
		{"DELETE", "/v1/documents/comey", ""},
		{"POST", "/v1/search", `{"query": "fired"}`},
		{"POST", "/v1/context", `{"query": "fired"}`},
		{"POST", "/retrieval", `{"knowledge_id": "news", "query": "fired"}`},
		{"POST", "/v1/web-search", `{"query": "fired"}`},
		{"POST", "/mcp", `{}`},
		{"POST", "/key", "key=x"},
	}
	refused := []struct {
		name   string
		header map[string]string
	}{
		{"cross-site text/plain", crossSite},
		{"same-site subdomain", map[string]string{"Origin": "https://a.example.com", "Sec-Fetch-Site": "same-site"}},
		{"old browser, Origin only", map[string]string{"Origin": "https://evil.example"}},
		{"cross-site form", map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}},
	}
	for _, rt := range routes {
		for _, tt := range refused {
			t.Run(rt.method+" "+rt.target+" "+tt.name, func(t *testing.T) {
				w := do(s, request{method: rt.method, target: rt.target, body: rt.body, header: tt.header})
				if w.Code != http.StatusForbidden {
					t.Fatalf("status %d, want 403: %s", w.Code, w.Body)
				}
				if status, code, msg := errorOf(t, w); status != 403 || code != "cross_origin" || !strings.Contains(msg, "--cors-origin") {
					t.Errorf("error %d %s %q: want cross_origin naming --cors-origin", status, code, msg)
				}
			})
		}
	}
	if d, err := eng.Document(t.Context(), "news", "comey"); err != nil || d.Title != "Comey fired" {
		t.Fatalf("a refused request changed the article: %+v %v", d, err)
	}

	allowed := []struct {
		name   string
		header map[string]string
	}{
		{"curl, as the docs", nil},
		{"the page itself", map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}},
		{"typed by the user", map[string]string{"Sec-Fetch-Site": "none"}},
		{"Origin of the Host, no Sec-Fetch-Site", map[string]string{"Origin": "http://example.com"}},
		{"trusted --cors-origin", map[string]string{"Origin": trusted, "Sec-Fetch-Site": "cross-site"}},
	}
	for _, tt := range allowed {
		t.Run("allowed "+tt.name, func(t *testing.T) {
			for _, rt := range routes[2:5] { // the reads: they leave the seed as it is
				if w := do(s, request{method: rt.method, target: rt.target, body: rt.body, header: tt.header}); w.Code != http.StatusOK {
					t.Errorf("%s %s: %d %s", rt.method, rt.target, w.Code, w.Body)
				}
			}
		})
	}
	// curl's POST as docs/http-api.md writes it changes the article.
	if w := do(s, request{method: "POST", target: "/v1/documents", body: doc}); w.Code != http.StatusOK {
		t.Errorf("curl POST: %d %s", w.Code, w.Body)
	}
}

// TestServer_crossSiteReads: a GET or HEAD a page of another site makes
// the browser send (an image, a no-cors fetch, a frame) is refused too:
// the page cannot read the answer, but it can time it and costs the server
// a search. curl, the page itself, a link the user followed and a trusted
// --cors-origin read as before.
func TestServer_crossSiteReads(t *testing.T) {
	const trusted = "https://app.example.com"
	s, _ := newTestServer(t, withFrontdoors, func(c *Config) { c.CORSOrigins = []string{trusted} })
	seed(t, s)
	targets := []string{"/v1/search?q=fired", "/v1/documents", "/v1/documents/comey", "/v1/collections"}
	refused := []struct {
		name   string
		header map[string]string
	}{
		{"image", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}},
		{"no-cors fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}},
		{"frame", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}},
		{"another port of localhost", map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}},
		{"old browser, Origin only", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, target := range targets {
		for _, method := range []string{"GET", "HEAD"} {
			for _, tt := range refused {
				w := do(s, request{method: method, target: target, header: tt.header})
				if w.Code != http.StatusForbidden {
					t.Errorf("%s %s, %s: status %d, want 403", method, target, tt.name, w.Code)
				}
			}
		}
		w := do(s, request{method: "GET", target: target, header: refused[0].header})
		if _, code, msg := errorOf(t, w); code != "cross_origin" || !strings.Contains(msg, "--cors-origin") {
			t.Errorf("GET %s: %s %q, want cross_origin naming --cors-origin", target, code, msg)
		}
	}
	allowed := []struct {
		name   string
		header map[string]string
	}{
		{"curl", nil},
		{"the page itself", map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}},
		{"typed by the user", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}},
		{"a link followed from another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}},
		{"trusted --cors-origin", map[string]string{"Origin": trusted, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}},
		{"Origin of the Host, no Sec-Fetch-Site", map[string]string{"Origin": "http://example.com"}},
	}
	for _, target := range targets {
		for _, tt := range allowed {
			if w := do(s, request{method: "GET", target: target, header: tt.header}); w.Code != http.StatusOK {
				t.Errorf("GET %s, %s: %d %s", target, tt.name, w.Code, w.Body)
			}
		}
	}
}

// TestServer_anyOriginTrustsEveryOrigin: --cors-origin '*' lets any page
// call the API, so cross-site POSTs are allowed there on purpose.
func TestServer_anyOriginTrustsEveryOrigin(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.CORSOrigins = []string{"*"} })
	if w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": "q"}`, header: crossSite}); w.Code != http.StatusOK {
		t.Errorf("cross-site POST with --cors-origin '*': %d %s", w.Code, w.Body)
	}
}

// loopbackServer serves s on 127.0.0.1, as `semsearch serve` does by
// default, and returns its port.
func loopbackServer(t *testing.T, s http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

// send sends a request to 127.0.0.1:port with the given Host header.
func send(t *testing.T, port, host, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://127.0.0.1:"+port+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestServer_dnsRebinding (item 10): a request that reaches the loopback
// address under another name (a rebound DNS name) gets 403 on every route,
// whatever --cors-origin says; loopback names and --allowed-hosts work.
func TestServer_dnsRebinding(t *testing.T) {
	s, _ := newTestServer(t, withFrontdoors, func(c *Config) {
		c.CORSOrigins = []string{"https://evil.example"} // trusts the origin, not the Host
		c.AllowedHosts = []string{"search.internal", "Proxy.Example:9000"}
	})
	seed(t, s)
	port := loopbackServer(t, s)
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/documents", ""},
		{"GET", "/v1/documents/comey", ""},
		{"POST", "/v1/documents", `{"id": "x", "text": "Forged."}`},
		{"POST", "/v1/search", `{"query": "fired"}`},
		{"GET", "/v1/stats", ""},
		{"GET", "/metrics", ""},
		{"GET", "/healthz", ""},
		{"GET", "/", ""},
		{"GET", "/doc?id=comey", ""},
		{"POST", "/mcp", `{}`},
		{"OPTIONS", "/v1/search", ""},
	}
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost.evil.example", "proxy.example:9001", "search.internal.evil:" + port} {
		for _, rt := range routes {
			t.Run(fmt.Sprintf("%s %s Host %q", rt.method, rt.path, host), func(t *testing.T) {
				status, body := send(t, port, host, rt.method, rt.path, rt.body, nil)
				if status != http.StatusForbidden || !strings.Contains(body, "forbidden_host") || !strings.Contains(body, "--allowed-hosts") {
					t.Errorf("status %d %s, want 403 forbidden_host naming --allowed-hosts", status, body)
				}
			})
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "app.localhost:" + port, "[::1]:" + port, "127.0.0.2", "search.internal:" + port, "SEARCH.internal", "proxy.example:9000"} {
		t.Run("allowed Host "+host, func(t *testing.T) {
			if status, body := send(t, port, host, "POST", "/v1/search", `{"query": "fired"}`, nil); status != http.StatusOK {
				t.Errorf("status %d %s", status, body)
			}
		})
	}
}

// TestServer_hostCheckOnlyOnLoopback: a server reached on another address
// (behind --addr 0.0.0.0:8080 and its own names) is not refused for its
// Host; without a local address (a handler test) neither.
func TestServer_hostCheckOnlyOnLoopback(t *testing.T) {
	s, _ := newTestServer(t)
	if w := do(s, request{method: "GET", target: "http://search.example.com/v1/stats"}); w.Code != http.StatusOK {
		t.Errorf("no local address: %d %s", w.Code, w.Body)
	}
}

func TestNew_allowedHosts(t *testing.T) {
	for _, bad := range []string{"", " ", "http://x.example", "x.example/path", "a b"} {
		_, err := New(Config{Engine: newFakeEngine(), Collection: "news", AllowedHosts: []string{bad}})
		if err == nil || !strings.Contains(err.Error(), "allowed host") {
			t.Errorf("allowed host %q: %v", bad, err)
		}
	}
}

// manyEmptyObjects returns a JSON array of empty objects of about n bytes,
// the body of item 12.
func manyEmptyObjects(n int) string {
	return "[" + strings.Repeat("{},", n/3) + "{}]"
}

// TestServer_manySmallArticles (item 12): an 8 MB body of tiny elements is
// answered early, 413 or 400, and three at once allocate a few times the
// bodies' size, not gigabytes (on the unfixed server one such body
// allocated over 1 GB). TotalAlloc bounds what the heap can have grown by,
// whatever the garbage collector did meanwhile.
func TestServer_manySmallArticles(t *testing.T) {
	s, _ := newTestServer(t)
	const size = DefaultMaxBodyBytes - 16
	bodies := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"objects", manyEmptyObjects(size), http.StatusRequestEntityTooLarge, "too_many_articles"},
		{"zeros", "[" + strings.Repeat("0,", size/2-1) + "0]", http.StatusBadRequest, "invalid_document"},
		{"nested", "[" + strings.Repeat(`{"text":"x","a":[[]]},`, size/22-1) + `{}]`, http.StatusRequestEntityTooLarge, "too_many_articles"},
		{"fields", `{"id":"a","text":"x",` + strings.Repeat(`"a":0,`, size/6-2) + `"b":0}`, http.StatusRequestEntityTooLarge, "too_many_fields"},
		{"widest accepted", widest(DefaultMaxArticles, maxArticleFields), http.StatusOK, ""},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var wg sync.WaitGroup
			codes := make([]*httptest.ResponseRecorder, 3)
			for i := range codes {
				wg.Go(func() {
					codes[i] = do(s, request{method: "POST", target: "/v1/documents", body: b.body})
				})
			}
			wg.Wait()
			runtime.ReadMemStats(&after)
			for _, w := range codes {
				if b.status == http.StatusOK {
					if w.Code != http.StatusOK {
						t.Errorf("%d %s", w.Code, short(w.Body.String(), 300))
					}
					continue
				}
				if status, code, msg := errorOf(t, w); status != b.status || code != b.code {
					t.Errorf("%d %s %q, want %d %s", status, code, msg, b.status, b.code)
				}
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("3 requests of %d bytes: %.1f MB allocated", len(b.body), float64(alloc)/(1<<20))
			limit := uint64(3*len(b.body)) * 3
			if b.status == http.StatusOK {
				limit = 300 << 20 // parsed: every field becomes a metadata entry
			}
			if alloc > limit {
				t.Errorf("3 requests allocated %d MB, want under %d MB", alloc>>20, limit>>20)
			}
		})
	}
}

// widest returns a request of n articles with the most fields allowed.
func widest(n, fields int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"w%d","text":"Wide article %d."`, i, i)
		for f := range fields - 2 {
			fmt.Fprintf(&b, `,"f%d":%d`, f, f)
		}
		b.WriteString("}")
	}
	return b.String() + "]"
}

// TestServer_maxArticles: a request may hold MaxArticles articles, not one
// more; the error says what to do.
func TestServer_maxArticles(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.MaxArticles = 3 })
	arts := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id": "a%d", "text": "Text %d."}`, i, i)
		}
		return b.String() + "]"
	}
	if w := do(s, request{method: "POST", target: "/v1/documents", body: arts(3)}); w.Code != http.StatusOK {
		t.Errorf("3 articles: %d %s", w.Code, w.Body)
	}
	w := do(s, request{method: "POST", target: "/v1/documents", body: arts(4)})
	if status, code, msg := errorOf(t, w); status != 413 || code != "too_many_articles" || !strings.Contains(msg, "--max-articles") || !strings.Contains(msg, "3") {
		t.Errorf("4 articles: %d %s %q", status, code, msg)
	}
	// One object is one article; non-objects are named.
	w = do(s, request{method: "POST", target: "/v1/documents", body: `[{"id": "a", "text": "x"}, 7]`})
	if status, code, msg := errorOf(t, w); status != 400 || !strings.Contains(msg, "element 2") {
		t.Errorf("a number in the array: %d %s %q", status, code, msg)
	}
	if _, err := New(Config{Engine: newFakeEngine(), Collection: "news", MaxArticles: -1}); err == nil {
		t.Error("negative MaxArticles accepted")
	}
}

// BenchmarkServer_manySmallArticles measures one 8 MB request of empty
// objects: allocations per request, the figure item 12 bounds.
func BenchmarkServer_manySmallArticles(b *testing.B) {
	s, err := New(Config{Engine: newFakeEngine("news"), Collection: "news"})
	if err != nil {
		b.Fatal(err)
	}
	body := manyEmptyObjects(DefaultMaxBodyBytes - 16)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		w := do(s, request{method: "POST", target: "/v1/documents", body: body})
		if w.Code != http.StatusRequestEntityTooLarge {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// TestServer_difyFilterBeforeRanking (item 16): a metadata_condition
// selects documents before ranking, so top_k 1 finds the only matching
// document even when ten others rank above it.
func TestServer_difyFilterBeforeRanking(t *testing.T) {
	s, eng := newTestServer(t)
	var b strings.Builder
	b.WriteString("[")
	for i := range 30 {
		fmt.Fprintf(&b, `{"id": "a%02d", "title": "Profit report %d", "text": "Profit rose.", "year": %d},`, i, i, 2000+i)
	}
	b.WriteString(`{"id": "z1", "title": "Labour profit", "text": "Labour spoke of profit.", "year": 1997},`)
	b.WriteString(`{"id": "z2", "title": "Labour plans", "text": "Labour plans more profit.", "year": 2005}]`)
	if w := do(s, request{method: "POST", target: "/v1/documents", body: b.String()}); w.Code != 200 {
		t.Fatalf("seed: %d %s", w.Code, w.Body)
	}
	tests := []struct {
		name, cond string
		want       []string
	}{
		{"contains", `{"conditions": [{"name": "title", "comparison_operator": "contains", "value": "Labour"}]}`, []string{"z1", "z2"}},
		{"start with", `{"conditions": [{"name": "title", "comparison_operator": "start with", "value": "Labour p"}]}`, []string{"z1", "z2"}},
		{"comparison", `{"conditions": [{"name": "year", "comparison_operator": "<", "value": 1999}]}`, []string{"z1"}},
		{"and", `{"logical_operator": "and", "conditions": [{"name": "title", "comparison_operator": "contains", "value": "Labour"}, {"name": "year", "comparison_operator": "≥", "value": "2000"}]}`, []string{"z2"}},
		{"doc_id in", `{"conditions": [{"name": "doc_id", "comparison_operator": "in", "value": ["z2", "nope"]}]}`, []string{"z2"}},
		{"nothing matches", `{"conditions": [{"name": "title", "comparison_operator": "is", "value": "No such title"}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"knowledge_id": "news", "query": "profit", "retrieval_setting": {"top_k": 2, "score_threshold": 0}, "metadata_condition": ` + tt.cond + `}`
			w := do(s, request{method: "POST", target: "/retrieval", body: body})
			var resp struct {
				Records []struct {
					Metadata map[string]any `json:"metadata"`
				} `json:"records"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var got []string
			for _, r := range resp.Records {
				got = append(got, fmt.Sprint(r.Metadata["doc_id"]))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("records %v, want %v", got, tt.want)
			}
			if tt.want != nil && len(eng.lastQuery.Filter.DocIDs) != len(tt.want) {
				t.Errorf("engine filter %v: want the matching documents' ids", eng.lastQuery.Filter.DocIDs)
			}
		})
	}
	// A condition every document meets costs the engine no filter.
	body := `{"knowledge_id": "news", "query": "profit", "retrieval_setting": {"top_k": 2, "score_threshold": 0},
		"metadata_condition": {"conditions": [{"name": "doc_id", "comparison_operator": "not empty"}]}}`
	if w := do(s, request{method: "POST", target: "/retrieval", body: body}); w.Code != 200 || !eng.lastQuery.Filter.Empty() || !strings.Contains(w.Body.String(), `"a01"`) {
		t.Errorf("all documents match: %d, engine filter %v", w.Code, eng.lastQuery.Filter.DocIDs)
	}
}

// TestJSONError_numbers (item 19): a number that does not fit an integer
// field says so, instead of "must be a number, not number 1e10".
func TestJSONError_numbers(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct{ body, want string }{
		{`{"query": "q", "k": 1e10}`, `field "k" must be a whole number written without a fraction or exponent (e.g. 5), not 1e10`},
		{`{"query": "q", "k": 2.5}`, `field "k" must be a whole number written without a fraction or exponent (e.g. 5), not 2.5`},
		{`{"query": "q", "k": 99999999999999999999}`, `field "k" must be an integer between -9223372036854775808 and 9223372036854775807, not 99999999999999999999`},
		{`{"query": "q", "k": "5"}`, `field "k" must be an integer, not string`},
	}
	for _, tt := range tests {
		w := do(s, request{method: "POST", target: "/v1/search", body: tt.body})
		if status, _, msg := errorOf(t, w); status != 400 || msg != tt.want {
			t.Errorf("%s: %d %q, want %q", tt.body, status, msg, tt.want)
		}
	}
}

// TestServer_manySmallValues (item 12 on the other routes): a small
// request shape padded with millions of tiny values (Dify conditions,
// filter ids, metadata keys) is refused before it is decoded; on the
// unfixed server one 8 MB /retrieval body allocated 945 MB.
func TestServer_manySmallValues(t *testing.T) {
	s, _ := newTestServer(t)
	size := DefaultMaxBodyBytes - 200
	bodies := []struct{ name, target, body string }{
		{"dify conditions", "/retrieval", `{"knowledge_id": "news", "query": "q", "metadata_condition": {"conditions": [` + strings.Repeat(`{},`, size/3) + `{}]}}`},
		{"filter ids", "/v1/search", `{"query": "q", "filter": {"doc_ids": [` + strings.Repeat(`"",`, size/3) + `""]}}`},
		{"filter meta", "/v1/context", `{"query": "q", "filter": {"meta": {` + strings.Repeat(`"":"",`, size/6) + `"":""}}}`},
		{"web search", "/v1/web-search", `{"query": "q", "x": [` + strings.Repeat(`0,`, size/2) + `0]}`},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			w := do(s, request{method: "POST", target: b.target, body: b.body})
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes: %d, %.1f MB allocated", len(b.body), w.Code, float64(alloc)/(1<<20))
			if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "values") {
				t.Errorf("%d %s, want 413 naming the values", w.Code, short(w.Body.String(), 200))
			}
			if limit := uint64(3 * len(b.body)); alloc > limit {
				t.Errorf("allocated %d MB, want under %d MB", alloc>>20, limit>>20)
			}
		})
	}
	// A large but plausible filter still works.
	ids := `"a"` + strings.Repeat(`, "a"`, 9999)
	if w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": "q", "filter": {"doc_ids": [` + ids + `]}}`}); w.Code != http.StatusOK {
		t.Errorf("10000 filter ids: %d %s", w.Code, short(w.Body.String(), 200))
	}
}

// TestServer_difyFilterRealEngine (item 16 with the real engine and the
// embedded store): "profit" ranks thirty other articles above the two
// Labour ones, and top_k 2 with the condition title contains "Labour"
// still finds both.
func TestServer_difyFilterRealEngine(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, bagEmbedder{}, engine.Config{Model: "bag", Mode: engine.Vector,
		Chunk: chunk.Options{Unit: chunk.Words, Size: 20, Overlap: 0, Max: 30}, BatchPassages: 8})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, func(c *Config) { c.Engine = eng })
	var b strings.Builder
	b.WriteString("[")
	for i := range 30 {
		fmt.Fprintf(&b, `{"id": "a%02d", "title": "Report %d", "text": "Profit rose %d."},`, i, i, i)
	}
	b.WriteString(`{"id": "z1", "title": "Labour profit", "text": "Labour spoke of profit."},`)
	b.WriteString(`{"id": "z2", "title": "Labour plans", "text": "Labour plans more profit."}]`)
	if w := do(s, request{method: "POST", target: "/v1/documents", body: b.String()}); w.Code != 200 {
		t.Fatalf("seed: %d %s", w.Code, w.Body)
	}
	body := `{"knowledge_id": "news", "query": "profit", "retrieval_setting": {"top_k": 2, "score_threshold": 0},
		"metadata_condition": {"conditions": [{"name": "title", "comparison_operator": "contains", "value": "Labour"}]}}`
	w := do(s, request{method: "POST", target: "/retrieval", body: body})
	var resp struct {
		Records []struct {
			Title string `json:"title"`
		} `json:"records"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got []string
	for _, r := range resp.Records {
		got = append(got, r.Title)
	}
	if len(got) != 2 || !strings.Contains(got[0]+got[1], "Labour profit") || !strings.Contains(got[0]+got[1], "Labour plans") {
		t.Errorf("records %q, want both Labour articles", got)
	}
}
