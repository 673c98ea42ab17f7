package httpapi

import (
	"net/http"
	"strconv"

	"github.com/semsearch/semsearch/internal/engine"
)

// SearchResponse answers a search. Field names are a contract with clients
// (the CLI's search --json prints the same).
type SearchResponse struct {
	Query      string          `json:"query"`
	Model      string          `json:"model"`
	Collection string          `json:"collection"`
	Mode       engine.Mode     `json:"mode"`
	TookMS     float64         `json:"took_ms"`
	Results    []engine.Result `json:"results"`
	Warnings   []string        `json:"warnings,omitempty"`
}

// NewSearchResponse is the API's answer for an engine response (also what
// `semsearch search --json` prints).
func NewSearchResponse(resp engine.Response) SearchResponse {
	results := withMetadata(resp.Results)
	if results == nil {
		results = []engine.Result{}
	}
	return SearchResponse{
		Query: resp.Query, Model: resp.Model, Collection: resp.Collection, Mode: resp.Mode,
		TookMS: tookMS(resp.Took), Results: results, Warnings: resp.Warnings,
	}
}

// searchPOST serves POST /v1/search.
func (s *Server) searchPOST(w http.ResponseWriter, r *http.Request) error {
	var req SearchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return s.search(w, r, &req)
}

// searchGET serves GET /v1/search?q=...: the same search with the fields as
// query parameters (q, k, collection, min_score, mode, mmr, explain,
// keep_duplicates, doc_id, doc_prefix
// (repeatable), after, before, meta.KEY).
func (s *Server) searchGET(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r)
	if err != nil {
		return err
	}
	var req SearchRequest
	if req.Query, err = p.str("q"); err != nil {
		return err
	}
	k, err := p.integer("k", defaultK)
	if err != nil {
		return err
	}
	req.K = &k
	if req.Collection, err = p.str("collection"); err != nil {
		return err
	}
	if req.MinScore, err = p.float("min_score"); err != nil {
		return err
	}
	if req.Mode, err = p.str("mode"); err != nil {
		return err
	}
	if req.MMR, err = p.float("mmr"); err != nil {
		return err
	}
	if explain, err := p.str("explain"); err != nil {
		return err
	} else if explain != "" {
		if req.Explain, err = strconv.ParseBool(explain); err != nil {
			return badRequest("invalid_parameter", "explain=%q: want true or false", explain)
		}
	}
	if keep, err := p.str("keep_duplicates"); err != nil {
		return err
	} else if keep != "" {
		if req.KeepDuplicates, err = strconv.ParseBool(keep); err != nil {
			return badRequest("invalid_parameter", "keep_duplicates=%q: want true or false", keep)
		}
	}
	f := &Filter{DocIDs: p.all("doc_id")}
	if f.DocPrefix, err = p.str("doc_prefix"); err != nil {
		return err
	}
	if f.After, err = p.str("after"); err != nil {
		return err
	}
	if f.Before, err = p.str("before"); err != nil {
		return err
	}
	if f.Meta, err = p.prefixed("meta."); err != nil {
		return err
	}
	req.Filter = f
	if err := p.done(); err != nil {
		return err
	}
	return s.search(w, r, &req)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, req *SearchRequest) error {
	resp, err := s.runQuery(r, req)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, NewSearchResponse(resp))
	return nil
}

// runQuery validates a query, notes it for the request log and searches:
// what every search-shaped route (ours and the platform contracts) does.
func (s *Server) runQuery(r *http.Request, req *SearchRequest) (engine.Response, error) {
	col, q, err := s.engineQuery(req)
	if err != nil {
		return engine.Response{}, err
	}
	noteQuery(r, q.Text)
	return s.eng.Search(r.Context(), col, q)
}
