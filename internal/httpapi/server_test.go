package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/engine"
)

// decodeBody decodes a JSON response into v, failing on anything else.
func decodeBody(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
}

// errorOf returns the status and error code of an error response.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) (int, string, string) {
	t.Helper()
	var body ErrorBody
	decodeBody(t, w, &body)
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error body without code or message: %s", w.Body)
	}
	return w.Code, body.Error.Code, body.Error.Message
}

const articlesJSON = `[
 {"id": "politics/12.txt", "title": "Comey fired", "text": "President Trump fired FBI director James Comey on Tuesday.\n\nLawmakers were shocked.",
  "url": "https://example.com/comey", "published": "2017-05-09", "author": "A. Reporter", "section": "politics"},
 {"_id": "sport/3.txt", "title": "Cup final", "body": "The club won the cup final on penalties.", "source": "sport desk", "published": "2017-05-20"}
]`

func TestServer_documentsLifecycle(t *testing.T) {
	s, _ := newTestServer(t)

	w := do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON})
	if w.Code != http.StatusOK {
		t.Fatalf("POST /v1/documents: %d %s", w.Code, w.Body)
	}
	var st IndexResponse
	decodeBody(t, w, &st)
	if st.Collection != "news" || st.Documents != 2 || st.New != 2 || st.Passages != 2 {
		t.Errorf("first index: %+v", st)
	}
	w = do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON})
	decodeBody(t, w, &st)
	if st.Unchanged != 2 || st.New != 0 || st.Passages != 0 {
		t.Errorf("second index of the same articles: %+v", st)
	}

	// One object, into another collection (created on first use).
	w = do(s, request{method: "POST", target: "/v1/documents?collection=other", body: `{"id": "x", "content": "Some text."}`})
	decodeBody(t, w, &st)
	if w.Code != http.StatusOK || st.Collection != "other" || st.New != 1 {
		t.Errorf("single object: %d %+v", w.Code, st)
	}

	var list DocumentsResponse
	w = do(s, request{method: "GET", target: "/v1/documents"})
	decodeBody(t, w, &list)
	if list.Total != 2 || len(list.Documents) != 2 || list.Limit != defaultLimit || list.Documents[0].ID != "politics/12.txt" {
		t.Fatalf("list: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), `"text"`) {
		t.Errorf("listing holds text: %s", w.Body)
	}
	w = do(s, request{method: "GET", target: "/v1/documents?offset=1&limit=1"})
	decodeBody(t, w, &list)
	if list.Total != 2 || len(list.Documents) != 1 || list.Documents[0].ID != "sport/3.txt" {
		t.Errorf("second page: %s", w.Body)
	}

	// Ids with slashes, plain or escaped.
	for _, target := range []string{"/v1/documents/politics/12.txt", "/v1/documents/politics%2F12.txt"} {
		w = do(s, request{method: "GET", target: target})
		var doc struct {
			ID, Text, Source, Author string
			Meta                     map[string]string
			Published                time.Time
		}
		decodeBody(t, w, &doc)
		if w.Code != http.StatusOK || doc.ID != "politics/12.txt" || !strings.Contains(doc.Text, "Comey") {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		if doc.Source != "https://example.com/comey" || doc.Author != "A. Reporter" || doc.Meta["section"] != "politics" ||
			!doc.Published.Equal(time.Date(2017, 5, 9, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("metadata lost: %s", w.Body)
		}
	}
	w = do(s, request{method: "GET", target: "/v1/documents/sport/3.txt"})
	if !strings.Contains(w.Body.String(), `"source":"sport desk"`) || strings.Contains(w.Body.String(), `"meta"`) {
		t.Errorf("source field should become Source, not metadata: %s", w.Body)
	}

	w = do(s, request{method: "DELETE", target: "/v1/documents/politics/12.txt"})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"deleted":"politics/12.txt"`) {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		w = do(s, request{method: m, target: "/v1/documents/politics/12.txt"})
		if code, c, _ := errorOf(t, w); code != http.StatusNotFound || c != "not_found" {
			t.Errorf("%s after delete: %d %s", m, code, c)
		}
	}

	var cols CollectionsResponse
	w = do(s, request{method: "GET", target: "/v1/collections"})
	decodeBody(t, w, &cols)
	if cols.Default != "news" || len(cols.Collections) != 2 || cols.Collections[0].Name != "news" {
		t.Errorf("collections: %s", w.Body)
	}
	var stats StatsResponse
	w = do(s, request{method: "GET", target: "/v1/stats"})
	decodeBody(t, w, &stats)
	if stats.Model != "fake" || stats.Collections != 2 || stats.Documents != 2 || stats.DefaultCollection != "news" {
		t.Errorf("stats: %s", w.Body)
	}
}

func TestServer_search(t *testing.T) {
	s, eng := newTestServer(t)
	if w := do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON}); w.Code != http.StatusOK {
		t.Fatal(w.Body)
	}

	w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": " Who was fired? ", "k": 1,
		"filter": {"doc_ids": ["politics/12.txt"], "meta": {"author": "A. Reporter"}, "after": "2017-05-01", "before": "2017-06-01T00:00:00Z"}}`})
	if w.Code != http.StatusOK {
		t.Fatalf("POST /v1/search: %d %s", w.Code, w.Body)
	}
	var raw struct {
		Query, Model, Collection string
		TookMS                   float64 `json:"took_ms"`
		Results                  []map[string]any
	}
	decodeBody(t, w, &raw)
	if raw.Query != "Who was fired?" || raw.Model != "fake" || raw.Collection != "news" || raw.TookMS != 1.5 || len(raw.Results) != 1 {
		t.Fatalf("response: %s", w.Body)
	}
	for _, field := range []string{"doc_id", "title", "source", "chunk", "start", "end", "line_start", "line_end", "score", "text", "rank", "citation"} {
		if _, ok := raw.Results[0][field]; !ok {
			t.Errorf("result lacks %q: %v", field, raw.Results[0])
		}
	}
	q := eng.lastQuery
	want := engine.Query{Text: "Who was fired?", K: 1, MinScore: -1}
	if q.Text != want.Text || q.K != want.K || q.MinScore != want.MinScore ||
		!slices.Equal(q.Filter.DocIDs, []string{"politics/12.txt"}) || q.Filter.Meta["author"] != "A. Reporter" ||
		!q.Filter.After.Equal(time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)) ||
		!q.Filter.Before.Equal(time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("engine got %+v", q)
	}

	// GET says the same with parameters.
	w = do(s, request{method: "GET", target: "/v1/search?q=Who+was+fired%3F&k=1&min_score=0.2&doc_id=a&doc_id=b&after=2017-05-01&meta.author=A.+Reporter&collection=news"})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /v1/search: %d %s", w.Code, w.Body)
	}
	q = eng.lastQuery
	if q.Text != "Who was fired?" || q.K != 1 || q.MinScore != float32(0.2) || !slices.Equal(q.Filter.DocIDs, []string{"a", "b"}) ||
		q.Filter.Meta["author"] != "A. Reporter" || q.Filter.After.IsZero() || eng.lastCol != "news" {
		t.Errorf("GET: engine got %+v in %q", q, eng.lastCol)
	}

	// Defaults: k 5, every score, no filter, identical passages folded.
	do(s, request{method: "GET", target: "/v1/search?q=fired"})
	if q = eng.lastQuery; q.K != 5 || q.MinScore != -1 || !q.Filter.Empty() || q.KeepDuplicates {
		t.Errorf("defaults: %+v", q)
	}
	for _, req := range []request{
		{method: "GET", target: "/v1/search?q=fired&keep_duplicates=true"},
		{method: "POST", target: "/v1/search", body: `{"query": "fired", "keep_duplicates": true}`},
	} {
		eng.lastQuery = engine.Query{}
		if w := do(s, req); w.Code != http.StatusOK || !eng.lastQuery.KeepDuplicates {
			t.Errorf("%s %s: %d, engine got %+v", req.method, req.target, w.Code, eng.lastQuery)
		}
	}
}

func TestServer_context(t *testing.T) {
	s, _ := newTestServer(t)
	do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON})

	w := do(s, request{method: "POST", target: "/v1/context", body: `{"query": "Who was fired?"}`})
	if w.Code != http.StatusOK {
		t.Fatalf("POST /v1/context: %d %s", w.Code, w.Body)
	}
	var resp ContextResponse
	decodeBody(t, w, &resp)
	if resp.Passages != 2 || resp.Dropped != 0 || resp.MaxChars != defaultMaxChars || len(resp.Results) != 2 || len(resp.Sources) != 2 {
		t.Fatalf("context: %s", w.Body)
	}
	if !strings.HasPrefix(resp.Context, "[1] President Trump fired") || !strings.Contains(resp.Context, "\n(Source: \"Comey fired\", https://example.com/comey, line 1)\n\n[2] ") {
		t.Errorf("context block:\n%s", resp.Context)
	}
	if resp.Chars != len([]rune(resp.Context)) || resp.Tokens != (resp.Chars+3)/4 {
		t.Errorf("chars %d tokens %d for a block of %d characters", resp.Chars, resp.Tokens, len([]rune(resp.Context)))
	}

	// A budget that holds one passage drops the other.
	first := strings.SplitN(resp.Context, "\n\n[2]", 2)[0]
	body := fmt.Sprintf(`{"query": "Who was fired?", "max_chars": %d}`, len([]rune(first)))
	w = do(s, request{method: "POST", target: "/v1/context", body: body})
	decodeBody(t, w, &resp)
	if resp.Passages != 1 || resp.Dropped != 1 || resp.Context != first || len(resp.Sources) != 1 {
		t.Errorf("tight budget: %s", w.Body)
	}
	w = do(s, request{method: "POST", target: "/v1/context", body: `{"query": "Who was fired?", "max_tokens": 1}`})
	resp = ContextResponse{}
	decodeBody(t, w, &resp)
	if resp.Passages != 0 || resp.Dropped != 2 || resp.Context != "" || resp.MaxTokens != 1 || resp.MaxChars != 0 {
		t.Errorf("budget too small for any passage: %s", w.Body)
	}
}

// TestServer_badRequests sends requests that are wrong in every way the API
// knows, and checks that each gets its 4xx, as JSON, and never a 5xx.
func TestServer_badRequests(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
	if w := do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON}); w.Code != http.StatusOK {
		t.Fatal(w.Body)
	}
	long := strings.Repeat("word ", 1000)
	tests := []struct {
		method, target, body string
		status               int
		code                 string
	}{
		{"POST", "/v1/search", `{"query":`, 400, "malformed_json"},
		{"POST", "/v1/search", `{"query": "x",}`, 400, "malformed_json"},
		{"POST", "/v1/search", `{"query": "x"} {"query": "y"}`, 400, "malformed_json"},
		{"POST", "/v1/search", `{"query": "x", "kk": 3}`, 400, "unknown_field"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"authors": "y"}}`, 400, "unknown_field"},
		{"POST", "/v1/search", "{\"query\": \"caf\xe9\"}", 400, "invalid_utf8"},
		{"POST", "/v1/search", ``, 400, "empty_body"},
		{"POST", "/v1/search", `[{"query": "x"}]`, 400, "invalid_request"},
		{"POST", "/v1/search", `{"query": 5}`, 400, "invalid_request"},
		{"POST", "/v1/search", `{"query": "x", "k": "5"}`, 400, "invalid_request"},
		{"POST", "/v1/search", `{"query": "x", "k": 2.5}`, 400, "invalid_request"},
		{"POST", "/v1/search", `{}`, 400, "invalid_query"},
		{"POST", "/v1/search", `{"query": " \n "}`, 400, "invalid_query"},
		{"POST", "/v1/search", `{"query": "` + long + `"}`, 400, "invalid_query"},
		{"POST", "/v1/search", `{"query": "x", "k": 0}`, 400, "invalid_k"},
		{"POST", "/v1/search", `{"query": "x", "k": 1001}`, 400, "invalid_k"},
		{"POST", "/v1/search", `{"query": "x", "k": -3}`, 400, "invalid_k"},
		{"POST", "/v1/search", `{"query": "x", "min_score": -1.5}`, 400, "invalid_min_score"},
		{"POST", "/v1/search", `{"query": "x", "mode": "fuzzy"}`, 400, "invalid_mode"},
		{"POST", "/v1/search", `{"query": "x", "mmr": 2}`, 400, "invalid_mmr"},
		{"POST", "/v1/search", `{"query": "x", "max_per_doc": -1}`, 400, "invalid_max_per_doc"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"doc_prefix": "a\u001b"}}`, 400, "invalid_filter"},
		{"GET", "/v1/search?q=x&doc_prefix=a%1B", "", 400, "invalid_filter"},
		{"GET", "/v1/search?q=x&explain=maybe", ``, 400, "invalid_parameter"},
		{"GET", "/v1/search?q=x&mode=fuzzy", ``, 400, "invalid_mode"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"after": "May 2017"}}`, 400, "invalid_filter"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"before": "2017-13-01"}}`, 400, "invalid_filter"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"after": "2017-06-01", "before": "2017-05-01"}}`, 400, "invalid_filter"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"meta": {"year": 2017}}}`, 400, "invalid_request"},
		{"POST", "/v1/search", `{"query": "x", "filter": {"doc_ids": [""]}}`, 400, "invalid_filter"},
		{"POST", "/v1/search", `{"query": "x", "collection": "../etc"}`, 400, "invalid_collection"},
		{"POST", "/v1/search", `{"query": "x", "collection": "nope"}`, 404, "not_found"},
		{"POST", "/v1/search", `{"query": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "body_too_large"},
		{"POST", "/v1/search", `{"query": "` + queryMismatch + `"}`, 409, "settings_mismatch"},
		{"GET", "/v1/search", ``, 400, "invalid_query"},
		{"GET", "/v1/search?q=x&k=abc", ``, 400, "invalid_parameter"},
		{"GET", "/v1/search?q=x&k=0", ``, 400, "invalid_k"},
		{"GET", "/v1/search?q=x&q=y", ``, 400, "invalid_parameter"},
		{"GET", "/v1/search?q=x&foo=1", ``, 400, "unknown_parameter"},
		{"GET", "/v1/search?q=x&after=yesterday", ``, 400, "invalid_filter"},
		{"GET", "/v1/search?q=%FF", ``, 400, "invalid_utf8"},
		{"GET", "/v1/search?q=x&min_score=high", ``, 400, "invalid_parameter"},
		{"POST", "/v1/context", `{"query": "x", "max_chars": 0}`, 400, "invalid_budget"},
		{"POST", "/v1/context", `{"query": "x", "max_tokens": -5}`, 400, "invalid_budget"},
		{"POST", "/v1/context", `{"query": "x", "max_chars": 100, "max_tokens": 100}`, 400, "invalid_budget"},
		{"POST", "/v1/context", `{"query": ""}`, 400, "invalid_query"},
		{"POST", "/v1/context", `{"query": "x", "budget": 5}`, 400, "unknown_field"},
		{"POST", "/v1/documents", `{"id": "a", "text": `, 400, "malformed_json"},
		{"POST", "/v1/documents", `"just a string"`, 400, "invalid_request"},
		{"POST", "/v1/documents", `[]`, 400, "invalid_document"},
		{"POST", "/v1/documents", `{"id": "a", "title": "no text"}`, 400, "invalid_document"},
		{"POST", "/v1/documents", `{"text": "no id"}`, 400, "invalid_document"},
		{"POST", "/v1/documents", `[{"id": "a", "text": "fine"}, {"text": "no id"}, 7]`, 400, "invalid_document"},
		{"POST", "/v1/documents", `{"id": "a\u0007b", "text": "control character in the id"}`, 400, "invalid_document"},
		{"POST", "/v1/documents", "{\"id\": \"a\", \"text\": \"\xff\xfe\"}", 400, "invalid_utf8"},
		{"POST", "/v1/documents?collection=bad/name", `{"id": "a", "text": "x"}`, 400, "invalid_collection"},
		{"POST", "/v1/documents?colection=x", `{"id": "a", "text": "x"}`, 400, "unknown_parameter"},
		{"POST", "/v1/documents", `{"id": "a", "text": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "body_too_large"},
		{"GET", "/v1/documents?limit=0", ``, 400, "invalid_parameter"},
		{"GET", "/v1/documents?limit=1001", ``, 400, "invalid_parameter"},
		{"GET", "/v1/documents?offset=-1", ``, 400, "invalid_parameter"},
		{"GET", "/v1/documents?limit=ten", ``, 400, "invalid_parameter"},
		{"GET", "/v1/documents?collection=nope", ``, 404, "not_found"},
		{"GET", "/v1/documents/missing.txt", ``, 404, "not_found"},
		{"GET", "/v1/documents/politics/12.txt?collection=nope", ``, 404, "not_found"},
		{"DELETE", "/v1/documents/missing.txt", ``, 404, "not_found"},
		{"GET", "/v1/nope", ``, 404, "route_not_found"},
		{"GET", "/v1/search/", ``, 404, "route_not_found"},
		{"PUT", "/v1/search", `{"query": "x"}`, 405, "method_not_allowed"},
		{"GET", "/v1/context", ``, 405, "method_not_allowed"},
		{"DELETE", "/v1/documents", ``, 405, "method_not_allowed"},
		{"POST", "/v1/documents/a.txt", `{}`, 405, "method_not_allowed"},
		{"POST", "/healthz", ``, 405, "method_not_allowed"},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-6s %-58s %-50s -> %s\n", "METHOD", "TARGET", "BODY", "STATUS CODE")
	for _, tt := range tests {
		w := do(s, request{method: tt.method, target: tt.target, body: tt.body})
		status, code, msg := errorOf(t, w)
		fmt.Fprintf(&table, "%-6s %-58s %-50s -> %d %s\n", tt.method, short(tt.target, 58), short(tt.body, 50), status, code)
		if status >= 500 {
			t.Errorf("%s %s %s: %d %s: %s (a bad request must not be a 5xx)", tt.method, tt.target, short(tt.body, 50), status, code, msg)
			continue
		}
		if status != tt.status || code != tt.code {
			t.Errorf("%s %s %s: got %d %s (%s), want %d %s", tt.method, tt.target, short(tt.body, 50), status, code, msg, tt.status, tt.code)
		}
		if status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow header", tt.method, tt.target)
		}
	}
	t.Logf("bad requests:\n%s", table.String())
}

// short quotes s for the table, cut to n characters.
func short(s string, n int) string {
	q := fmt.Sprintf("%q", s)
	if s == "" {
		q = "-"
	}
	if len(q) > n {
		q = q[:n-3] + "..."
	}
	return q
}

func TestServer_dependencyErrors(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond })
	tests := []struct {
		name, method, target, body string
		status                     int
		code, inMessage            string
	}{
		{"ollama down", "POST", "/v1/search", `{"query": "` + queryUnreachable + `"}`, 503, "ollama_unreachable", "ollama serve"},
		{"model missing", "POST", "/v1/context", `{"query": "` + queryNoModel + `"}`, 503, "model_missing", "ollama pull"},
		{"ollama down while indexing", "POST", "/v1/documents", `{"id": "needs-ollama", "text": "x"}`, 503, "ollama_unreachable", "ollama serve"},
		{"timeout", "GET", "/v1/search?q=a+slow+question", ``, 504, "timeout", "--request-timeout"},
		{"unexpected", "POST", "/v1/search", `{"query": "` + queryInternal + `"}`, 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, request{method: tt.method, target: tt.target, body: tt.body})
			status, code, msg := errorOf(t, w)
			if status != tt.status || code != tt.code || !strings.Contains(msg, tt.inMessage) {
				t.Errorf("got %d %s %q, want %d %s with %q", status, code, msg, tt.status, tt.code, tt.inMessage)
			}
			if strings.Contains(msg, "input/output") {
				t.Errorf("500 leaks the error: %q", msg)
			}
		})
	}
}

func TestServer_recoversPanics(t *testing.T) {
	var logs bytes.Buffer
	s, _ := newTestServer(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": "` + queryPanic + `"}`})
	if status, code, _ := errorOf(t, w); status != 500 || code != "internal" {
		t.Errorf("panic answered %d %s", status, code)
	}
	if !strings.Contains(logs.String(), `"msg":"panic serving request"`) || !strings.Contains(logs.String(), "fake engine: boom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
	// The server still works.
	if w := do(s, request{method: "GET", target: "/healthz"}); w.Code != 200 {
		t.Errorf("after a panic: %d", w.Code)
	}
}

func TestServer_auth(t *testing.T) {
	const key = "s3cret-key"
	tests := []struct {
		name, key, target, header string
		status                    int
	}{
		{"no key configured", "", "/v1/stats", "", 200},
		{"healthz is open", key, "/healthz", "", 200},
		{"missing", key, "/v1/stats", "", 401},
		{"wrong", key, "/v1/stats", "Bearer nope", 401},
		{"prefix of the key", key, "/v1/stats", "Bearer s3cret", 401},
		{"wrong scheme", key, "/v1/stats", "Basic " + key, 401},
		{"right", key, "/v1/stats", "Bearer " + key, 200},
		{"scheme is case-insensitive", key, "/v1/stats", "bearer " + key, 200},
		{"readyz needs it", key, "/readyz", "", 401},
		{"metrics need it", key, "/metrics", "", 401},
		{"openapi needs it", key, "/openapi.json", "", 401},
		{"unknown routes too", key, "/nope", "", 401},
		{"unknown route with key", key, "/nope", "Bearer " + key, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.APIKey = tt.key })
			req := request{method: "GET", target: tt.target}
			if tt.header != "" {
				req.header = map[string]string{"Authorization": tt.header}
			}
			w := do(s, req)
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if w.Code == 401 {
				if _, code, _ := errorOf(t, w); code != "unauthorized" || w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without code or WWW-Authenticate: %v %s", w.Header(), w.Body)
				}
			}
		})
	}
}

func TestServer_cors(t *testing.T) {
	const origin = "https://app.example.com"
	preflight := map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}

	t.Run("off", func(t *testing.T) {
		s, _ := newTestServer(t)
		// A page of another origin may not read, and gets no CORS headers.
		w := do(s, request{method: "GET", target: "/v1/stats", header: map[string]string{"Origin": origin}})
		if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("cross-origin GET without --cors-origin: %d %v", w.Code, w.Header())
		}
		w = do(s, request{method: "OPTIONS", target: "/v1/search", header: preflight})
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code < 400 || w.Code >= 500 {
			t.Errorf("preflight without CORS: %d %v", w.Code, w.Header())
		}
	})
	t.Run("allowed origin", func(t *testing.T) {
		s, _ := newTestServer(t, func(c *Config) { c.CORSOrigins = []string{origin}; c.APIKey = "k" })
		w := do(s, request{method: "OPTIONS", target: "/v1/search", header: preflight})
		h := w.Header()
		if w.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight (needs no key): %d %v", w.Code, h)
		}
		w = do(s, request{method: "GET", target: "/v1/stats", header: map[string]string{"Origin": origin, "Authorization": "Bearer k"}})
		if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != origin || !slices.Contains(w.Header().Values("Vary"), "Origin") {
			t.Errorf("actual request: %d %v", w.Code, w.Header())
		}
	})
	t.Run("other origin", func(t *testing.T) {
		s, _ := newTestServer(t, func(c *Config) { c.CORSOrigins = []string{origin} })
		hdr := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
		w := do(s, request{method: "OPTIONS", target: "/v1/search", header: hdr})
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code == http.StatusNoContent {
			t.Errorf("preflight from another origin: %d %v", w.Code, w.Header())
		}
		w = do(s, request{method: "GET", target: "/v1/stats", header: map[string]string{"Origin": "https://evil.example"}})
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("CORS header for another origin: %v", w.Header())
		}
	})
	t.Run("any origin", func(t *testing.T) {
		s, _ := newTestServer(t, func(c *Config) { c.CORSOrigins = []string{"*"} })
		w := do(s, request{method: "OPTIONS", target: "/v1/documents/a/b.txt", header: preflight})
		if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight with *: %d %v", w.Code, w.Header())
		}
	})
}

func TestServer_bodyLimit(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 100 })
	small := `{"id": "a", "text": "short"}`
	if w := do(s, request{method: "POST", target: "/v1/documents", body: small}); w.Code != 200 {
		t.Fatalf("small body: %d %s", w.Code, w.Body)
	}
	big := `{"id": "a", "text": "` + strings.Repeat("long ", 30) + `"}`
	w := do(s, request{method: "POST", target: "/v1/documents", body: big})
	if status, code, msg := errorOf(t, w); status != 413 || code != "body_too_large" || !strings.Contains(msg, "100 bytes") {
		t.Errorf("big body: %d %s %q", status, code, msg)
	}
}

func TestServer_readyz(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		checks string
	}{
		{"ready", nil, 200, "store=ok ollama=ok model=ok"},
		{"ollama down", fmt.Errorf("check ollama: %w", errFakeUnreachable), 503, "store=ok ollama=fail:ollama_unreachable model=skipped"},
		{"model missing", fmt.Errorf("check ollama: %w", errFakeModel), 503, "store=ok ollama=ok model=fail:model_missing"},
		{"other failure", fmt.Errorf("check ollama: model %q is not an embedding model", "llama"), 503, "store=ok ollama=fail:internal model=skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.Checker = &fakeChecker{err: tt.err} })
			w := do(s, request{method: "GET", target: "/readyz"})
			var resp readyResponse
			decodeBody(t, w, &resp)
			var got []string
			for _, c := range resp.Checks {
				s := c.Name + "=" + c.Status
				if c.Code != "" {
					s += ":" + c.Code
				}
				if c.Status == "fail" && c.Error == "" {
					t.Errorf("failed check %s says nothing", c.Name)
				}
				got = append(got, s)
			}
			if w.Code != tt.status || strings.Join(got, " ") != tt.checks {
				t.Errorf("got %d %s, want %d %s", w.Code, strings.Join(got, " "), tt.status, tt.checks)
			}
		})
	}
	s, _ := newTestServer(t)
	if w := do(s, request{method: "GET", target: "/healthz"}); w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
}

// hungChecker waits for its context to end, like a check against an Ollama
// that accepts connections and never answers.
type hungChecker struct{}

func (hungChecker) Check(ctx context.Context) error {
	<-ctx.Done()
	return fmt.Errorf("check ollama: %w", ctx.Err())
}

func TestServer_readyzTimeout(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Checker = hungChecker{}; c.ReadyTimeout = 50 * time.Millisecond })
	w := do(s, request{method: "GET", target: "/readyz"})
	var resp readyResponse
	decodeBody(t, w, &resp)
	if w.Code != 503 || len(resp.Checks) < 2 {
		t.Fatalf("got %d %+v", w.Code, resp)
	}
	c := resp.Checks[1]
	if c.Name != "ollama" || c.Status != "fail" || c.Code != "timeout" || !strings.Contains(c.Error, "ollama did not answer within 50ms") {
		t.Errorf("ollama check %+v, want a fail saying ollama timed out", c)
	}
}

// damagedKeywords is an engine whose BM25 index cannot be searched.
type damagedKeywords struct{ *fakeEngine }

func (damagedKeywords) CheckKeywords(context.Context) error {
	return fmt.Errorf("BM25 index of %q: %w", "news", engine.ErrKeywordsDamaged)
}

func TestServer_readyzKeywords(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Engine = damagedKeywords{newFakeEngine("news")} })
	w := do(s, request{method: "GET", target: "/readyz"})
	var resp readyResponse
	decodeBody(t, w, &resp)
	if w.Code != 503 || resp.Status != "not_ready" || len(resp.Checks) < 2 {
		t.Fatalf("got %d %+v", w.Code, resp)
	}
	if c := resp.Checks[1]; c.Name != "bm25" || c.Status != "fail" || !strings.Contains(c.Error, "damaged") {
		t.Errorf("bm25 check %+v", c)
	}
}

type fixedCache struct{ st engine.CacheStats }

func (c fixedCache) Stats() engine.CacheStats { return c.st }

func TestServer_metrics(t *testing.T) {
	m := NewMetrics()
	s, _ := newTestServer(t, func(c *Config) {
		c.Metrics = m
		c.Cache = fixedCache{engine.CacheStats{Entries: 3, Capacity: 8, Hits: 5, Misses: 7}}
	})
	emb := m.Embedder(fakeEmbedder{})
	if _, err := emb.EmbedQuery(t.Context(), "q"); err != nil {
		t.Fatal(err)
	}
	if _, err := emb.EmbedDocuments(t.Context(), []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	do(s, request{method: "POST", target: "/v1/documents", body: articlesJSON})
	do(s, request{method: "GET", target: "/v1/documents/politics/12.txt"})
	do(s, request{method: "GET", target: "/no/such/route"})

	w := do(s, request{method: "GET", target: "/metrics"})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %v", w.Code, w.Header())
	}
	body := w.Body.String()
	for _, want := range []string{
		`semsearch_http_requests_total{method="POST",route="/v1/documents",status="200"} 1`,
		`semsearch_http_requests_total{method="GET",route="/v1/documents/{id:.+}",status="200"} 1`,
		`semsearch_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`semsearch_http_request_duration_seconds_bucket{method="POST",route="/v1/documents",status="200",le=`,
		`semsearch_embed_duration_seconds_count{op="query"} 1`,
		`semsearch_embed_duration_seconds_count{op="documents"} 1`,
		`semsearch_documents{collection="news"} 2`,
		`semsearch_passages{collection="news"} 2`,
		`semsearch_query_cache_hits_total 5`,
		`semsearch_query_cache_misses_total 7`,
		`semsearch_query_cache_entries 3`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "politics/12.txt") {
		t.Error("metrics hold a document id")
	}
	if _, err := New(Config{Engine: newFakeEngine(), Collection: "news", Metrics: m}); err == nil {
		t.Error("a second server on the same Metrics should be refused")
	}
}

type fakeEmbedder struct{}

func (fakeEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	return make([][]float32, len(texts)), nil
}

func (fakeEmbedder) EmbedQuery(context.Context, string) ([]float32, error) { return []float32{1}, nil }

func TestServer_accessLog(t *testing.T) {
	for _, logQueries := range []bool{false, true} {
		t.Run(fmt.Sprintf("log-queries=%t", logQueries), func(t *testing.T) {
			var mu sync.Mutex
			var logs bytes.Buffer
			s, _ := newTestServer(t, func(c *Config) {
				c.LogQueries = logQueries
				c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
			})
			do(s, request{method: "POST", target: "/v1/search", body: `{"query": "private question"}`})
			mu.Lock()
			line := logs.String()
			mu.Unlock()
			var entry map[string]any
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Fatalf("access log is not one JSON line: %q", line)
			}
			for _, k := range []string{"method", "route", "status", "duration_ms", "bytes"} {
				if _, ok := entry[k]; !ok {
					t.Errorf("access log lacks %s: %s", k, line)
				}
			}
			if entry["route"] != "/v1/search" || entry["status"] != float64(200) {
				t.Errorf("access log: %s", line)
			}
			if got := strings.Contains(line, "private question"); got != logQueries {
				t.Errorf("query in log = %t with LogQueries %t: %s", got, logQueries, line)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestNew_config(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no engine", Config{Collection: "news"}},
		{"no collection", Config{Engine: newFakeEngine()}},
		{"invalid collection", Config{Engine: newFakeEngine(), Collection: "a/b", ValidCollection: validName.MatchString}},
		{"negative timeout", Config{Engine: newFakeEngine(), Collection: "news", RequestTimeout: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}
