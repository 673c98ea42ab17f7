package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/semsearch/semsearch/internal/article"
)

// sharedCall is one caller's articles waiting for a shared index run.
type sharedCall struct {
	ctx   context.Context // the caller's
	arts  []article.Article
	start time.Time
	taken bool // by a run; guarded by the queue's mu
	done  chan struct{}
	stats IndexStats
	err   error
}

// writeQueue holds the calls waiting to index into one collection.
type writeQueue struct {
	mu      sync.Mutex
	pending []*sharedCall
	running bool
}

// maxSharedArticles caps how many articles one shared run takes, so a
// caller that arrives during a large run is not held up by the next one.
const maxSharedArticles = 512

// indexShared indexes arts together with those of other callers waiting
// to index into the same collection (group commit): while one run embeds
// and stores, new calls queue; the next run takes them all, so they share
// embedding calls, the store's appends and Flush (one fsync), and the
// keyword index's batch. Each caller gets the counts for its own articles
// and returns once they are durable; the run's time and embedding time are
// shared. Calls whose article ids overlap go to separate runs, in order of
// arrival.
//
// A caller that gives up (its context ends) before a run takes its articles
// leaves the queue with nothing stored. Once a run has them, the run stops
// only when every caller it carries has given up, and a caller that gave
// up still waits for it to end, so the counts it reports are what is
// durable, never a guess.
func (e *Engine) indexShared(ctx context.Context, collection string, arts []article.Article) (IndexStats, error) {
	if err := ctx.Err(); err != nil {
		return IndexStats{}, err
	}
	call := &sharedCall{ctx: ctx, arts: arts, start: time.Now(), done: make(chan struct{})}
	// queuesMu is held until the call is queued, so that an idle queue is
	// never dropped (see forgetQueue) between being found and being used.
	e.queuesMu.Lock()
	q, ok := e.queues[collection]
	if !ok {
		q = &writeQueue{}
		e.queues[collection] = q
	}
	q.mu.Lock()
	e.queuesMu.Unlock()
	q.pending = append(q.pending, call)
	if !q.running {
		q.running = true
		// The run belongs to no single caller: it goes on if this one
		// gives up, for the others whose articles it carries.
		go e.drain(context.WithoutCancel(ctx), collection, q)
	}
	q.mu.Unlock()
	select {
	case <-call.done:
		return call.stats, call.err
	case <-ctx.Done():
	}
	q.mu.Lock()
	if !call.taken {
		q.pending = slices.DeleteFunc(q.pending, func(c *sharedCall) bool { return c == call })
		q.mu.Unlock()
		return callStats(call, IndexStats{}, 0), ctx.Err()
	}
	q.mu.Unlock()
	<-call.done
	if errors.Is(call.err, context.Canceled) {
		return call.stats, ctx.Err() // the run stopped because its callers left
	}
	return call.stats, call.err // the run's own outcome, e.g. a full disk
}

// drain runs shared index runs until the queue is empty.
func (e *Engine) drain(ctx context.Context, collection string, q *writeQueue) {
	for {
		q.mu.Lock()
		var batch, rest []*sharedCall
		ids := map[string]bool{}
		n := 0
		for _, c := range q.pending {
			clash := n > 0 && n+len(c.arts) > maxSharedArticles
			for i := range c.arts {
				clash = clash || ids[c.arts[i].ID]
			}
			// Keep arrival order per id: once a call waits, so do later
			// calls with any of the same ids.
			if clash {
				rest = append(rest, c)
				for i := range c.arts {
					ids[c.arts[i].ID] = true
				}
				continue
			}
			for i := range c.arts {
				ids[c.arts[i].ID] = true
			}
			batch = append(batch, c)
			n += len(c.arts)
		}
		q.pending = rest
		if len(batch) == 0 {
			q.running = false
			q.mu.Unlock()
			e.forgetQueue(collection, q)
			return
		}

		var arts []article.Article
		for _, c := range batch {
			c.taken = true
			arts = append(arts, c.arts...)
		}
		q.mu.Unlock()

		// The run stops once every caller it carries has given up.
		runCtx, cancel := context.WithCancel(ctx)
		left := atomic.Int32{}
		left.Store(int32(len(batch)))
		stops := make([]func() bool, len(batch))
		for i, c := range batch {
			stops[i] = context.AfterFunc(c.ctx, func() {
				if left.Add(-1) == 0 {
					cancel()
				}
			})
		}
		st, err := e.indexRecovering(runCtx, collection, arts)
		for _, stop := range stops {
			stop()
		}
		cancel()
		if len(batch) > 1 {
			e.log.Debug("shared index run", "collection", collection, "calls", len(batch), "articles", len(arts), "passages", st.Passages)
		}
		off := 0
		for _, c := range batch {
			c.stats, c.err = callStats(c, st, off), err
			off += len(c.arts)
			if c.stats.NotStored == 0 && errors.Is(err, ErrIDConflict) {
				c.err = nil // the id guard refused another caller's articles
			}
			if err != nil && len(batch) > 1 && c.stats.NotStored > 0 && c.ctx.Err() == nil {
				// One caller's bad article (too long, refused by Ollama)
				// must not fail the others: each retries on its own.
				c.stats, c.err = e.retryAlone(c, collection)
			}
			close(c.done)
		}
	}
}

// indexRecovering is index for drain, whose goroutine carries no request
// and so no request's recovery: a panic below it (a library's bug, such as
// bleve's on a full disk, when the BM25 index was bleve's) fails the run's
// calls, and the server goes on.
// index's own deferred unlocks have run by then; the articles count as not
// stored (sending them again is safe) and the keyword index is checked
// again before the next search.
func (e *Engine) indexRecovering(ctx context.Context, collection string, arts []article.Article) (st IndexStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("index run panicked; its requests fail and the server goes on",
				"collection", collection, "articles", len(arts), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			e.forgetKeywordCheck(collection)
			st, err = IndexStats{}, fmt.Errorf("index into %q: internal error: %v", collection, r)
		}
	}()
	return e.index(ctx, collection, arts, IndexOptions{})
}

// forgetQueue drops q from the engine's queues if it is still idle, so
// that a server writing to many collections keeps queues only for those
// being written.
func (e *Engine) forgetQueue(collection string, q *writeQueue) {
	e.queuesMu.Lock()
	defer e.queuesMu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.running && len(q.pending) == 0 && e.queues[collection] == q {
		delete(e.queues, collection)
	}
}

// retryAlone indexes a call's articles in a run of their own, after the
// shared run carrying them failed. Articles the shared run stored keep the
// status it gave them (the retry sees them unchanged).
func (e *Engine) retryAlone(c *sharedCall, collection string) (IndexStats, error) {
	first := c.stats
	st, err := e.indexRecovering(c.ctx, collection, c.arts)
	for i, r := range st.Results {
		if i < len(first.Results) && r.Status == DocUnchanged {
			if f := first.Results[i]; f.Status == DocNew || f.Status == DocUpdated {
				st.Results[i] = f
				st.Unchanged--
				st.Passages += f.Passages
				if f.Status == DocNew {
					st.New++
				} else {
					st.Updated++
				}
			}
		}
	}
	st.Duration = time.Since(c.start)
	return st, err
}

// callStats are the run's stats restricted to one call's articles, which
// start at off in the run's articles (and so in its Results).
func callStats(c *sharedCall, run IndexStats, off int) IndexStats {
	st := IndexStats{EmbedTime: run.EmbedTime, Total: run.Total, Duration: time.Since(c.start)}
	for i := range c.arts {
		r := DocResult{ID: c.arts[i].ID, Status: DocNotStored} // the run failed before reaching it
		if off+i < len(run.Results) {
			r = run.Results[off+i]
		}
		st.Results = append(st.Results, r)
		switch r.Status {
		case DocDuplicate:
			st.Duplicates++
		case DocUnchanged:
			st.Unchanged++
		case DocNew:
			st.New++
			st.Passages += r.Passages
		case DocUpdated:
			st.Updated++
			st.Passages += r.Passages
		default:
			st.NotStored++
		}
	}
	return st
}
