package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/semsearch/semsearch/internal/chunk"
)

// probeText is embedded, and its vector discarded, to learn the dimension
// when every text of the first call is blank. Any real word works; blank
// input is what we avoid sending.
const probeText = "dimension probe"

// Client embeds texts with one model on one Ollama server. It is safe for
// concurrent use. One EmbedDocuments call sends its batches up to
// [Config.Concurrency] at a time; Ollama itself embeds the inputs of one
// request up to OLLAMA_NUM_PARALLEL at a time (default 1 since v0.9.7).
type Client struct {
	api         *api.Client
	http        *http.Client
	base        *url.URL
	addr        string // base URL, for messages
	model       string
	batchSize   int
	keepAlive   *time.Duration
	truncate    bool
	queryPrefix string
	docPrefix   string
	timeout     time.Duration
	loadTimeout time.Duration
	maxRetries  int
	concurrency int
	contextSet  int // Config.ContextTokens
	backoffBase time.Duration
	log         *slog.Logger
	progress    io.Writer

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

	loadMu sync.Mutex  // serialises loads
	loaded atomic.Bool // the model answered a load; false again after a timeout
	// inputTokens is the most estimated tokens an input may have, 0 until
	// learned; it only shrinks, when the server refuses a shorter input.
	inputTokens atomic.Int64
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
		http:        cfg.HTTPClient,
		base:        base,
		addr:        base.String(),
		model:       cfg.Model,
		batchSize:   cfg.BatchSize,
		keepAlive:   cfg.KeepAlive,
		truncate:    *cfg.Truncate,
		queryPrefix: q,
		docPrefix:   d,
		timeout:     cfg.RequestTimeout,
		loadTimeout: cfg.LoadTimeout,
		maxRetries:  cfg.MaxRetries,
		concurrency: cfg.Concurrency,
		contextSet:  cfg.ContextTokens,
		backoffBase: backoffBase,
		log:         cfg.Logger,
		progress:    cfg.Progress,
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
// A text longer than the model's context is cut to fit, with a warning. A
// batch that times out is sent again in halves; an input the server still
// finds too long is sent alone, cut further.
//
// An error names the failing batch and the caller's indices of its first
// and last text: "embed batch 3 (inputs 96-127): ...". Nothing is returned
// for the other batches.
func (c *Client) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	return c.EmbedDocumentsNamed(ctx, texts, nil)
}

// EmbedDocumentsNamed is [Client.EmbedDocuments] with a name for each text
// ("article X passage 3"), used by the warning about a text cut to fit the
// model's context; nil or missing names say "input N".
func (c *Client) EmbedDocumentsNamed(ctx context.Context, texts, names []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	todo := make([]int, 0, len(texts)) // indices of texts to send
	for i, t := range texts {
		if !isBlank(t) {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 {
		if err := c.ensureLoaded(ctx); err != nil {
			return nil, err
		}
	}
	name := func(i int) string {
		if i < len(names) && names[i] != "" {
			return names[i]
		}
		return fmt.Sprintf("input %d", i)
	}

	type batch struct {
		n       int
		indices []int
	}
	var batches []batch
	for b, start := 0, 0; start < len(todo); b, start = b+1, start+c.batchSize {
		batches = append(batches, batch{b, todo[start:min(start+c.batchSize, len(todo))]})
	}
	send := func(ctx context.Context, b batch) error {
		inputs := make([]string, len(b.indices))
		inNames := make([]string, len(b.indices))
		for j, i := range b.indices {
			inNames[j] = name(i)
			inputs[j] = c.docPrefix + c.fit(ctx, texts[i], c.docPrefix, inNames[j])
		}
		vecs, err := c.sendBatch(ctx, inputs, inNames, slog.Int("batch", b.n))
		if err != nil {
			return fmt.Errorf("embed batch %d (inputs %d-%d): %w", b.n, b.indices[0], b.indices[len(b.indices)-1], err)
		}
		for j, i := range b.indices {
			out[i] = vecs[j]
		}
		return nil
	}
	if err := forEach(ctx, c.concurrency, batches, send); err != nil {
		return nil, err
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

// forEach runs f on every item, up to n at a time, and returns the first
// error; the others' context is cancelled then.
func forEach[T any](ctx context.Context, n int, items []T, f func(context.Context, T) error) error {
	if n <= 1 || len(items) <= 1 {
		for _, it := range items {
			if err := f(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	sem := make(chan struct{}, n)
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, it); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// sendBatch embeds inputs, which are prefixed and fit the context as far
// as the client knows. A batch that times out is sent again in halves
// (resending it whole would most likely time out again), and so is one
// with an input the server refuses as too long, until that input goes
// alone: then it is cut to half its length, with a warning naming it,
// until the server takes it.
func (c *Client) sendBatch(ctx context.Context, inputs, names []string, attrs ...any) ([][]float32, error) {
	vecs, err := c.embed(ctx, inputs, "documents", len(inputs) > 1, attrs...)
	if err == nil || ctx.Err() != nil {
		return vecs, err
	}
	tooLong := errors.Is(err, ErrInputTooLong) && c.truncate
	switch {
	case len(inputs) > 1 && (tooLong || isAttemptTimeout(err)):
		if !tooLong {
			c.log.WarnContext(ctx, "ollama request timed out; sending the batch in halves",
				append(attrs, "inputs", len(inputs), "limit", c.limit(len(inputs)).String())...)
		}
		h := len(inputs) / 2
		left, err := c.sendBatch(ctx, inputs[:h], names[:h], attrs...)
		if err != nil {
			return nil, err
		}
		right, err := c.sendBatch(ctx, inputs[h:], names[h:], attrs...)
		if err != nil {
			return nil, err
		}
		return append(left, right...), nil
	case tooLong:
		n := chunk.EstimateTokens(inputs[0])
		if n <= minCutTokens {
			return nil, err
		}
		cut := chunk.CutTokens(inputs[0], n/2)
		// Later inputs are cut before they are sent.
		for {
			old := c.inputTokens.Load()
			if old > 0 && old <= int64(n/2) || c.inputTokens.CompareAndSwap(old, int64(n/2)) {
				break
			}
		}
		c.log.WarnContext(ctx, "ollama refused an input as longer than the model's context; embedding its first part only",
			"input", names[0], "tokens", n, "cut_to", chunk.EstimateTokens(cut), "error", err)
		return c.sendBatch(ctx, []string{cut}, names, attrs...)
	}
	return nil, err
}

// minCutTokens is the shortest input sendBatch still cuts: a server that
// refuses that is not refusing it for its length.
const minCutTokens = 8

// fit returns text cut to the model's context, less the prefix's tokens,
// and warns naming the input when it had to cut.
func (c *Client) fit(ctx context.Context, text, prefix, name string) string {
	limit := int(c.inputTokens.Load())
	if limit <= 0 {
		return text
	}
	limit = max(limit-chunk.EstimateTokens(prefix), minCutTokens)
	n := chunk.EstimateTokens(text)
	if n <= limit {
		return text
	}
	cut := chunk.CutTokens(text, limit)
	c.log.WarnContext(ctx, "input longer than the model's context; embedding its first part only",
		"input", name, "tokens", n, "cut_to", chunk.EstimateTokens(cut), "context", c.inputTokens.Load())
	return cut
}

// EmbedQuery embeds text as a search query, with the query prefix
// prepended, and returns its unit-length vector, owned by the caller. A
// blank text gives a zero vector (probing the dimension if still unknown).
// A query longer than the model's context is cut to fit.
func (c *Client) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if isBlank(text) {
		dim, err := c.dimension(ctx)
		if err != nil {
			return nil, fmt.Errorf("embed query: %w", err)
		}
		return make([]float32, dim), nil
	}
	if err := c.ensureLoaded(ctx); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	vecs, err := c.embed(ctx, []string{c.queryPrefix + c.fit(ctx, text, c.queryPrefix, "query")}, "query", false)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return vecs[0], nil
}

// EmbedQueries embeds several queries as [Client.EmbedQuery] does each,
// in one /api/embed request per [Config.BatchSize] queries: the server runs
// a request's inputs together, so queries that arrive together (see
// engine.QueryBatcher) cost little more than one. Blank queries are not
// sent and get zero vectors. One error fails them all.
func (c *Client) EmbedQueries(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var todo []int // indices of the queries to send
	for i, t := range texts {
		if !isBlank(t) {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 {
		if err := c.ensureLoaded(ctx); err != nil {
			return nil, fmt.Errorf("embed queries: %w", err)
		}
	}
	for start := 0; start < len(todo); start += c.batchSize {
		part := todo[start:min(start+c.batchSize, len(todo))]
		inputs := make([]string, len(part))
		for j, i := range part {
			inputs[j] = c.queryPrefix + c.fit(ctx, texts[i], c.queryPrefix, "query")
		}
		vecs, err := c.embed(ctx, inputs, "queries", false)
		if err != nil {
			return nil, fmt.Errorf("embed %d queries: %w", len(texts), err)
		}
		for j, i := range part {
			out[i] = vecs[j]
		}
	}
	if len(todo) < len(texts) {
		dim, err := c.dimension(ctx)
		if err != nil {
			return nil, fmt.Errorf("embed blank queries: %w", err)
		}
		for i := range out {
			if out[i] == nil {
				out[i] = make([]float32, dim)
			}
		}
	}
	return out, nil
}

// Check verifies that Ollama answers and has the model, with the same
// retries as embedding. It returns an error wrapping [ErrUnreachable] or
// [ErrModelMissing], or one saying the model cannot embed.
func (c *Client) Check(ctx context.Context) error {
	if c.openai != nil {
		return c.checkOpenAI(ctx)
	}
	var resp *api.ShowResponse
	err := c.withRetry(ctx, "show", false, c.timeout, false, func(ctx context.Context) error {
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
	if err := c.ensureLoaded(ctx); err != nil {
		return 0, fmt.Errorf("probe dimension: %w", err)
	}
	if _, err := c.embed(ctx, []string{probeText}, "probe", false); err != nil {
		return 0, fmt.Errorf("probe dimension: %w", err)
	}
	return c.Dimension(), nil
}

// limit is the time limit of an /api/embed request of n inputs.
func (c *Client) limit(n int) time.Duration {
	return c.timeout * time.Duration(1+max(n-1, 0)/requestUnit)
}

// embed sends one /api/embed request for inputs (with retries) and returns
// one normalised vector per input. kind ("documents", "query", "probe")
// and attrs describe the request in log lines. With splittable, a timed-out
// attempt is not retried but returned, for the caller to halve the batch.
func (c *Client) embed(ctx context.Context, inputs []string, kind string, splittable bool, attrs ...any) ([][]float32, error) {
	if err := c.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	req := c.embedRequest(inputs)
	start := time.Now()
	var resp api.EmbedResponse
	err := c.withRetry(ctx, "embed "+kind, true, c.limit(len(inputs)), splittable, func(ctx context.Context) error {
		t := time.Now()
		var err error
		if c.openai != nil {
			var r *api.EmbedResponse
			if r, err = c.openai.embed(ctx, req); err == nil {
				resp = *r
			}
		} else {
			err = c.post(ctx, "/api/embed", req, &resp)
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
		v, err := c.fitDims(v)
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

// embedRequest is the /api/embed body for inputs; keep_alive goes only
// when configured, so that the server's OLLAMA_KEEP_ALIVE applies.
func (c *Client) embedRequest(inputs []string) *api.EmbedRequest {
	req := &api.EmbedRequest{Model: c.model, Input: inputs, Truncate: &c.truncate}
	if c.keepAlive != nil {
		req.KeepAlive = &api.Duration{Duration: *c.keepAlive}
	}
	if c.sendDims {
		req.Dimensions = c.dims
	}
	return req
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
		return "", fmt.Errorf("list models: %w", c.classify(err, timedOut, c.timeout).err)
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
