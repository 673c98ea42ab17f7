package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Document listing and id limits.
const (
	defaultLimit = 100
	maxLimit     = 1000
	// apiSource is the Source given to article.Parse; articles get their
	// own source afterwards (see addDocuments).
	apiSource = "api"
	// missingID is the id given to article.Parse for objects without one;
	// it starts with a NUL, which a valid id cannot contain.
	missingID = "\x00"
	// maxReported is how many rejected documents an error message lists.
	maxReported = 5
	// maxArticleFields bounds the fields of one article object (each
	// becomes a metadata entry), so that one object of a million fields
	// cannot cost gigabytes to parse.
	maxArticleFields = 200
)

// IndexResponse answers POST /v1/documents (and is what `semsearch index
// --server` reads).
type IndexResponse struct {
	Collection string `json:"collection"`
	// Documents is how many articles the body held.
	Documents  int `json:"documents"`
	New        int `json:"new"`
	Updated    int `json:"updated"`
	Unchanged  int `json:"unchanged"`
	Duplicates int `json:"duplicates"`
	// Passages were embedded by this request; TotalPassages are stored in
	// the collection now.
	Passages      int     `json:"passages"`
	TotalPassages int     `json:"total_passages"`
	EmbedMS       float64 `json:"embed_ms"`
	TookMS        float64 `json:"took_ms"`
	// NotStored counts articles that are not durably stored in this
	// version (only when the request failed part way).
	NotStored int `json:"not_stored"`
	// Warnings report what was repaired in the input.
	Warnings []string `json:"warnings,omitempty"`
	// Results says per article what was stored; present when the request
	// failed part way, so that the client resends only what is missing.
	Results []engine.DocResult `json:"results,omitempty"`
}

// partialError is an index request that failed after storing some of its
// articles (or none): the error response carries what was stored.
type partialError struct {
	err  error
	resp IndexResponse
}

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }

// addDocuments serves POST /v1/documents: the body is one article object or
// an array of them, in the JSON ingest format (id or _id; title; text, body
// or content; url; published or date; author; source; any other field is
// metadata). Unchanged articles cost nothing; changed ones are re-embedded.
func (s *Server) addDocuments(w http.ResponseWriter, r *http.Request) error {
	col, err := s.collectionParam(r)
	if err != nil {
		return err
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	// Bound what parsing will build first (a tree of 8 MB of "{}," is a
	// gigabyte; the count stops at the first article too many), then
	// validate without building values.
	if c := bytes.TrimSpace(data)[0]; c != '{' && c != '[' {
		if !json.Valid(data) {
			return jsonError(json.Unmarshal(data, new(json.RawMessage)))
		}
		return badRequest("invalid_request", "the request body must be an article object or an array of article objects")
	}
	if err := s.checkShape(data); err != nil {
		return err
	}
	if !json.Valid(data) {
		return jsonError(json.Unmarshal(data, new(json.RawMessage)))
	}
	arts, probs, err := article.Parse(apiSource, missingID, data, article.FormatJSON)
	if err != nil {
		return fmt.Errorf("parse documents: %w", err)
	}
	var rejected, warnings []string
	for _, p := range probs {
		if p.Kind == article.KindRepaired {
			warnings = append(warnings, p.Reason)
		} else {
			rejected = append(rejected, p.Reason)
		}
	}
	for i := range arts {
		a := &arts[i]
		if reason := checkID(a.ID); reason != "" {
			rejected = append(rejected, reason)
			continue
		}
		// The body's lines mean nothing to a reader: citations count
		// lines of the article's own text.
		a.Lines = nil
		// Citations show Source: the object's "source" field, else (set
		// by the engine, which checks named sources only) its URL, else
		// its id.
		a.Source = strings.TrimSpace(a.Meta["source"])
		delete(a.Meta, "source")
	}
	if len(rejected) > 0 {
		return rejectedError(rejected)
	}
	if len(arts) == 0 {
		return badRequest("invalid_document", "the request body holds no articles")
	}
	return s.index(w, r, col, arts, warnings)
}

// rejectedError refuses a write for the reasons given, naming the first
// few.
func rejectedError(rejected []string) error {
	msg := strings.Join(rejected[:min(len(rejected), maxReported)], "; ")
	if len(rejected) > maxReported {
		msg += fmt.Sprintf("; and %d more", len(rejected)-maxReported)
	}
	return badRequest("invalid_document", "nothing was indexed: %s", msg)
}

// index stores arts in col and answers with what was stored; a failure
// part way answers with the error and, per article, what was stored, so
// that the client resends only the rest.
func (s *Server) index(w http.ResponseWriter, r *http.Request, col string, arts []article.Article, warnings []string) error {
	st, err := s.eng.Index(r.Context(), col, arts, engine.IndexOptions{})
	resp := IndexResponse{
		Collection: col, Documents: len(arts),
		New: st.New, Updated: st.Updated, Unchanged: st.Unchanged, Duplicates: st.Duplicates, NotStored: st.NotStored,
		Passages: st.Passages, TotalPassages: st.Total,
		EmbedMS: tookMS(st.EmbedTime), TookMS: tookMS(st.Duration),
		Warnings: warnings,
	}
	if err != nil {
		resp.Results = st.Results
		if len(resp.Results) == 0 {
			resp.Results = make([]engine.DocResult, len(arts))
			for i, a := range arts {
				resp.Results[i] = engine.DocResult{ID: a.ID, Status: engine.DocNotStored}
			}
			resp.NotStored = len(arts)
		}
		return &partialError{err: err, resp: resp}
	}
	s.writeJSON(w, r, http.StatusOK, resp)
	return nil
}

// checkShape checks that a JSON body holds at most the server's
// MaxArticles articles, each with at most maxArticleFields fields, and that
// an array holds objects only. It reads the bytes without decoding them and
// stops at the first excess, so a body of many tiny values is refused for
// the price of scanning its start. It does not validate: the caller does,
// after it.
func (s *Server) checkShape(data []byte) error {
	top := bytes.TrimSpace(data)
	array := top[0] == '['
	fieldDepth := 1 // where an article's own fields are
	if array {
		fieldDepth = 2
	}
	depth, articles, fields := 0, 0, 0
	inString, escaped := false, false
	for _, c := range top {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if array && depth == 1 && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != ']' {
			articles++ // an element starts
			if c != '{' {
				return badRequest("invalid_document", "nothing was indexed: element %d of the array is not an article object", articles)
			}
			if articles > s.maxArticles {
				return &apiError{kind: errTooLarge, code: "too_many_articles", msg: fmt.Sprintf(
					"the request holds more than %d articles (the server's --max-articles); send them in batches of %d or fewer", s.maxArticles, s.maxArticles)}
			}
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth == fieldDepth {
				fields = 0
			}
		case '}', ']':
			depth--
		case ':':
			if depth != fieldDepth {
				break
			}
			if fields++; fields > maxArticleFields {
				which := "the article"
				if array {
					which = fmt.Sprintf("article %d of the array", articles)
				}
				return &apiError{kind: errTooLarge, code: "too_many_fields", msg: fmt.Sprintf(
					"%s has more than %d fields; keep the metadata to fewer fields (put lists in one field)", which, maxArticleFields)}
			}
		}
	}
	return nil
}

// checkID says what is wrong with an article id, or returns "".
func checkID(id string) string {
	if ref, ok := strings.CutPrefix(id, missingID); ok {
		if n, ok := strings.CutPrefix(ref, "#"); ok {
			return fmt.Sprintf("article %s of the array has no id (give \"id\" or \"_id\")", n)
		}
		return `the article has no id (give "id" or "_id")`
	}
	if err := engine.CheckID(id); err != nil {
		return err.Error()
	}
	return ""
}

// collectionParam returns the ?collection= of r, or the default.
func (s *Server) collectionParam(r *http.Request) (string, error) {
	p, err := newParams(r)
	if err != nil {
		return "", err
	}
	name, err := p.str("collection")
	if err != nil {
		return "", err
	}
	if err := p.done(); err != nil {
		return "", err
	}
	return s.collectionName(name)
}

// DocumentSummary is a listed document: everything but the text.
type DocumentSummary struct {
	vectorstore.Document
	Text *string `json:"text,omitempty"` // always nil: hides Document.Text
}

// DocumentsResponse answers GET /v1/documents.
type DocumentsResponse struct {
	Collection string            `json:"collection"`
	Offset     int               `json:"offset"`
	Limit      int               `json:"limit"`
	Total      int               `json:"total"`
	Documents  []DocumentSummary `json:"documents"`
}

// listDocuments serves GET /v1/documents?collection=&offset=&limit=:
// documents sorted by id, without text.
func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r)
	if err != nil {
		return err
	}
	name, err := p.str("collection")
	if err != nil {
		return err
	}
	offset, err := p.integer("offset", 0)
	if err != nil {
		return err
	}
	limit, err := p.integer("limit", defaultLimit)
	if err != nil {
		return err
	}
	if err := p.done(); err != nil {
		return err
	}
	if offset < 0 {
		return badRequest("invalid_parameter", "offset must be 0 or more, got %d", offset)
	}
	if limit < 1 || limit > maxLimit {
		return badRequest("invalid_parameter", "limit must be between 1 and %d, got %d", maxLimit, limit)
	}
	col, err := s.collectionName(name)
	if err != nil {
		return err
	}
	docs, total, err := s.eng.Documents(r.Context(), col, offset, limit)
	if err != nil {
		return err
	}
	out := DocumentsResponse{Collection: col, Offset: offset, Limit: limit, Total: total,
		Documents: make([]DocumentSummary, len(docs))}
	for i, d := range docs {
		d.Text = ""
		out.Documents[i] = DocumentSummary{Document: d}
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// getDocument serves GET /v1/documents/{id}: the document with its full
// text and metadata. The id is path-escaped; it may contain slashes.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) error {
	col, err := s.collectionParam(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	doc, err := s.eng.Document(r.Context(), col, id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, doc)
	return nil
}

// DeleteResponse answers DELETE /v1/documents/{id}.
type DeleteResponse struct {
	Collection string `json:"collection"`
	Deleted    string `json:"deleted"`
}

// deleteDocument serves DELETE /v1/documents/{id}.
func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) error {
	col, err := s.collectionParam(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.eng.Delete(r.Context(), col, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("document %q in collection %q: %w", id, col, engine.ErrNotFound)
	}
	s.writeJSON(w, r, http.StatusOK, DeleteResponse{Collection: col, Deleted: id})
	return nil
}

// CollectionsResponse answers GET /v1/collections.
type CollectionsResponse struct {
	Default     string                   `json:"default"`
	Collections []vectorstore.Collection `json:"collections"`
}

// listCollections serves GET /v1/collections.
func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	cols, err := s.eng.Collections(r.Context())
	if err != nil {
		return err
	}
	if cols == nil {
		cols = []vectorstore.Collection{}
	}
	s.writeJSON(w, r, http.StatusOK, CollectionsResponse{Default: s.collection, Collections: cols})
	return nil
}

// StatsResponse answers GET /v1/stats.
type StatsResponse struct {
	Model             string             `json:"model"`
	DefaultCollection string             `json:"default_collection"`
	UptimeS           float64            `json:"uptime_s"`
	Collections       int                `json:"collections"`
	Documents         int                `json:"documents"`
	Passages          int                `json:"passages"`
	QueryCache        *engine.CacheStats `json:"query_cache,omitempty"`
}

// stats serves GET /v1/stats: totals over all collections.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	cols, err := s.eng.Collections(r.Context())
	if err != nil {
		return err
	}
	out := StatsResponse{Model: s.model, DefaultCollection: s.collection, Collections: len(cols),
		UptimeS: time.Since(s.started).Round(time.Millisecond).Seconds()}
	for _, c := range cols {
		out.Documents += c.Documents
		out.Passages += c.Passages
	}
	if s.cache != nil {
		st := s.cache.Stats()
		out.QueryCache = &st
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
