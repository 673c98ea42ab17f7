package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ollama/ollama/api"
)

// probeText is embedded, and its vector discarded, to learn the dimension
// when every text of the first call is blank. Any real word works; blank
// input is what we avoid sending.
const probeText = "dimension probe"

// Client embeds texts with one model on one Ollama server. It is safe for
// concurrent use; each call sends its batches one after another, since
// Ollama processes the inputs of a request sequentially anyway.
type Client struct {
	api         *api.Client
	addr        string // base URL, for messages
	model       string
	batchSize   int
	keepAlive   time.Duration
	truncate    bool
	queryPrefix string
	docPrefix   string
	timeout     time.Duration
	maxRetries  int
	backoffBase time.Duration
	log         *slog.Logger

	// kind is KindOllama or KindOpenAI; openai is set for the latter.
	kind   string
	openai *openAI
	// dims is the vector length asked for (0: the model's own); sendDims
	// says the request carries it, layerNorm that the client cuts (see fit).
	dims      int
	sendDims  bool
	layerNorm bool

	dim   atomic.Int64 // vector length, 0 until the first response
	stats counters
}

// New validates cfg, applies defaults and returns a client. It makes no
// request; use [Client.Check] to verify the server and model.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	base, oa, herr := endpoint(cfg)
	if err = errors.Join(err, herr); err != nil {
		return nil, fmt.Errorf("embed config: %w", err)
	}

	q, d := PrefixesFor(cfg.Model)
	if cfg.QueryPrefix != nil {
		q = *cfg.QueryPrefix
	}
	if cfg.DocumentPrefix != nil {
		d = *cfg.DocumentPrefix
	}
	if strings.Contains(d, TitlePlaceholder) {
		d = "" // a template: the engine fills in each passage's title
	}
	kind := cfg.Embedder
	if kind == "" {
		kind = KindOllama
	}
	layerNorm := strings.HasPrefix(baseName(cfg.Model), layerNormFamily)
	return &Client{
		kind:        kind,
		openai:      oa,
		dims:        cfg.Dimensions,
		sendDims:    cfg.Dimensions > 0 && !layerNorm,
		layerNorm:   cfg.Dimensions > 0 && layerNorm,
		api:         api.NewClient(base, cfg.HTTPClient),
		addr:        base.String(),
		model:       cfg.Model,
		batchSize:   cfg.BatchSize,
		keepAlive:   cfg.KeepAlive,
		truncate:    *cfg.Truncate,
		queryPrefix: q,
		docPrefix:   d,
		timeout:     cfg.RequestTimeout,
		maxRetries:  cfg.MaxRetries,
		backoffBase: backoffBase,
		log:         cfg.Logger,
	}, nil
}

// Model returns the model name as configured.
func (c *Client) Model() string { return c.model }

// Host returns the Ollama base URL the client talks to, e.g.
// "http://127.0.0.1:11434".
func (c *Client) Host() string { return c.addr }

// Dimension returns the vector length fixed by the first response, or 0
// before any vector has been received.
func (c *Client) Dimension() int { return int(c.dim.Load()) }

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// EmbedDocuments embeds texts as documents: the document prefix is
// prepended, texts are sent [Config.BatchSize] at a time, and the result
// holds one unit-length vector per text, in order. Blank texts (empty or
// whitespace only) are not sent and get a zero vector; if every text of the
// client's first call is blank, one request embeds a probe text to learn the
// dimension. The caller owns the returned slices.
//
// An error names the failing batch and the caller's indices of its first
// and last text: "embed batch 3 (inputs 96-127): ...". Nothing is returned
// for the batches before it.
func (c *Client) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	todo := make([]int, 0, len(texts)) // indices of texts to send
	for i, t := range texts {
		if !isBlank(t) {
			todo = append(todo, i)
		}
	}

	inputs := make([]string, 0, min(c.batchSize, len(todo)))
	for b, start := 0, 0; start < len(todo); b, start = b+1, start+c.batchSize {
		batch := todo[start:min(start+c.batchSize, len(todo))]
		inputs = inputs[:0]
		for _, i := range batch {
			inputs = append(inputs, c.docPrefix+texts[i])
		}
		vecs, err := c.embed(ctx, inputs, "documents", slog.Int("batch", b))
		if err != nil {
			return nil, fmt.Errorf("embed batch %d (inputs %d-%d): %w", b, batch[0], batch[len(batch)-1], err)
		}
		for j, i := range batch {
			out[i] = vecs[j]
		}
	}

	if len(todo) < len(texts) {
		dim, err := c.dimension(ctx)
		if err != nil {
			return nil, fmt.Errorf("embed blank texts: %w", err)
		}
		for i := range out {
			if out[i] == nil {
				out[i] = make([]float32, dim)
			}
		}
	}
	return out, nil
}

// EmbedQuery embeds text as a search query, with the query prefix
// prepended, and returns its unit-length vector, owned by the caller. A
// blank text gives a zero vector (probing the dimension if still unknown).
func (c *Client) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if isBlank(text) {
		dim, err := c.dimension(ctx)
		if err != nil {
			return nil, fmt.Errorf("embed query: %w", err)
		}
		return make([]float32, dim), nil
	}
	vecs, err := c.embed(ctx, []string{c.queryPrefix + text}, "query")
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return vecs[0], nil
}

// Check verifies that Ollama answers and has the model, with the same
// retries as embedding. It returns an error wrapping [ErrUnreachable] or
// [ErrModelMissing], or one saying the model cannot embed.
func (c *Client) Check(ctx context.Context) error {
	if c.openai != nil {
		return c.checkOpenAI(ctx)
	}
	var resp *api.ShowResponse
	err := c.withRetry(ctx, "show", false, func(ctx context.Context) error {
		var err error
		resp, err = c.api.Show(ctx, &api.ShowRequest{Model: c.model})
		return err
	})
	if err != nil {
		return fmt.Errorf("check ollama: %w", err)
	}
	// Recent servers list capabilities (v0.6.5 does); an empty list says nothing.
	if len(resp.Capabilities) > 0 && !slices.ContainsFunc(resp.Capabilities, isEmbedding) {
		return fmt.Errorf("check ollama: model %q is not an embedding model (capabilities: %s)", c.model, capabilities(resp))
	}
	return nil
}

// dimension returns the vector length, embedding probeText if unknown.
func (c *Client) dimension(ctx context.Context) (int, error) {
	if d := c.Dimension(); d > 0 {
		return d, nil
	}
	if _, err := c.embed(ctx, []string{probeText}, "probe"); err != nil {
		return 0, fmt.Errorf("probe dimension: %w", err)
	}
	return c.Dimension(), nil
}

// embed sends one /api/embed request for inputs (with retries) and returns
// one normalised vector per input. kind ("documents", "query", "probe")
// and attrs describe the request in log lines.
func (c *Client) embed(ctx context.Context, inputs []string, kind string, attrs ...any) ([][]float32, error) {
	req := &api.EmbedRequest{
		Model:     c.model,
		Input:     inputs,
		KeepAlive: &api.Duration{Duration: c.keepAlive},
		Truncate:  &c.truncate,
	}
	if c.sendDims {
		req.Dimensions = c.dims
	}
	start := time.Now()
	var resp *api.EmbedResponse
	err := c.withRetry(ctx, "embed "+kind, true, func(ctx context.Context) error {
		t := time.Now()
		var err error
		if c.openai != nil {
			resp, err = c.openai.embed(ctx, req)
		} else {
			resp, err = c.api.Embed(ctx, req)
		}
		c.stats.requests.Add(1)
		c.stats.nanos.Add(int64(time.Since(t)))
		return err
	})
	if err != nil {
		return nil, err
	}

	if len(resp.Embeddings) != len(inputs) {
		return nil, fmt.Errorf("ollama returned %d embeddings for %d inputs", len(resp.Embeddings), len(inputs))
	}
	for i, v := range resp.Embeddings {
		v, err := c.fit(v)
		if err != nil {
			return nil, err
		}
		resp.Embeddings[i] = v
		if err := c.checkDim(len(v)); err != nil {
			return nil, err
		}
		if err := normalize(v); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
	}
	c.stats.inputs.Add(int64(len(inputs)))
	if c.log.Enabled(ctx, slog.LevelDebug) {
		attrs = append(attrs, "kind", kind, "inputs", len(inputs), "ms", time.Since(start).Milliseconds())
		c.log.DebugContext(ctx, "embedded batch", attrs...)
	}
	return resp.Embeddings, nil
}

// checkDim fixes the dimension on first use and rejects any other later.
func (c *Client) checkDim(n int) error {
	if n == 0 {
		return &detailedError{kind: ErrDimensions, msg: "ollama returned an empty embedding"}
	}
	if c.dim.CompareAndSwap(0, int64(n)) {
		return nil
	}
	if want := c.Dimension(); n != want {
		return dimensionError(n, want)
	}
	return nil
}

func isEmbedding[T ~string](capability T) bool { return capability == "embedding" }

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func capabilities(resp *api.ShowResponse) string {
	names := make([]string, len(resp.Capabilities))
	for i, c := range resp.Capabilities {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// ModelDigest returns the digest Ollama lists for the model (its content
// hash), so that a collection can tell when a model of the same name was
// replaced, as `make runtime` does when the offline model is rebuilt. It makes
// one request, without retries, bounded by RequestTimeout; the error wraps
// [ErrModelMissing] when the model is not listed and [ErrTimeout] when
// Ollama did not answer in time.
func (c *Client) ModelDigest(ctx context.Context) (string, error) {
	if c.openai != nil {
		return "", nil // the OpenAI API has no digest
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.api.List(actx)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("list models: %w", c.deadline(context.Cause(ctx), err))
		}
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		return "", fmt.Errorf("list models: %w", c.classify(err, timedOut).err)
	}
	want := c.model
	if !strings.Contains(want, ":") {
		want += ":latest"
	}
	for _, m := range resp.Models {
		if m.Name == want || m.Model == want || m.Name == c.model {
			return m.Digest, nil
		}
	}
	return "", c.modelMissing()
}
