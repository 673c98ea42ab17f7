package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// reqInfo collects what the access log and metrics need to know about a
// request from the handlers deeper in the chain.
type reqInfo struct {
	route   string // route template, "unmatched" for 404s and 405s
	query   string // query text, logged only with LogQueries
	errCode string // error code of an error response
}

type reqInfoKey struct{}

func requestInfo(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

// noteQuery records the query text for the access log.
func noteQuery(r *http.Request, q string) {
	if ri := requestInfo(r.Context()); ri != nil {
		ri.query = q
	}
}

// recordRoute is router middleware that notes the matched route's template.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, rt := requestInfo(r.Context()), mux.CurrentRoute(r); ri != nil && rt != nil {
			if tmpl, err := rt.GetPathTemplate(); err == nil {
				ri.route = tmpl
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status and body size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe writes the access log line and the request metrics. The route is
// the template ("/v1/documents/{id:.+}"), never the raw path, so neither
// log nor metrics hold document ids; query text is logged only with
// LogQueries.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{route: "unmatched"}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		next.ServeHTTP(sw, r)

		if ri.route == "unmatched" { // stopped before routing, e.g. by auth
			var m mux.RouteMatch
			if s.router.Match(r, &m) && m.MatchErr == nil && m.Route != nil {
				if tmpl, err := m.Route.GetPathTemplate(); err == nil {
					ri.route = tmpl
				}
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observeRequest(ri.route, r.Method, status, d)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", ri.route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.Int64("bytes", sw.bytes),
		}
		if ri.errCode != "" {
			attrs = append(attrs, slog.String("error_code", ri.errCode))
		}
		if s.logQueries && ri.query != "" {
			attrs = append(attrs, slog.String("query", ri.query))
		}
		s.log.LogAttrs(r.Context(), logLevelFor(status), "request", attrs...)
	})
}

// recoverPanics turns a panic in a handler into a logged JSON 500, so one
// bad request cannot take the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's way to abort a response; it logs nothing
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "route", routeOf(r),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // the response has started; the client sees it cut short
			}
			if ri := requestInfo(r.Context()); ri != nil {
				ri.errCode = "internal"
			}
			s.writeJSON(w, r, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "internal error"}})
		}()
		next.ServeHTTP(w, r)
	})
}

// cors answers preflight requests and marks responses for the configured
// origins. Requests from other origins get no CORS headers, so browsers
// keep the responses from their pages.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" || !(s.anyOrigin || s.origins[origin]) {
			next.ServeHTTP(w, r)
			return
		}
		if s.anyOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id") // MCP clients send the last two
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses, with 403, a request that reached the server through a
// loopback address under a name that is neither a loopback name or address
// nor one of [Config.AllowedHosts]: a page whose DNS name was rebound to
// 127.0.0.1 would otherwise read and change the index from the user's
// browser. Requests through other addresses are left alone: their names are
// the operator's business (and the API key's).
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !ok || !isLoopbackAddr(local.String()) || s.hostAllowed(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		s.refuse(w, r, "forbidden_host", fmt.Sprintf("Host %q is not a name of this server: a server on a loopback address answers "+
			"localhost and loopback addresses only (a foreign name is how DNS rebinding reaches it); add the name with --allowed-hosts "+
			"(SEMSEARCH_ALLOWED_HOSTS) if clients or a proxy use it", r.Host))
	})
}

// hostAllowed says whether a Host header names this server: a loopback
// name or address, or an allowed host (with or without its port).
func (s *Server) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	if s.allowedHosts[host] {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || s.allowedHosts[name] {
		return true // *.localhost resolves to loopback only (RFC 6761)
	}
	ip, err := netip.ParseAddr(name)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLoopbackAddr says whether a local address (host:port) is a loopback one.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkOrigin refuses, with 403, a browser's cross-origin request: a page
// of another site could otherwise post a text/plain body, which needs no
// preflight, to a server on the user's machine, and make it search with a
// GET (an image, a no-cors fetch) whose answer it cannot read but whose
// time and size it can measure (cross-site search leaks), at the cost of an
// embedding each. It uses net/http's CrossOriginProtection for every method
// but GET, HEAD and OPTIONS, which reads Sec-Fetch-Site and Origin, and
// [crossSiteRead] for GET and HEAD. Requests without either header (curl,
// SDKs), the search page's own forms and a link followed to the server pass.
// --cors-origin origins are trusted, and "*" trusts every one.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	if s.anyOrigin {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.crossOrigin.Check(r); err != nil || s.crossSiteRead(r) {
			s.refuse(w, r, "cross_origin", "cross-origin request refused: a browser page of another origin may not change "+
				"or query this server; start it with --cors-origin ORIGIN to allow that origin")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossSiteRead reports a GET or HEAD that a page of another origin made
// the browser send, judged as CrossOriginProtection judges a POST (same-site
// counts: another port of localhost is another origin). A top-level
// navigation (a link the user followed) is not refused: its answer goes to
// the user, not to the page.
func (s *Server) crossSiteRead(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document" {
		return false
	}
	post := *r
	post.Method = http.MethodPost
	return s.crossOrigin.Check(&post) != nil
}

// refuse answers 403 with an error body.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code, msg string) {
	if ri := requestInfo(r.Context()); ri != nil {
		ri.errCode = code
	}
	s.log.WarnContext(r.Context(), "request refused", "code", code, "host", r.Host, "origin", r.Header.Get("Origin"))
	s.writeJSON(w, r, http.StatusForbidden, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// authenticate requires "Authorization: Bearer <APIKey>" on every route but
// /healthz when an API key is set. Keys are compared as SHA-256 digests in
// constant time, so neither content nor length leaks through timing.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.apiKey == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.apiKey))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || s.ownAuth[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			if r.URL.Path == retrievalPath {
				s.difyUnauthorized(w, r, true)
				return
			}
			s.writeError(w, r, &apiError{kind: errUnauthorized, code: "unauthorized",
				msg: "missing API key: send the header Authorization: Bearer <key>"})
			return
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			if r.URL.Path == retrievalPath {
				s.difyUnauthorized(w, r, false)
				return
			}
			s.writeError(w, r, &apiError{kind: errUnauthorized, code: "unauthorized", msg: "invalid API key"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limit bounds each request's body size and running time.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.maxBody { // answered before reading a byte
			s.writeError(w, r, &http.MaxBytesError{Limit: s.maxBody})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
