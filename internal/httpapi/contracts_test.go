package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

// withFrontdoors adds stand-ins for the front doors serve mounts (the MCP
// endpoint and the search page), so the router matches openapi.json.
func withFrontdoors(cfg *Config) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("front door " + r.URL.Path))
	})
	cfg.Frontdoors = []Frontdoor{
		{Path: "/mcp", Methods: []string{http.MethodPost}, Handler: ok},
		{Path: "/", Methods: []string{http.MethodGet}, Handler: ok, OwnAuth: true},
		{Path: "/doc", Methods: []string{http.MethodGet}, Handler: ok, OwnAuth: true},
		{Path: "/key", Methods: []string{http.MethodPost}, Handler: ok, OwnAuth: true},
	}
	cfg.PassageLink = func(col string, r engine.Result) string {
		return "/doc?collection=" + url.QueryEscape(col) + "&id=" + url.QueryEscape(r.DocID) + "#passage"
	}
}

// seed indexes two documents into the test server's collection "news".
func seed(t *testing.T, s *Server) {
	t.Helper()
	w := do(s, request{method: "POST", target: "/v1/documents", body: `[
		{"id": "comey", "title": "Comey fired", "text": "President Trump fired FBI director James Comey on Tuesday.", "author": "A. Writer", "published": "2017-05-10", "topic": "politics"},
		{"id": "bananas", "title": "Breakfast", "text": "I like bananas and apples for breakfast."}]`})
	if w.Code != http.StatusOK {
		t.Fatalf("seed: %d %s", w.Code, w.Body)
	}
}

// TestServer_difyRetrieval posts the request bodies of Dify's External
// Knowledge API documentation
// (https://docs.dify.ai/en/use-dify/knowledge/external-knowledge-api: a
// bearer key; {knowledge_id, query, retrieval_setting: {top_k,
// score_threshold}, metadata_condition?}) and checks the documented answer
// {"records": [{content, score, title, metadata}]} and error form
// {error_code, error_msg}.
func TestServer_difyRetrieval(t *testing.T) {
	const key = "dify-key"
	s, eng := newTestServer(t, func(c *Config) { c.APIKey = key })
	auth := map[string]string{"Authorization": "Bearer " + key}
	w := do(s, request{method: "POST", target: "/v1/documents", header: auth, body: `[
		{"id": "comey", "title": "Comey fired", "text": "President Trump fired FBI director James Comey on Tuesday."},
		{"id": "bananas", "title": "Breakfast", "text": "I like bananas and apples for breakfast."}]`})
	if w.Code != http.StatusOK {
		t.Fatalf("seed: %d %s", w.Code, w.Body)
	}

	type record struct {
		Content  *string         `json:"content"`
		Score    *float64        `json:"score"`
		Title    *string         `json:"title"`
		Metadata json.RawMessage `json:"metadata"`
	}
	tests := []struct {
		name    string
		body    string
		records []string // titles, in order
	}{
		{"documented example", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 2, "score_threshold": 0.5}}`,
			[]string{"Breakfast", "Comey fired"}},
		{"threshold disabled", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 1, "score_threshold": 0.0}}`,
			[]string{"Breakfast"}},
		{"threshold above every score", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 2, "score_threshold": 1.01}}`,
			[]string{}},
		{"metadata condition is", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 2, "score_threshold": 0.0},
			"metadata_condition": {"logical_operator": "and", "conditions": [{"name": "doc_id", "comparison_operator": "is", "value": "comey"}]}}`,
			[]string{"Comey fired"}},
		{"metadata condition or/contains", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 5, "score_threshold": 0.0},
			"metadata_condition": {"logical_operator": "or", "conditions": [{"name": "title", "comparison_operator": "contains", "value": "Break"}, {"name": "doc_id", "comparison_operator": "in", "value": ["comey"]}]}}`,
			[]string{"Breakfast", "Comey fired"}},
		{"metadata condition not empty", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 5, "score_threshold": 0.0},
			"metadata_condition": {"conditions": [{"name": "author", "comparison_operator": "not empty"}]}}`,
			[]string{}},
		{"fields Dify may add later are ignored", `{"knowledge_id": "news", "query": "Who was fired?", "retrieval_setting": {"top_k": 1, "score_threshold": 0.0}, "user": "x"}`,
			[]string{"Breakfast"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, request{method: "POST", target: "/retrieval", body: tt.body, header: auth})
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var resp struct {
				Records []record `json:"records"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Records == nil {
				t.Fatalf("want {\"records\": [...]}, got %s (%v)", w.Body, err)
			}
			var titles []string
			for _, r := range resp.Records {
				if r.Content == nil || r.Score == nil || r.Title == nil {
					t.Errorf("record lacks content, score or title: %+v", r)
					continue
				}
				if len(r.Metadata) == 0 || r.Metadata[0] != '{' {
					t.Errorf("record metadata %s: want an object, never null", r.Metadata)
				}
				var md map[string]any
				json.Unmarshal(r.Metadata, &md)
				if md["doc_id"] == nil || md["citation"] == nil {
					t.Errorf("metadata %s lacks doc_id or citation", r.Metadata)
				}
				titles = append(titles, *r.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tt.records, "|") {
				t.Errorf("records %q, want %q", titles, tt.records)
			}
			// score_threshold applies to the scores returned, never as the
			// engine's min score (a cosine in hybrid mode).
			if q := eng.lastQuery; eng.lastCol != "news" || q.MinScore != -1 {
				t.Errorf("searched %q with min score %g, want news and -1 (none)", eng.lastCol, q.MinScore)
			}
		})
	}

	errs := []struct {
		name   string
		header map[string]string
		body   string
		status int
		code   int
	}{
		{"no key", nil, `{"knowledge_id": "news", "query": "q", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusForbidden, 1001},
		{"not bearer", map[string]string{"Authorization": "Basic abc"}, `{"knowledge_id": "news", "query": "q", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusForbidden, 1001},
		{"wrong key", map[string]string{"Authorization": "Bearer nope"}, `{"knowledge_id": "news", "query": "q", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusForbidden, 1002},
		{"unknown knowledge", auth, `{"knowledge_id": "nothere", "query": "q", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusNotFound, 2001},
		{"empty query", auth, `{"knowledge_id": "news", "query": " ", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusBadRequest, 400},
		{"bad operator", auth, `{"knowledge_id": "news", "query": "q", "retrieval_setting": {"top_k": 1, "score_threshold": 0}, "metadata_condition": {"conditions": [{"name": "a", "comparison_operator": "like"}]}}`, http.StatusBadRequest, 400},
		{"Ollama down", auth, `{"knowledge_id": "news", "query": "` + queryUnreachable + `", "retrieval_setting": {"top_k": 1, "score_threshold": 0}}`, http.StatusServiceUnavailable, 503},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s, request{method: "POST", target: "/retrieval", body: tt.body, header: tt.header})
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			code, _ := body["error_code"].(float64)
			msg, _ := body["error_msg"].(string)
			if w.Code != tt.status || int(code) != tt.code || msg == "" || len(body) != 2 {
				t.Errorf("got %d %s, want %d with error_code %d and an error_msg", w.Code, w.Body, tt.status, tt.code)
			}
		})
	}
}

// TestServer_openWebUISearch posts Open WebUI's external web search request
// (https://docs.openwebui.com/features/web-search/external: POST {query,
// count} with the key as a bearer token) and checks the documented answer,
// a list of {link, title, snippet}, each link leading to the passage on the
// search page.
func TestServer_openWebUISearch(t *testing.T) {
	s, _ := newTestServer(t, withFrontdoors, func(c *Config) { c.APIKey = "owui" })
	auth := map[string]string{"Authorization": "Bearer owui"}
	w := do(s, request{method: "POST", target: "/v1/documents", header: auth,
		body: `{"id": "comey", "title": "Comey fired", "text": "President Trump fired FBI director James Comey."}`})
	if w.Code != http.StatusOK {
		t.Fatalf("seed: %d %s", w.Code, w.Body)
	}
	w = do(s, request{method: "POST", target: "/v1/web-search", header: auth, body: `{"query": "Who was fired?", "count": 3}`})
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var results []map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &results); err != nil || len(results) != 1 {
		t.Fatalf("want a list of one result, got %s (%v)", w.Body, err)
	}
	r := results[0]
	if len(r) != 3 || r["title"] != "Comey fired" || !strings.Contains(r["snippet"], "Comey") {
		t.Errorf("result %v: want exactly link, title and snippet", r)
	}
	if want := "http://example.com/doc?collection=news&id=comey#passage"; r["link"] != want {
		t.Errorf("link %q, want %q", r["link"], want)
	}
	if w := do(s, request{method: "POST", target: "/v1/web-search", body: `{"query": "q", "count": 1}`}); w.Code != http.StatusUnauthorized {
		t.Errorf("without the key: %d", w.Code)
	}
	if w := do(s, request{method: "POST", target: "/v1/web-search", header: auth, body: `{"query": "q", "count": 0}`}); w.Code != http.StatusBadRequest {
		t.Errorf("count 0: %d", w.Code)
	}
	// One maximum k for every door: the request model's.
	if w := do(s, request{method: "POST", target: "/v1/web-search", header: auth, body: `{"query": "q", "count": 1000}`}); w.Code != http.StatusOK {
		t.Errorf("count 1000: %d %s", w.Code, w.Body)
	}
	if w := do(s, request{method: "POST", target: "/v1/web-search", header: auth, body: `{"query": "q", "count": 1001}`}); w.Code != http.StatusBadRequest {
		t.Errorf("count 1001: %d", w.Code)
	}
}

// TestServer_langChainRemoteRetriever sends exactly what LangChain's
// RemoteLangChainRetriever sends (langchain_community/retrievers/
// remote_retriever.py: requests.post(url, json={input_key: query},
// headers=headers)) with the settings of docs/integrations.md (input_key "query",
// response_key "results", page_content_key "text", metadata_key
// "metadata"), and reads the response the way it does:
// [Document(page_content=r["text"], metadata=r["metadata"]) for r in
// response["results"]].
func TestServer_langChainRemoteRetriever(t *testing.T) {
	s, _ := newTestServer(t)
	seed(t, s)
	w := do(s, request{method: "POST", target: "/v1/search", body: `{"query": "Who was fired?"}`})
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	var results []map[string]json.RawMessage
	if err := json.Unmarshal(resp["results"], &results); err != nil || len(results) != 2 {
		t.Fatalf("results: %s (%v)", resp["results"], err)
	}
	for _, r := range results {
		var text string
		var md map[string]any
		if err := json.Unmarshal(r["text"], &text); err != nil || text == "" {
			t.Errorf("page content %s: want a string", r["text"])
		}
		if err := json.Unmarshal(r["metadata"], &md); err != nil || md == nil {
			t.Errorf("metadata %s: want an object", r["metadata"])
		}
		for _, k := range []string{"doc_id", "source", "chunk", "line_start", "line_end", "citation"} {
			if _, ok := md[k]; !ok {
				t.Errorf("metadata %s lacks %s", r["metadata"], k)
			}
		}
	}
}

// TestServer_metadataNeverNull checks that every hit of /v1/search and
// /v1/context carries a metadata object, even from an engine that leaves
// it unset (the fake does).
func TestServer_metadataNeverNull(t *testing.T) {
	s, _ := newTestServer(t)
	seed(t, s)
	for _, target := range []string{"/v1/search", "/v1/context"} {
		w := do(s, request{method: "POST", target: target, body: `{"query": "fired", "k": 5}`})
		var resp struct {
			Results []map[string]json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Results) == 0 {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
		for _, r := range resp.Results {
			if md := r["metadata"]; len(md) == 0 || md[0] != '{' {
				t.Errorf("%s: metadata %s, want an object", target, md)
			}
		}
	}
}

// TestServer_frontdoorAuth checks that front doors sit behind the API key
// unless they check it themselves (the search page asks for it).
func TestServer_frontdoorAuth(t *testing.T) {
	s, _ := newTestServer(t, withFrontdoors, func(c *Config) { c.APIKey = "k" })
	tests := []struct {
		method, target string
		header         map[string]string
		status         int
	}{
		{"POST", "/mcp", nil, http.StatusUnauthorized},
		{"POST", "/mcp", map[string]string{"Authorization": "Bearer k"}, http.StatusOK},
		{"GET", "/", nil, http.StatusOK},
		{"GET", "/doc?id=x", nil, http.StatusOK},
		{"POST", "/key", nil, http.StatusOK},
		{"GET", "/mcp", map[string]string{"Authorization": "Bearer k"}, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		w := do(s, request{method: tt.method, target: tt.target, header: tt.header})
		if w.Code != tt.status {
			t.Errorf("%s %s: %d, want %d (%s)", tt.method, tt.target, w.Code, tt.status, w.Body)
		}
	}
}
