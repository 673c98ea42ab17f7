package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/semsearch/semsearch/internal/engine"
)

// Defaults for [Config] fields left zero.
const (
	DefaultMaxBodyBytes   = 8 << 20
	DefaultMaxArticles    = 1000
	DefaultRequestTimeout = 30 * time.Second
	DefaultReadyTimeout   = 3 * time.Second
)

// Config configures a [Server].
type Config struct {
	// Engine answers the API's calls. Required.
	Engine Engine
	// Checker, when set, is asked by /readyz whether the embedding backend
	// answers and has the model.
	Checker Checker
	// Cache, when set, reports the query-embedding cache in /v1/stats and
	// /metrics.
	Cache CacheReporter
	// Collection is the collection requests use unless they name one.
	// Required.
	Collection string
	// ValidCollection, when set, rejects collection names the store cannot
	// hold with 400 before any work is done.
	ValidCollection func(name string) bool
	// Model is the embedding model's name, shown by /v1/stats.
	Model string
	// APIKey, when set, is the bearer token every route but /healthz
	// requires.
	APIKey string
	// CORSOrigins are the browser origins allowed to call the API (exact
	// matches such as "https://app.example.com", or "*" for any). CORS is
	// off when empty.
	CORSOrigins []string
	// AllowedHosts are the names (a host, or host:port) requests that
	// reach the server through a loopback address may carry in their Host
	// header beside loopback names and addresses; others get 403, which
	// stops DNS rebinding. Case-insensitive.
	AllowedHosts []string
	// MaxBodyBytes limits request bodies; larger ones get 413. Default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxArticles limits the articles of one POST /v1/documents; more get
	// 413 before any is parsed. Default DefaultMaxArticles.
	MaxArticles int
	// RequestTimeout bounds each request's work; a request that runs out of
	// time gets 504. Default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ReadyTimeout bounds the checks of /readyz. Default
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// LogQueries puts query text in the access log. Off by default, since
	// queries may be private.
	LogQueries bool
	// Errors maps sentinel errors of the wired dependencies (e.g. the
	// embedding client's "Ollama unreachable") to responses. They are
	// checked, in order, before the API's own mapping.
	Errors []ErrorMapping
	// Metrics receives the server's metrics; nil makes a new set. Pass the
	// set whose [Metrics.Embedder] wraps the engine's embedder to get
	// embedding latencies in /metrics.
	Metrics *Metrics
	// Logger receives access and error logs; nil discards them.
	Logger *slog.Logger

	// Front doors beside the JSON API (issue 11).

	// Frontdoors are handlers served at exact paths beside the API (the
	// search page, the MCP endpoint), behind the same middleware: access
	// log, metrics, CORS, API key (unless OwnAuth), body limit and timeout.
	Frontdoors []Frontdoor
	// PassageLink returns the path of the page that shows a result's
	// passage (e.g. the search page's document view); Open WebUI's links
	// use it. Nil links to /v1/documents/{id}.
	PassageLink func(collection string, r engine.Result) string
	// PublicURL is the scheme and host clients reach the server at (e.g.
	// "https://search.example.com"), for absolute links; "" takes them
	// from each request.
	PublicURL string
}

// Frontdoor is a handler served at one exact path beside the JSON API.
type Frontdoor struct {
	Path    string
	Methods []string
	Handler http.Handler
	// OwnAuth says the handler checks the API key itself (the search page
	// asks for it instead of answering 401).
	OwnAuth bool
}

// ErrorMapping maps errors matching Err (with errors.Is) to an HTTP status
// and error code; the response's message is the error's own text, so it
// should say what to do.
type ErrorMapping struct {
	Err    error
	Status int
	Code   string
	// Check names the /readyz check that fails when the [Checker] returns
	// such an error, e.g. "ollama" or "model". Checks are listed in the
	// order they first appear in Config.Errors.
	Check string
}

// Server is the HTTP API: an http.Handler serving the routes listed in the
// package documentation. It holds no listener; the caller runs it in an
// http.Server.
type Server struct {
	eng             Engine
	checker         Checker
	cache           CacheReporter
	collection      string
	validCollection func(string) bool
	model           string
	apiKey          string
	origins         map[string]bool
	anyOrigin       bool
	crossOrigin     *http.CrossOriginProtection
	allowedHosts    map[string]bool
	maxBody         int64
	maxArticles     int
	timeout         time.Duration
	readyTimeout    time.Duration
	logQueries      bool
	errs            []ErrorMapping
	metrics         *Metrics
	log             *slog.Logger
	started         time.Time
	frontdoors      []Frontdoor
	ownAuth         map[string]bool
	passageURL      func(string, engine.Result) string
	publicURL       string

	router  *mux.Router
	handler http.Handler
}

// New returns a server for cfg. It registers the collection and cache
// gauges with cfg.Metrics, so a Metrics set serves one Server.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("httpapi: no engine")
	}
	if cfg.Collection == "" {
		return nil, errors.New("httpapi: no default collection")
	}
	if cfg.ValidCollection != nil && !cfg.ValidCollection(cfg.Collection) {
		return nil, fmt.Errorf("httpapi: invalid default collection %q", cfg.Collection)
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxArticles < 0 || cfg.RequestTimeout < 0 || cfg.ReadyTimeout < 0 {
		return nil, errors.New("httpapi: negative body limit, article limit or timeout")
	}
	s := &Server{
		eng:             cfg.Engine,
		checker:         cfg.Checker,
		cache:           cfg.Cache,
		collection:      cfg.Collection,
		validCollection: cfg.ValidCollection,
		model:           cfg.Model,
		apiKey:          cfg.APIKey,
		origins:         map[string]bool{},
		crossOrigin:     http.NewCrossOriginProtection(),
		allowedHosts:    map[string]bool{},
		maxBody:         cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		maxArticles:     cmp.Or(cfg.MaxArticles, DefaultMaxArticles),
		timeout:         cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout),
		readyTimeout:    cmp.Or(cfg.ReadyTimeout, DefaultReadyTimeout),
		logQueries:      cfg.LogQueries,
		errs:            cfg.Errors,
		metrics:         cfg.Metrics,
		log:             cfg.Logger,
		started:         time.Now(),
		frontdoors:      cfg.Frontdoors,
		ownAuth:         map[string]bool{},
		passageURL:      cfg.PassageLink,
		publicURL:       strings.TrimRight(cfg.PublicURL, "/"),
	}
	for _, fd := range cfg.Frontdoors {
		if fd.Path == "" || fd.Handler == nil || len(fd.Methods) == 0 {
			return nil, fmt.Errorf("httpapi: front door %q needs a path, methods and a handler", fd.Path)
		}
		if fd.OwnAuth {
			s.ownAuth[fd.Path] = true
		}
	}
	for _, o := range cfg.CORSOrigins {
		if o == "*" {
			s.anyOrigin = true
		} else if err := s.crossOrigin.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("httpapi: CORS origin %q: %w", o, err)
		}
		s.origins[o] = true
	}
	for _, h := range cfg.AllowedHosts {
		if err := checkAllowedHost(h); err != nil {
			return nil, fmt.Errorf("httpapi: %w", err)
		}
		s.allowedHosts[strings.ToLower(h)] = true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if err := s.metrics.watch(s.eng, s.cache); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	s.router = s.routes()
	s.handler = s.observe(s.recoverPanics(s.checkHost(s.cors(s.checkOrigin(s.authenticate(s.limit(s.router)))))))
	return s, nil
}

// checkAllowedHost says what is wrong with an allowed host: a name or
// address, optionally with a port, as a Host header carries it.
func checkAllowedHost(h string) error {
	name := h
	if n, port, err := net.SplitHostPort(h); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("allowed host %q: the port is not a number", h)
		}
		name = n
	}
	if name == "" || strings.ContainsAny(name, "/:@?#% \t") && !isIPv6(name) {
		return fmt.Errorf("allowed host %q: want a host name or address, optionally with :PORT (e.g. search.example.com), not a URL", h)
	}
	return nil
}

func isIPv6(s string) bool {
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return err == nil && ip.Is6()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// routes builds the router. Paths are matched in their escaped form and not
// cleaned, so a document id may hold slashes and any escaped byte.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter().UseEncodedPath().SkipClean(true)
	r.NotFoundHandler = s.handle(s.notFound)
	r.MethodNotAllowedHandler = s.handle(s.methodNotAllowed)
	r.Use(recordRoute)

	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet)
	r.Handle("/readyz", s.handle(s.readyz)).Methods(http.MethodGet)
	r.Handle("/metrics", s.metrics.handler()).Methods(http.MethodGet)
	r.Handle("/openapi.json", s.handle(s.openapi)).Methods(http.MethodGet)

	r.Handle("/v1/search", s.handle(s.searchGET)).Methods(http.MethodGet)
	r.Handle("/v1/search", s.handle(s.searchPOST)).Methods(http.MethodPost)
	r.Handle("/v1/context", s.handle(s.contextPOST)).Methods(http.MethodPost)
	r.Handle("/v1/documents", s.handle(s.listDocuments)).Methods(http.MethodGet)
	r.Handle("/v1/documents", s.handle(s.addDocuments)).Methods(http.MethodPost)
	r.Handle("/v1/files", s.handle(s.addFiles)).Methods(http.MethodPost)
	r.Handle("/v1/files", s.handle(s.listFiles)).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id:.+}", s.handle(s.getDocument)).Methods(http.MethodGet)
	r.Handle("/v1/documents/{id:.+}", s.handle(s.deleteDocument)).Methods(http.MethodDelete)
	r.Handle("/v1/collections", s.handle(s.listCollections)).Methods(http.MethodGet)
	r.Handle("/v1/stats", s.handle(s.stats)).Methods(http.MethodGet)

	// Retrieval contracts of RAG platforms and the front doors (issue 11).
	r.Handle(retrievalPath, s.difyHandle(s.retrieval)).Methods(http.MethodPost)
	r.Handle("/v1/web-search", s.handle(s.webSearch)).Methods(http.MethodPost)
	for _, fd := range s.frontdoors {
		r.Handle(fd.Path, fd.Handler).Methods(fd.Methods...)
	}
	return r
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h, writing its error with [Server.writeError].
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return &apiError{kind: errNoRoute, code: "route_not_found",
		msg: fmt.Sprintf("no route %s %s (see /openapi.json)", r.Method, r.URL.EscapedPath())}
}

// methodNotAllowed answers a known path with the wrong method, listing the
// methods it has in the Allow header.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil && match.Route != nil {
			allowed = append(allowed, m)
		}
	}
	for _, m := range allowed {
		w.Header().Add("Allow", m)
	}
	return &apiError{kind: errMethod, code: "method_not_allowed",
		msg: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.EscapedPath(), strings.Join(allowed, " or "))}
}
