package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// This file holds the retrieval contracts RAG platforms already speak, each
// answered from the same engine as /v1/search:
//
//   - Dify's External Knowledge API, POST /retrieval
//     (https://docs.dify.ai/en/use-dify/knowledge/external-knowledge-api;
//     RAGFlow and others implement the same contract);
//   - Open WebUI's external web search, POST /v1/web-search
//     (https://docs.openwebui.com/features/web-search/external).
//
// LangChain's RemoteLangChainRetriever needs no route of its own: /v1/search
// reads {"query": ...} and answers "results" whose items carry "text" and
// "metadata" (see the recipe in docs/integrations.md).

// Dify's documented error codes
// (https://docs.dify.ai/en/use-dify/knowledge/external-knowledge-api#error-handling).
const (
	difyBadAuthHeader    = 1001 // invalid Authorization header format
	difyAuthFailed       = 1002 // authorization failed
	difyUnknownKnowledge = 2001 // the knowledge does not exist
)

// Dify's retrieval limits: top_k of a retrieval_setting, and how many
// passages are searched to apply a metadata_condition on passage fields
// after ranking.
const (
	difyDefaultTopK   = engine.DefaultK
	difyOverfetch     = 10
	retrievalPath     = "/retrieval"
	maxWebSearchCount = engine.MaxK // the request model's, as every door's
)

// difyRequest is the body Dify posts to {endpoint}/retrieval.
type difyRequest struct {
	KnowledgeID      string         `json:"knowledge_id"`
	Query            string         `json:"query"`
	RetrievalSetting *difySetting   `json:"retrieval_setting"`
	Metadata         *difyCondition `json:"metadata_condition"`
}

type difySetting struct {
	TopK           *int     `json:"top_k"`
	ScoreThreshold *float64 `json:"score_threshold"`
}

// difyCondition filters records by metadata: every condition ("and", the
// default) or any ("or") must hold.
type difyCondition struct {
	LogicalOperator string          `json:"logical_operator"`
	Conditions      []difyCondEntry `json:"conditions"`
}

type difyCondEntry struct {
	Name     string          `json:"name"`
	Operator string          `json:"comparison_operator"`
	Value    json.RawMessage `json:"value"`
}

// difyResponse answers Dify: {"records": [...]}, empty when nothing matches.
type difyResponse struct {
	Records []difyRecord `json:"records"`
}

// difyRecord is one retrieved passage. Metadata is never null: Dify's
// retrieval pipeline fails on null metadata.
type difyRecord struct {
	Content  string         `json:"content"`
	Score    float32        `json:"score"`
	Title    string         `json:"title"`
	Metadata map[string]any `json:"metadata"`
}

// difyErrorBody is Dify's documented error form.
type difyErrorBody struct {
	ErrorCode int    `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// decodeLenient reads the body as one JSON value into v, ignoring fields v
// does not have: platforms add fields to their requests over time, and a
// contract endpoint must keep answering them.
func decodeLenient(r *http.Request, v any) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if err := checkValues(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// difyHandle adapts h for the Dify route: errors go out in Dify's form,
// with the status the rest of the API would use.
func (s *Server) difyHandle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status, code, msg := s.describe(err)
		if ri := requestInfo(r.Context()); ri != nil {
			ri.errCode = code
		}
		if status >= 500 && code == "internal" {
			s.log.ErrorContext(r.Context(), "request failed", "route", routeOf(r), "error", err)
		}
		ec := status
		if errors.Is(err, engine.ErrNotFound) {
			ec = difyUnknownKnowledge
		}
		s.writeJSON(w, r, status, difyErrorBody{ErrorCode: ec, ErrorMsg: msg})
	})
}

// difyUnauthorized answers a /retrieval request whose key is missing or
// wrong in Dify's form: 403 with error_code 1001 or 1002.
func (s *Server) difyUnauthorized(w http.ResponseWriter, r *http.Request, malformed bool) {
	body := difyErrorBody{ErrorCode: difyAuthFailed, ErrorMsg: "Authorization failed: invalid API key"}
	if malformed {
		body = difyErrorBody{ErrorCode: difyBadAuthHeader, ErrorMsg: "Invalid Authorization header format. Expected 'Bearer <api-key>' format."}
	}
	if ri := requestInfo(r.Context()); ri != nil {
		ri.errCode = "unauthorized"
	}
	s.writeJSON(w, r, http.StatusForbidden, body)
}

// retrieval serves POST /retrieval, Dify's External Knowledge API:
// knowledge_id names the collection, top_k is k (default 5) and
// score_threshold the least score kept, compared with the score each record
// carries (so a record below it is never returned). A metadata_condition
// selects the documents searched, before ranking (conditions on a passage's
// own fields, such as chunk, apply to the ranked passages).
func (s *Server) retrieval(w http.ResponseWriter, r *http.Request) error {
	var req difyRequest
	if err := decodeLenient(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.KnowledgeID) == "" {
		return badRequest("invalid_request", "knowledge_id is empty: give the name of a collection")
	}
	k, minScore := difyDefaultTopK, 0.0
	if st := req.RetrievalSetting; st != nil {
		if st.TopK != nil {
			k = *st.TopK
		}
		if st.ScoreThreshold != nil {
			minScore = *st.ScoreThreshold
		}
	}
	if k < 1 || k > engine.MaxK {
		return badRequest("invalid_k", "retrieval_setting.top_k must be between 1 and %d, got %d", engine.MaxK, k)
	}
	match, err := req.Metadata.matcher()
	if err != nil {
		return err
	}
	// The threshold applies to the returned score below, not to the
	// engine's min score (a cosine), which means something else in hybrid
	// mode and is refused in bm25 mode.
	q := &SearchRequest{Query: req.Query, K: &k, Collection: req.KnowledgeID}
	switch {
	case match != nil && !req.Metadata.onPassages():
		// Conditions on document fields select documents before ranking,
		// as every other filter does: the engine ranks the matching
		// documents' passages only, on either backend.
		col, _, err := s.engineQuery(q)
		if err != nil {
			return err
		}
		ids, all, err := s.matchingDocuments(r, col, match)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			s.writeJSON(w, r, http.StatusOK, difyResponse{Records: []difyRecord{}})
			return nil
		}
		if !all { // every document matching needs no filter
			q.Filter = &Filter{DocIDs: ids}
		}
	case match != nil:
		// A passage's own fields (chunk, line_start, ...) are known only
		// after ranking: search more and keep the matching ones.
		fetch := min(engine.MaxK, k*difyOverfetch)
		q.K = &fetch
	}
	resp, err := s.runQuery(r, q)
	if err != nil {
		return err
	}
	out := difyResponse{Records: []difyRecord{}}
	for _, res := range withMetadata(resp.Results) {
		if len(out.Records) == k {
			break
		}
		if float64(res.Score) < minScore || match != nil && !match(res.Metadata) {
			continue
		}
		title := res.Title
		if title == "" {
			title = res.Source
		}
		out.Records = append(out.Records, difyRecord{Content: res.Text, Score: res.Score, Title: title, Metadata: res.Metadata})
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// passageFields are the metadata fields of a passage rather than of its
// document (see [engine.Metadata]).
var passageFields = map[string]bool{"chunk": true, "start": true, "end": true, "line_start": true, "line_end": true, "citation": true}

// onPassages says whether a condition names a passage's own field, which
// cannot select documents before ranking.
func (c *difyCondition) onPassages() bool {
	for _, e := range c.Conditions {
		if passageFields[e.Name] {
			return true
		}
	}
	return false
}

// matchingDocuments returns the ids of the collection's documents whose
// metadata (the fields a record's metadata has from its document) match,
// and whether every document does. The documents are listed in one call,
// not page by page: a call costs a store a pass over every document (a
// sort, a scan), whatever the page's size.
func (s *Server) matchingDocuments(r *http.Request, col string, match func(map[string]any) bool) (ids []string, all bool, err error) {
	docs, _, err := s.eng.Documents(r.Context(), col, 0, 0)
	if err != nil {
		return nil, false, err
	}
	all = true
	for _, d := range docs {
		if match(engine.DocumentMetadata(d)) {
			ids = append(ids, d.ID)
		} else {
			all = false
		}
	}
	return ids, all, nil
}

// matcher returns a predicate over record metadata, or nil for no
// condition. Operators are Dify's: contains, not contains, start with, end
// with, is, is not, in, not in, empty, not empty, =, ≠, >, <, ≥, ≤, before,
// after.
func (c *difyCondition) matcher() (func(map[string]any) bool, error) {
	if c == nil || len(c.Conditions) == 0 {
		return nil, nil
	}
	or := false
	switch strings.ToLower(strings.TrimSpace(c.LogicalOperator)) {
	case "", "and":
	case "or":
		or = true
	default:
		return nil, badRequest("invalid_filter", "metadata_condition.logical_operator %q: want and or or", c.LogicalOperator)
	}
	preds := make([]func(map[string]any) bool, len(c.Conditions))
	for i, e := range c.Conditions {
		p, err := e.predicate()
		if err != nil {
			return nil, badRequest("invalid_filter", "metadata_condition.conditions[%d]: %v", i, err)
		}
		preds[i] = p
	}
	return func(m map[string]any) bool {
		for _, p := range preds {
			if p(m) == or {
				return or
			}
		}
		return !or
	}, nil
}

// predicate compiles one condition.
func (e difyCondEntry) predicate() (func(map[string]any) bool, error) {
	if strings.TrimSpace(e.Name) == "" {
		return nil, errors.New("name is empty")
	}
	var str string
	var list []string
	var num float64
	var isNum bool
	if len(e.Value) > 0 && string(e.Value) != "null" {
		if err := json.Unmarshal(e.Value, &str); err != nil {
			if err := json.Unmarshal(e.Value, &num); err == nil {
				isNum, str = true, strconv.FormatFloat(num, 'f', -1, 64)
			} else if err := json.Unmarshal(e.Value, &list); err != nil {
				return nil, fmt.Errorf("value must be a string, a number or an array of strings")
			}
		}
	}
	if !isNum {
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			num, isNum = f, true
		}
	}
	field := func(m map[string]any) (string, bool) {
		v, ok := m[e.Name]
		if !ok || v == nil {
			return "", false
		}
		s := fmt.Sprint(v)
		return s, s != ""
	}
	numeric := func(cmp func(a, b float64) bool) func(map[string]any) bool {
		return func(m map[string]any) bool {
			s, ok := field(m)
			f, err := strconv.ParseFloat(s, 64)
			return ok && err == nil && isNum && cmp(f, num)
		}
	}
	dated := func(after bool) (func(map[string]any) bool, error) {
		bound, err := vectorstore.ParseDate(str)
		if err != nil || bound.IsZero() {
			return nil, fmt.Errorf("value %q: want a date such as 2017-05-01", str)
		}
		return func(m map[string]any) bool {
			s, ok := field(m)
			t, err := time.Parse(time.RFC3339, s)
			if !ok || err != nil {
				return false
			}
			if after {
				return t.After(bound)
			}
			return t.Before(bound)
		}, nil
	}
	switch e.Operator {
	case "contains":
		return func(m map[string]any) bool { s, ok := field(m); return ok && strings.Contains(s, str) }, nil
	case "not contains":
		return func(m map[string]any) bool { s, _ := field(m); return !strings.Contains(s, str) }, nil
	case "start with":
		return func(m map[string]any) bool { s, ok := field(m); return ok && strings.HasPrefix(s, str) }, nil
	case "end with":
		return func(m map[string]any) bool { s, ok := field(m); return ok && strings.HasSuffix(s, str) }, nil
	case "is":
		return func(m map[string]any) bool { s, ok := field(m); return ok && s == str }, nil
	case "is not":
		return func(m map[string]any) bool { s, _ := field(m); return s != str }, nil
	case "in":
		return func(m map[string]any) bool { s, ok := field(m); return ok && slices.Contains(list, s) }, nil
	case "not in":
		return func(m map[string]any) bool { s, _ := field(m); return !slices.Contains(list, s) }, nil
	case "empty":
		return func(m map[string]any) bool { _, ok := field(m); return !ok }, nil
	case "not empty":
		return func(m map[string]any) bool { _, ok := field(m); return ok }, nil
	case "=":
		return numeric(func(a, b float64) bool { return a == b }), nil
	case "≠":
		return numeric(func(a, b float64) bool { return a != b }), nil
	case ">":
		return numeric(func(a, b float64) bool { return a > b }), nil
	case "<":
		return numeric(func(a, b float64) bool { return a < b }), nil
	case "≥":
		return numeric(func(a, b float64) bool { return a >= b }), nil
	case "≤":
		return numeric(func(a, b float64) bool { return a <= b }), nil
	case "before":
		return dated(false)
	case "after":
		return dated(true)
	}
	return nil, fmt.Errorf("unknown comparison_operator %q", e.Operator)
}

// webSearchRequest is the body Open WebUI posts to an external web search
// URL.
type webSearchRequest struct {
	Query string `json:"query"`
	Count *int   `json:"count"`
}

// webSearchResult is one item of Open WebUI's expected answer. Link leads
// to the cited passage on the search page.
type webSearchResult struct {
	Link    string `json:"link"`
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
}

// webSearch serves POST /v1/web-search?collection=, Open WebUI's external
// web search: {query, count} answered with [{link, title, snippet}], each
// link pointing at the passage on this server's search page.
func (s *Server) webSearch(w http.ResponseWriter, r *http.Request) error {
	col, err := s.collectionParam(r)
	if err != nil {
		return err
	}
	var req webSearchRequest
	if err := decodeLenient(r, &req); err != nil {
		return err
	}
	k := defaultK
	if req.Count != nil {
		k = *req.Count
	}
	if k < 1 || k > maxWebSearchCount {
		return badRequest("invalid_k", "count must be between 1 and %d, got %d", maxWebSearchCount, k)
	}
	q := &SearchRequest{Query: req.Query, K: &k, Collection: col}
	resp, err := s.runQuery(r, q)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	out := make([]webSearchResult, 0, len(resp.Results))
	for _, res := range resp.Results {
		title := res.Title
		if title == "" {
			title = res.Source
		}
		out = append(out, webSearchResult{Link: base + s.passageLink(col, res), Title: title, Snippet: strings.TrimSpace(res.Text)})
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// passageLink returns the path of a result's passage: the configured
// [Config.PassageLink], else the document in the JSON API.
func (s *Server) passageLink(col string, res engine.Result) string {
	if s.passageURL != nil {
		return s.passageURL(col, res)
	}
	return "/v1/documents/" + url.PathEscape(res.DocID) + "?collection=" + url.QueryEscape(col)
}

// baseURL is the scheme and host clients reach this server at: the
// configured [Config.PublicURL], else what the request says.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// withMetadata makes sure every result carries a metadata object, for
// engines that do not fill it.
func withMetadata(results []engine.Result) []engine.Result {
	for i := range results {
		if results[i].Metadata == nil {
			results[i].Metadata = engine.Metadata(results[i].Hit)
		}
	}
	return results
}
