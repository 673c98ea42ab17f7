package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Context sizes used when /api/show does not tell all.
const (
	// ollamaNumCtx is the num_ctx Ollama runs a model with when the model
	// sets none (v0.6.5's default; nomic-embed-text runs with it).
	ollamaNumCtx = 2048
	// fallbackContext is assumed when the context is unknown: the smallest
	// of the common embedding models.
	fallbackContext = 512
)

// announceAfter is how long a load runs before Progress hears of it.
const announceAfter = time.Second

// ensureLoaded makes sure the model is loaded before embedding: the first
// time, and again after a request timed out. It learns the model's context
// first (once), then sends an empty-input /api/embed, which makes Ollama
// load the model and answer without embedding anything, under LoadTimeout
// rather than RequestTimeout: a request that gives up during a load makes
// Ollama abandon the load, so under a short limit a big model never loads.
func (c *Client) ensureLoaded(ctx context.Context) error {
	if c.loaded.Load() || c.openai != nil {
		// An OpenAI-compatible server has no load request and no /api/show:
		// its first request loads, and the chunker's token cap bounds inputs.
		return nil
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if c.loaded.Load() {
		return nil
	}
	if err := c.probe(ctx); err != nil {
		return err
	}

	start := time.Now()
	done := c.announce(start)
	req := c.embedRequest([]string{})
	var resp api.EmbedResponse
	err := c.withRetry(ctx, "load", false, c.loadTimeout, true, func(ctx context.Context) error {
		return c.post(ctx, "/api/embed", req, &resp)
	})
	done(err)
	switch {
	case err == nil:
	case errors.Is(err, ErrTimeout) && ctx.Err() == nil:
		return noSplit{&detailedError{kind: ErrTimeout, cause: err, msg: fmt.Sprintf(
			"model %q did not load within %s (--load-timeout) on Ollama at %s: is the model too big for this machine? Check `ollama ps` and the server log",
			c.model, c.loadTimeout, c.addr)}}
	case errors.Is(err, errRejected):
		// A server that refuses an empty input loads the model with the
		// first real request instead.
		c.log.DebugContext(ctx, "load request refused; loading with the first request", "err", err)
	default:
		return fmt.Errorf("load model %q: %w", c.model, err)
	}
	c.loaded.Store(true)
	return nil
}

// probe checks, under RequestTimeout and without retries, that the server
// answers at all before a load is given LoadTimeout: Ollama answers other
// requests while it loads a model, so one that does not is hung, and
// waiting LoadTimeout for it would only delay saying so. The first probe
// is /api/show, which also tells the model's context; later ones (after a
// timeout) /api/version. Only a timeout or an unreachable server fails
// it; anything else is left for the load to report.
func (c *Client) probe(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var err error
	if c.inputTokens.Load() == 0 {
		var n int
		n, err = c.learnContext(pctx)
		// Room for the estimate's error and the [CLS] and [SEP] tokens.
		c.inputTokens.Store(int64(n - n/8 - 2))
	} else {
		_, err = c.api.Version(pctx)
	}
	if err == nil {
		return nil
	}
	timedOut := errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	f := c.classify(err, timedOut, c.timeout)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return noSplit{c.deadline(context.Cause(ctx), f.err)}
	case ctx.Err() != nil:
		return fmt.Errorf("%w; last attempt: %w", context.Cause(ctx), f.err)
	case timedOut || errors.Is(f.err, ErrUnreachable):
		return noSplit{f.err}
	}
	c.log.DebugContext(ctx, "probe failed; loading anyway", "err", err)
	return nil
}

// announce prints "loading MODEL ..." to Progress if the load is still
// running after announceAfter, and how long it took once done (the
// returned function, called with the load's error).
func (c *Client) announce(start time.Time) func(error) {
	if c.progress == nil {
		return func(error) {}
	}
	printed := make(chan bool, 1)
	t := time.AfterFunc(announceAfter, func() {
		fmt.Fprintf(c.progress, "loading %s ...\n", c.model)
		printed <- true
	})
	return func(err error) {
		if t.Stop() {
			return
		}
		<-printed
		if err == nil {
			fmt.Fprintf(c.progress, "loaded %s in %.1fs\n", c.model, time.Since(start).Seconds())
		}
	}
}

// numCtxParam finds num_ctx in /api/show's parameters, one "name value"
// pair a line.
var numCtxParam = regexp.MustCompile(`(?m)^\s*num_ctx\s+(\d+)\s*$`)

// learnContext returns the model's context in tokens: ContextTokens when
// configured, else what /api/show says (model_info's *.context_length,
// capped by the num_ctx parameter, or by Ollama's default num_ctx when the
// model sets none), else fallbackContext. It fails only when /api/show
// fails; the context is then fallbackContext.
func (c *Client) learnContext(ctx context.Context) (int, error) {
	if c.contextSet > 0 {
		return c.contextSet, nil
	}
	resp, err := c.api.Show(ctx, &api.ShowRequest{Model: c.model})
	if err != nil {
		return fallbackContext, err
	}
	trained := 0
	for k, v := range resp.ModelInfo {
		if strings.HasSuffix(k, ".context_length") {
			if f, ok := v.(float64); ok && f > 0 {
				trained = int(f)
			}
		}
	}
	numCtx := ollamaNumCtx
	if m := numCtxParam.FindStringSubmatch(resp.Parameters); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			numCtx = n
		}
	}
	if trained == 0 {
		trained = fallbackContext
		if strings.Contains(resp.Parameters, "num_ctx") {
			trained = numCtx
		}
	}
	got := min(trained, numCtx)
	c.log.DebugContext(ctx, "model context", "model", c.model, "tokens", got)
	return got, nil
}

// noSplit marks a timeout of loading or probing: not a reason to split a
// batch, which would only load again.
type noSplit struct{ error }

func (e noSplit) Unwrap() error { return e.error }

// isAttemptTimeout reports whether err is an embedding request that did not
// answer within its own limit (not the caller's deadline, not a load).
func isAttemptTimeout(err error) bool {
	var ns noSplit
	return errors.Is(err, ErrTimeout) && !errors.As(err, &ns)
}

// errRejected marks a 4xx answer that is neither "model not found" nor an
// unknown API: the server understood the request and refused it.
var errRejected = errors.New("request rejected")

// post sends body as JSON to path and decodes the answer into resp. An
// error status gives a *statusError with the server's own text, whatever
// the body's shape; a body that is not the JSON expected gives a
// *bodyError quoting it.
func (c *Client) post(ctx context.Context, path string, body, resp any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(path).String(), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= http.StatusBadRequest {
		return &statusError{code: res.StatusCode, text: serverText(out)}
	}
	if er, ok := resp.(*api.EmbedResponse); ok && decodeEmbedResponse(out, er) {
		return nil // the vectors, decoded faster (anything unusual goes on to encoding/json)
	}
	if err := json.Unmarshal(out, resp); err != nil {
		return &bodyError{err: err, body: shorten(string(out))}
	}
	return nil
}
