package embed

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by [New] to zero fields of [Config].
const (
	DefaultHost           = "127.0.0.1:11434"
	DefaultBatchSize      = 32
	DefaultKeepAlive      = 5 * time.Minute
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxRetries     = 3
)

// Config configures a [Client]. The zero value of every field except Model
// means its default.
type Config struct {
	// Host is the Ollama address in any form OLLAMA_HOST accepts:
	// "127.0.0.1:11434", "host" (port 11434), "http://host:port",
	// "https://host", "[::1]:11434", optionally with a path. It is parsed the
	// way Ollama's envconfig.Host does, so a scheme without a port means port
	// 80 (http) or 443 (https). Unlike Ollama, a bad value (unknown scheme,
	// port not in 1-65535, junk in the host) is an error instead of a silent
	// fallback. Empty means 127.0.0.1:11434. New does not read OLLAMA_HOST
	// itself: the caller passes it in.
	Host string

	// Embedder is the kind of server: [KindOllama] (default, its
	// /api/embed at Host) or [KindOpenAI] (an OpenAI-compatible
	// /v1/embeddings at URL).
	Embedder string

	// URL is the OpenAI-compatible server's base URL, ending where
	// "/embeddings" is appended ("http://127.0.0.1:8080/v1"); required
	// with [KindOpenAI], unused with Ollama.
	URL string

	// APIKey is sent as "Authorization: Bearer KEY" to an OpenAI-compatible
	// server; empty sends none. It is never logged or recorded.
	APIKey string

	// Model is the model name, e.g. "nomic-embed-text" or "glove-100d".
	// Required.
	Model string

	// Dimensions asks a Matryoshka model for vectors this long (sent as
	// "dimensions"); 0 means the model's own length. A server that ignores
	// the field gets its vectors cut and renormalised by the client.
	Dimensions int

	// BatchSize is the number of inputs per /api/embed request (default 32).
	BatchSize int

	// KeepAlive is how long Ollama keeps the model loaded after a request,
	// sent as keep_alive (default 5m). Negative keeps it loaded indefinitely.
	KeepAlive time.Duration

	// Truncate is sent explicitly as truncate. Nil means true: Ollama cuts
	// inputs longer than the model's context. With false such an input
	// fails with [ErrInputTooLong].
	Truncate *bool

	// QueryPrefix and DocumentPrefix are prepended to queries and documents.
	// Nil means the model family's prefix (see [PrefixesFor]); non-nil
	// overrides it, and "" means none.
	QueryPrefix, DocumentPrefix *string

	// RequestTimeout bounds each HTTP request to Ollama (default 60s); each
	// retry gets a fresh one. A request that times out is retried. The
	// caller's context bounds the whole call.
	RequestTimeout time.Duration

	// MaxRetries is how many times a transiently failed request is retried
	// (default 3, negative means none). Backoff is 250ms, 500ms, 1s, ...
	// with ±25% jitter, so a stopped Ollama fails a call in about 2s.
	MaxRetries int

	// Logger receives debug lines per batch and warnings on retries; texts
	// are never logged. Nil discards.
	Logger *slog.Logger

	// HTTPClient sends the requests. Nil means a client whose dial timeout
	// is 3s; per-request timeouts come from RequestTimeout either way.
	HTTPClient *http.Client
}

// dialTimeout bounds connecting to Ollama with the default HTTP client.
const dialTimeout = 3 * time.Second

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: t}
}

// withDefaults validates cfg and fills in defaults.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	if strings.TrimSpace(cfg.Model) == "" {
		errs = append(errs, errors.New("model is required"))
	}
	switch {
	case cfg.BatchSize < 0:
		errs = append(errs, fmt.Errorf("batch size %d is negative", cfg.BatchSize))
	case cfg.BatchSize == 0:
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Dimensions < 0 {
		errs = append(errs, fmt.Errorf("dimensions %d is negative", cfg.Dimensions))
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.Truncate == nil {
		t := true
		cfg.Truncate = &t
	}
	switch {
	case cfg.RequestTimeout < 0:
		errs = append(errs, fmt.Errorf("request timeout %s is negative", cfg.RequestTimeout))
	case cfg.RequestTimeout == 0:
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	switch {
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	return cfg, errors.Join(errs...)
}

// parseHost turns an OLLAMA_HOST-style address into a base URL, following
// envconfig.Host of github.com/ollama/ollama v0.17.4 but reporting bad
// values instead of falling back to defaults.
func parseHost(s string) (*url.URL, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid Ollama host %q: %s", s, fmt.Sprintf(format, args...))
	}

	defaultPort := "11434"
	raw := strings.Trim(strings.TrimSpace(s), `"'`) // envconfig.Var trims quotes too
	scheme, hostport, ok := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	switch {
	case !ok:
		scheme, hostport = "http", raw
		if raw == "ollama.com" {
			scheme, hostport = "https", "ollama.com:443"
		}
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	default:
		return nil, bad("scheme %q is not http or https", scheme)
	}

	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = "127.0.0.1", defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, bad("port %q is not a number in 1-65535", port)
	}
	if host == "" {
		host = "127.0.0.1" // ":11434" means loopback, as for ollama serve
	}
	if strings.ContainsAny(host, " \t\r\n@?#%/\\") {
		return nil, bad("host %q contains characters not allowed in a host name", host)
	}

	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port), Path: path}
	if back, err := url.Parse(u.String()); err != nil || back.Host != u.Host {
		return nil, bad("not a valid address")
	}
	return u, nil
}
