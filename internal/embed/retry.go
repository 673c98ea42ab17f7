package embed

import (
	"context"
	"errors"
	"fmt"
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

// withRetry runs op, giving each attempt its own RequestTimeout, and retries
// transient failures up to MaxRetries times with backoff. It returns
// classified errors; if ctx ends first, the error wraps ctx's error and the
// last attempt's error. op names the call in log lines; retries of
// /api/embed calls (embed true) are counted in [Stats].
func (c *Client) withRetry(ctx context.Context, op string, embed bool, attempt func(ctx context.Context) error) error {
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		err := attempt(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}

		f := c.classify(err, timedOut)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return c.deadline(context.Cause(ctx), f.err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w; last attempt: %w", context.Cause(ctx), f.err)
		}
		if !f.transient || n >= c.maxRetries {
			return f.err
		}

		wait := backoff(c.backoffBase, n)
		if embed {
			c.stats.retries.Add(1)
		}
		c.log.WarnContext(ctx, "ollama request failed, retrying",
			"op", op, "attempt", n+1, "max_retries", c.maxRetries,
			"delay_ms", wait.Milliseconds(), "error", f.err)

		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w; last attempt: %w", context.Cause(ctx), f.err)
		}
	}
}
