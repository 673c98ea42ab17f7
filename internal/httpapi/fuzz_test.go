package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServer_requests sends arbitrary requests to every route: the server
// decodes whatever arrives without panicking, never answers 5xx to a bad
// request, and always answers JSON errors.
func FuzzServer_requests(f *testing.F) {
	routes := []struct{ method, path string }{
		{"POST", "/v1/search"}, {"GET", "/v1/search"}, {"POST", "/v1/context"},
		{"POST", "/v1/documents"}, {"GET", "/v1/documents"}, {"GET", "/v1/documents/"},
		{"DELETE", "/v1/documents/"}, {"GET", "/v1/collections"}, {"GET", "/v1/stats"},
	}
	seeds := []struct {
		route       uint8
		query, body string
	}{
		{0, "", `{"query": "Comey", "k": 3, "mode": "hybrid", "filter": {"after": "2017-01-01"}}`},
		{0, "", `{"query": "x", "k": -1, "min_score": "a"}`},
		{1, "q=Comey&k=2&meta.section=politics&after=2017-05-01", ""},
		{1, "q=%ff&k=1e9", ""},
		{2, "", `{"query": "why", "budget_tokens": 200}`},
		{3, "collection=news", articlesJSON},
		{3, "", `[{"id": "a", "text": "x"}, 1, null, {"_id": ""}]`},
		{3, "", `{"id": "\u0000", "text": "x", "published": "yesterday"}`},
		{4, "offset=-1&limit=99999", ""},
		{5, "collection=news", "politics%2F12.txt"},
		{6, "", "x"},
		{0, "", strings.Repeat("[", 1000)},
	}
	for _, s := range seeds {
		f.Add(s.route, s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, query string, body []byte) {
		for _, special := range []string{queryPanic, querySlow, queryUnreachable, queryNoModel, queryInternal, "needs-ollama"} {
			if strings.Contains(query+string(body), special) {
				return // the fake engine fails on purpose
			}
		}
		rt := routes[int(route)%len(routes)]
		target := rt.path
		if strings.HasSuffix(target, "/") {
			// The body seeds the document id for the {id} routes.
			target += string(body)
			body = nil
		}
		if query != "" {
			target += "?" + query
		}
		if strings.ContainsAny(target, " \t\r\n#") || !strings.HasPrefix(target, "/") {
			return // not a request line a client can send
		}
		var r *http.Request
		func() {
			defer func() {
				if recover() != nil {
					r = nil // httptest.NewRequest rejects a malformed target
				}
			}()
			r = httptest.NewRequest(rt.method, target, bytes.NewReader(body))
		}()
		if r == nil {
			return
		}
		r.Header.Set("Content-Type", "application/json")
		s, _ := newTestServer(t, func(c *Config) { c.Logger = nil; c.RequestTimeout = 5 * time.Second })
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s with body %q: %d %s", rt.method, target, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s: %d with a body that is no JSON error: %s", rt.method, target, w.Code, w.Body)
			}
		}
	})
}
