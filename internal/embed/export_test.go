package embed

import "time"

// SetBackoffBase shortens retry waits so tests run fast.
func SetBackoffBase(c *Client, d time.Duration) { c.backoffBase = d }

// ParseHost exposes parseHost to the external tests.
var ParseHost = parseHost

// RequestLimit exposes the time limit of an /api/embed request of n inputs.
func RequestLimit(c *Client, n int) time.Duration { return c.limit(n) }
