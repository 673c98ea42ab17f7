package embed

import (
	"errors"
	"fmt"
	"io"
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
	DefaultRequestTimeout = 60 * time.Second
	DefaultLoadTimeout    = 5 * time.Minute
	DefaultMaxRetries     = 3
	DefaultConcurrency    = 1
)

// requestUnit is how many inputs one RequestTimeout covers: a request of
// more gets another RequestTimeout per requestUnit inputs begun, since a
// big model on a CPU takes seconds per input.
const requestUnit = 16

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

	// KeepAlive, when set, is how long Ollama keeps the model loaded after
	// a request, sent as keep_alive: 0 unloads it at once, negative keeps
	// it loaded indefinitely. Nil sends none, so the server's
	// OLLAMA_KEEP_ALIVE (default 5m) applies.
	KeepAlive *time.Duration

	// Truncate is sent explicitly as truncate. Nil means true: Ollama cuts
	// inputs longer than the model's context. With false such an input
	// fails with [ErrInputTooLong].
	Truncate *bool

	// QueryPrefix and DocumentPrefix are prepended to queries and documents.
	// Nil means the model family's prefix (see [PrefixesFor]); non-nil
	// overrides it, and "" means none.
	QueryPrefix, DocumentPrefix *string

	// RequestTimeout bounds each HTTP request to Ollama of up to 16 inputs
	// (default 60s); a bigger batch gets one more RequestTimeout per 16
	// inputs. Each retry gets a fresh limit. A batch of documents that
	// times out is sent again in halves, anything else is retried. The
	// caller's context bounds the whole call.
	RequestTimeout time.Duration

	// LoadTimeout bounds loading the model (default 5m). Before its first
	// embedding, and again after a request timed out (the model may have
	// been unloaded), the client asks Ollama to load the model with an
	// empty-input /api/embed under this limit: a request that gave up
	// during a load would make Ollama abandon it and start over.
	LoadTimeout time.Duration

	// Progress, when set, receives a line "loading MODEL ..." when a load
	// takes more than a second, and one when it is done. Nil prints none.
	Progress io.Writer

	// Concurrency is how many /api/embed requests one EmbedDocuments call
	// keeps in flight (default 1). Ollama embeds the inputs of a request
	// up to OLLAMA_NUM_PARALLEL at a time (default 1 since v0.9.7), so more
	// than one in flight helps on a server run with a higher setting or on
	// a GPU; on a CPU one at a time is as fast.
	Concurrency int

	// ContextTokens is the model's context in tokens; inputs estimated
	// longer are cut before they are sent. Zero means learn it from
	// /api/show on the first embedding: model_info's *.context_length,
	// capped by the num_ctx parameter, or 2,048 (Ollama's default num_ctx)
	// when there is none, or 512 when /api/show does not tell.
	ContextTokens int

	// MaxRetries is how many times a transiently failed request is retried
	// (default 3, negative means none). Backoff is 250ms, 500ms, 1s, ...
	// with ±25% jitter. A refused connection (Ollama not running) is not
	// retried: it fails at once.
	MaxRetries int

	// Logger receives debug lines per batch, one warning per retried call
	// and one per input cut to fit the model's context; texts are never
	// logged. Nil discards.
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
	switch {
	case cfg.LoadTimeout < 0:
		errs = append(errs, fmt.Errorf("load timeout %s is negative", cfg.LoadTimeout))
	case cfg.LoadTimeout == 0:
		cfg.LoadTimeout = DefaultLoadTimeout
	}
	switch {
	case cfg.Concurrency < 0:
		errs = append(errs, fmt.Errorf("concurrency %d is negative", cfg.Concurrency))
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.ContextTokens < 0 {
		errs = append(errs, fmt.Errorf("context tokens %d is negative", cfg.ContextTokens))
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
