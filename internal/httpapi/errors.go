package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/semsearch/semsearch/internal/engine"
)

// Kinds of request errors the API raises itself; [Server.describe] maps
// them to statuses.
var (
	errBadRequest   = errors.New("bad request")
	errUnauthorized = errors.New("unauthorized")
	errNoRoute      = errors.New("no such route")
	errMethod       = errors.New("method not allowed")
	errTooLarge     = errors.New("request too large")
)

// statusClientClosed is the status logged when the client went away before
// the answer was ready (nginx's convention); the client never sees it.
const statusClientClosed = 499

// apiError is an error the API raises about a request: a kind (one of the
// err* sentinels above), a machine-readable code and a message for the user.
type apiError struct {
	kind error
	code string
	msg  string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.kind }

// badRequest returns a 400 error with the given code.
func badRequest(code, format string, args ...any) error {
	return &apiError{kind: errBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// ErrorBody is the JSON body of every error response (what clients such as
// `semsearch --server` read):
// {"error": {"code": "...", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is what an error response says: a stable code and a message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// partialBody is the error response of a write that failed part way: the
// error, and per document what was stored.
type partialBody struct {
	Error ErrorDetail   `json:"error"`
	Index IndexResponse `json:"index"`
}

// describe maps an error to the response that reports it. It is the one place
// where errors become statuses: request problems are 4xx with their own
// message, dependency outages are 503 with a message that says what to do,
// and anything unexpected is a 500 with a generic message.
func (s *Server) describe(err error) (status int, code, msg string) {
	var ae *apiError
	if errors.As(err, &ae) {
		code, msg = ae.code, ae.msg
	}
	var tooLarge *http.MaxBytesError
	for _, m := range s.errs {
		if errors.Is(err, m.Err) {
			return m.Status, m.Code, err.Error()
		}
	}
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is larger than %d bytes (the server's --max-body)", tooLarge.Limit)
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, code, msg
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, code, msg
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, code, msg
	case errors.Is(err, errNoRoute):
		return http.StatusNotFound, code, msg
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, code, msg
	case !errors.Is(err, engine.ErrQueryEmbedTimeout) && errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout",
			fmt.Sprintf("the request did not finish within %s (the server's --request-timeout)", s.timeout)
	}
	// Everything else is classified as every door does.
	c := engine.Classify(err)
	return c.Status, c.Code, c.Text(err)
}

// writeError sends err as a JSON error response. It logs the errors that are
// the server's concern: 500s with the error itself (the client only gets a
// generic message), and outages and timeouts as warnings.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := s.describe(err)
	if ri := requestInfo(r.Context()); ri != nil {
		ri.errCode = code
	}
	switch {
	case status >= 500 && code == "internal":
		s.log.ErrorContext(r.Context(), "request failed", "route", routeOf(r), "error", err)
	case status >= 500:
		s.log.WarnContext(r.Context(), "request not served", "route", routeOf(r), "code", code, "error", err)
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="semsearch"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "10")
	}
	var partial *partialError
	if errors.As(err, &partial) {
		p := partial.resp
		switch n := p.New + p.Updated; {
		case errors.Is(err, engine.ErrIDConflict):
			// The message says that nothing was changed, and the fix.
		case n > 0 || p.Unchanged > 0:
			msg += fmt.Sprintf(" (%d of %d documents are stored: %d new, %d updated, %d unchanged; %d not stored: see index.results and send those again)",
				n+p.Unchanged, p.Documents, p.New, p.Updated, p.Unchanged, p.NotStored)
		default:
			msg += " (no document was stored; send them again)"
		}
		s.writeJSON(w, r, status, partialBody{Error: ErrorDetail{Code: code, Message: msg}, Index: p})
		return
	}
	s.writeJSON(w, r, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// writeJSON sends v as the JSON response body.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.DebugContext(r.Context(), "write response", "route", routeOf(r), "error", err)
	}
}

// routeOf returns the route template of r for logs.
func routeOf(r *http.Request) string {
	if ri := requestInfo(r.Context()); ri != nil {
		return ri.route
	}
	return ""
}

// logLevelFor is the access-log level of a response status.
func logLevelFor(status int) slog.Level {
	if status >= 500 && status != statusClientClosed {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
