package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// backoffBase is the wait before the first retry; it doubles per attempt.
const backoffBase = 250 * time.Millisecond

// backoffMax caps a single wait.
const backoffMax = 4 * time.Second

// backoff returns the wait before retry number attempt (0-based):
// base·2^attempt with ±25% jitter, capped.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 16)
	d = min(d, backoffMax)
	return time.Duration(float64(d) * (0.75 + 0.5*rand.Float64()))
}

// withRetry runs op, giving each attempt the time limit limit, and retries
// transient failures up to MaxRetries times with backoff. It returns
// classified errors; if ctx ends first, the error wraps ctx's error and the
// last attempt's error. op names the call in log lines; retries of
// /api/embed calls (embed true) are counted in [Stats], and after one timed
// out the model is loaded again first (Ollama may have unloaded it, and a
// load must not run under a request's limit). With splittable, a timed-out
// attempt is returned at once, for the caller to split its batch. A call
// that is retried logs one warning; later attempts log at debug level.
func (c *Client) withRetry(ctx context.Context, op string, embed bool, limit time.Duration, splittable bool, attempt func(ctx context.Context) error) error {
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, limit)
		err := attempt(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}

		f := c.classify(err, timedOut, limit)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return c.deadline(context.Cause(ctx), f.err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w; last attempt: %w", context.Cause(ctx), f.err)
		}
		if timedOut && embed {
			c.loaded.Store(false)
		}
		if !f.transient || n >= c.maxRetries || timedOut && splittable {
			return f.err
		}

		wait := backoff(c.backoffBase, n)
		if embed {
			c.stats.retries.Add(1)
		}
		level := slog.LevelDebug
		if n == 0 {
			level = slog.LevelWarn
		}
		c.log.Log(ctx, level, "ollama request failed, retrying",
			"op", op, "attempt", n+1, "max_retries", c.maxRetries,
			"delay_ms", wait.Milliseconds(), "error", f.err)

		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w; last attempt: %w", context.Cause(ctx), f.err)
		}
		if timedOut && embed {
			if err := c.ensureLoaded(ctx); err != nil {
				return err
			}
		}
	}
}
