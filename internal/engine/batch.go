package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// QueriesEmbedder is an [Embedder] that can embed several queries in one
// call (one request to the model server, which runs its inputs together).
// [QueryBatcher] uses it when the embedder it wraps has it.
type QueriesEmbedder interface {
	EmbedQueries(ctx context.Context, texts []string) ([][]float32, error)
}

// BatchOptions bound a [QueryBatcher]; zero fields take the defaults.
type BatchOptions struct {
	// MaxBatch is the most queries one call carries. Default 32.
	MaxBatch int
	// MaxInFlight is how many calls may run before arriving queries wait to
	// be gathered into the next. Default 1: the model server is busy with
	// the call in flight anyway, and the queries that arrive meanwhile go
	// together when it answers.
	MaxInFlight int
	// MaxWait is the longest a query waits for a call in flight to end:
	// then what has gathered goes in a call of its own. Default 250 ms, a
	// few single-query embeddings on a CPU; a slow server is then not
	// waited for beyond that, yet batches stay large.
	MaxWait time.Duration
}

// Defaults of [BatchOptions].
const (
	DefaultBatchQueries     = 32
	DefaultBatchInFlight    = 1
	DefaultBatchMaxWaitTime = 250 * time.Millisecond
)

// QueryBatcher is an [Embedder] whose queries that arrive together share
// one embedding call. A query that finds fewer than MaxInFlight calls
// running goes at once, alone, so a lone query pays nothing; the queries
// that arrive while calls are running gather and go together (up to
// MaxBatch) when one ends, when MaxBatch have gathered, or after MaxWait.
// A caller whose context ends leaves at once without failing the others; a
// call whose callers all left is cancelled. A call's error reaches each of
// its callers. Documents pass through untouched. It is safe for concurrent
// use.
type QueryBatcher struct {
	next  Embedder
	batch QueriesEmbedder // nil: next embeds queries one at a time
	opt   BatchOptions

	mu       sync.Mutex
	queue    []*queryWait
	inFlight int
	timer    *time.Timer // armed while queries wait; nil otherwise
}

// queryWait is one caller's query; vec and err are set before done closes.
type queryWait struct {
	ctx  context.Context
	text string
	done chan struct{}
	vec  []float32
	err  error
	call *queryCall // the call carrying it, once sent; guarded by mu
}

// queryCall is one embedding call carrying several queries.
type queryCall struct {
	cancel  context.CancelFunc
	waiting int // callers still waiting for it; guarded by mu
}

// NewQueryBatcher returns an embedder that batches the queries of e when e
// is a [QueriesEmbedder], and passes them on one by one otherwise.
func NewQueryBatcher(e Embedder, opt BatchOptions) *QueryBatcher {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultBatchQueries
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = DefaultBatchInFlight
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = DefaultBatchMaxWaitTime
	}
	b := &QueryBatcher{next: e, opt: opt}
	b.batch, _ = e.(QueriesEmbedder)
	return b
}

// EmbedDocuments passes texts to the wrapped embedder.
func (b *QueryBatcher) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	return b.next.EmbedDocuments(ctx, texts)
}

// EmbedDocumentsNamed passes texts and their names to the wrapped embedder
// (see [namedEmbedder]), or texts alone when it takes no names.
func (b *QueryBatcher) EmbedDocumentsNamed(ctx context.Context, texts, names []string) ([][]float32, error) {
	return embedNamed(ctx, b.next, texts, names)
}

// EmbedQuery embeds text, in one call with the queries that arrive
// meanwhile. The returned slice is the caller's.
func (b *QueryBatcher) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if b.batch == nil {
		return b.next.EmbedQuery(ctx, text)
	}
	if err := ctx.Err(); err != nil {
		return nil, leftError(ctx)
	}
	w := &queryWait{ctx: ctx, text: text, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	b.sendLocked(false)
	b.mu.Unlock()

	select {
	case <-w.done:
		return w.vec, w.err
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.done: // answered meanwhile
		return w.vec, w.err
	default:
	}
	switch {
	case w.call == nil: // still queued: nothing was sent for it
		b.queue = slices.DeleteFunc(b.queue, func(q *queryWait) bool { return q == w })
		if len(b.queue) == 0 {
			b.stopTimerLocked()
		}
	case w.call.cancel == nil:
		// Sent alone with its own context: the call ends with it, and
		// its error says what the embedder was doing.
		b.mu.Unlock()
		<-w.done
		b.mu.Lock()
		return w.vec, w.err
	default:
		if w.call.waiting--; w.call.waiting == 0 {
			w.call.cancel()
		}
	}
	return nil, leftError(ctx)
}

// leftError is a caller's error when its context ended before its query's
// vector came.
func leftError(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != ctx.Err() {
		return fmt.Errorf("embed query: %w (%w)", ctx.Err(), cause)
	}
	return fmt.Errorf("embed query: %w", ctx.Err())
}

// sendLocked starts calls for the queued queries while a call may start:
// fewer than MaxInFlight run, MaxBatch queries have gathered, or (force)
// the oldest has waited MaxWait. Queries left waiting arm the timer.
func (b *QueryBatcher) sendLocked(force bool) {
	for len(b.queue) > 0 && (force || b.inFlight < b.opt.MaxInFlight || len(b.queue) >= b.opt.MaxBatch) {
		n := min(len(b.queue), b.opt.MaxBatch)
		ws := slices.Clone(b.queue[:n])
		b.queue = slices.Delete(b.queue, 0, n)
		b.start(ws)
	}
	switch {
	case len(b.queue) == 0:
		b.stopTimerLocked()
	case b.timer == nil:
		var t *time.Timer
		t = time.AfterFunc(b.opt.MaxWait, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.timer != t { // stopped while this waited for mu
				return
			}
			b.timer = nil
			b.sendLocked(true)
		})
		b.timer = t
	}
}

func (b *QueryBatcher) stopTimerLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
}

// start runs one call for ws in its own goroutine. A lone query is
// embedded under its caller's context, as without batching; several
// share a context that ends when all their callers have left.
func (b *QueryBatcher) start(ws []*queryWait) {
	b.inFlight++
	call := &queryCall{waiting: len(ws)}
	for _, w := range ws {
		w.call = call
	}
	if len(ws) == 1 {
		go func() {
			v, err := b.next.EmbedQuery(ws[0].ctx, ws[0].text)
			b.finish(ws, [][]float32{v}, err)
		}()
		return
	}
	// The first caller's values (a request id in log lines) come along;
	// its cancellation does not.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ws[0].ctx))
	call.cancel = cancel
	go func() {
		defer cancel()
		// A question asked twice is embedded once.
		at := make(map[string]int, len(ws))
		var texts []string
		for _, w := range ws {
			if _, ok := at[w.text]; !ok {
				at[w.text] = len(texts)
				texts = append(texts, w.text)
			}
		}
		vecs, err := b.batch.EmbedQueries(ctx, texts)
		if err == nil && len(vecs) != len(texts) {
			err = fmt.Errorf("embed queries: %d vectors for %d queries", len(vecs), len(texts))
		}
		out := make([][]float32, len(ws))
		if err == nil {
			seen := make([]bool, len(texts))
			for i, w := range ws {
				j := at[w.text]
				if out[i] = vecs[j]; seen[j] {
					out[i] = slices.Clone(vecs[j]) // each caller owns its slice
				}
				seen[j] = true
			}
		}
		b.finish(ws, out, err)
	}()
}

// finish hands a call's results to its callers and lets waiting queries go.
func (b *QueryBatcher) finish(ws []*queryWait, vecs [][]float32, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, w := range ws {
		w.vec, w.err = vecs[i], err
		if err != nil {
			w.vec = nil
		}
		close(w.done)
	}
	b.inFlight--
	b.sendLocked(false)
}
