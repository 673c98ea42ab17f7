package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// healthResponse answers /healthz.
type healthResponse struct {
	Status string `json:"status"`
}

// healthz serves GET /healthz: the process is alive. It checks nothing else
// and needs no API key.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, healthResponse{Status: "ok"})
	return nil
}

// readyResponse answers /readyz: Status is "ready" or "not_ready", and each
// check is "ok", "fail" (with code and error) or "skipped" (an earlier check
// failed, so it could not run).
type readyResponse struct {
	Status string        `json:"status"`
	Checks []readyResult `json:"checks"`
}

type readyResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
}

// readyz serves GET /readyz: ready when the store answers, the BM25 indexes
// can be searched (when the engine has them; a damaged one is rebuilt first)
// and the embedding backend answers and has the model. The backend's checks are named by
// Config.Errors (e.g. "ollama", then "model"); its error decides which one
// failed. It answers 503 when not ready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.readyTimeout)
	defer cancel()
	out := readyResponse{Status: "ready"}
	fail := func(name string, err error) {
		_, code, msg := s.describe(err)
		switch {
		case code == "timeout" && r.Context().Err() == nil:
			// The check's own limit, not the request's: say who was slow.
			code, msg = "timeout", fmt.Sprintf("%s did not answer within %s (timed out): %v", name, s.readyTimeout, err)
		case code == "internal":
			msg = err.Error() // an operator's endpoint: say what broke
		}
		out.Checks = append(out.Checks, readyResult{Name: name, Status: "fail", Code: code, Error: msg})
		out.Status = "not_ready"
	}

	storeOK := false
	if _, err := s.eng.Collections(ctx); err != nil {
		fail("store", err)
	} else {
		storeOK = true
		out.Checks = append(out.Checks, readyResult{Name: "store", Status: "ok"})
	}
	if kc, ok := s.eng.(KeywordChecker); ok {
		var err error
		if storeOK {
			err = kc.CheckKeywords(ctx)
		}
		switch {
		case !storeOK:
			out.Checks = append(out.Checks, readyResult{Name: "bm25", Status: "skipped"})
		case err != nil:
			out.Checks = append(out.Checks, readyResult{Name: "bm25", Status: "fail", Code: "bm25_unavailable", Error: err.Error()})
			out.Status = "not_ready"
		default:
			out.Checks = append(out.Checks, readyResult{Name: "bm25", Status: "ok"})
		}
	}

	if s.checker != nil {
		names := s.backendChecks()
		failed := -1
		err := s.checker.Check(ctx)
		if err != nil {
			failed = 0 // an error no mapping names is the first check's
			for _, m := range s.errs {
				if m.Check != "" && errors.Is(err, m.Err) {
					failed = slices.Index(names, m.Check)
					break
				}
			}
		}
		for i, name := range names {
			switch {
			case failed < 0 || i < failed:
				out.Checks = append(out.Checks, readyResult{Name: name, Status: "ok"})
			case i == failed:
				fail(name, err)
			default:
				out.Checks = append(out.Checks, readyResult{Name: name, Status: "skipped"})
			}
		}
	}

	status := http.StatusOK
	if out.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	s.writeJSON(w, r, status, out)
	return nil
}

// backendChecks names the embedding backend's checks: the Check names of
// Config.Errors in order of first appearance, or "embedder".
func (s *Server) backendChecks() []string {
	var names []string
	for _, m := range s.errs {
		if m.Check != "" && !slices.Contains(names, m.Check) {
			names = append(names, m.Check)
		}
	}
	if len(names) == 0 {
		names = []string{"embedder"}
	}
	return names
}
