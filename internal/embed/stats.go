package embed

import (
	"sync/atomic"
	"time"
)

// Stats are a [Client]'s counters since it was created.
type Stats struct {
	// Requests is the number of /api/embed requests made, failed attempts
	// and retries included.
	Requests int64
	// Retries is the number of those requests that failed and were retried.
	Retries int64
	// Inputs is the number of texts embedded by successful requests,
	// including a dimension probe (see [Client.EmbedDocuments]); blank
	// texts, which are never sent, are not counted.
	Inputs int64
	// Duration is the total wall time spent in /api/embed requests,
	// excluding backoff waits. Concurrent requests add up.
	Duration time.Duration
}

// counters hold Stats as atomics.
type counters struct {
	requests, retries, inputs, nanos atomic.Int64
}

func (s *counters) snapshot() Stats {
	return Stats{
		Requests: s.requests.Load(),
		Retries:  s.retries.Load(),
		Inputs:   s.inputs.Load(),
		Duration: time.Duration(s.nanos.Load()),
	}
}
