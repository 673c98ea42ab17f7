package engine

import (
	"context"
	"sync"
	"time"

	"github.com/semsearch/semsearch/internal/article"
)

// outcome is what an index run did with one article.
type outcome struct {
	stored, isNew bool // stored: embedded and stored (else unchanged)
	passages      int
}

// sharedCall is one caller's articles waiting for a shared index run.
type sharedCall struct {
	arts  []article.Article
	start time.Time
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
func (e *Engine) indexShared(ctx context.Context, collection string, arts []article.Article) (IndexStats, error) {
	if err := ctx.Err(); err != nil {
		return IndexStats{}, err
	}
	call := &sharedCall{arts: arts, start: time.Now(), done: make(chan struct{})}
	e.queuesMu.Lock()
	q, ok := e.queues[collection]
	if !ok {
		q = &writeQueue{}
		e.queues[collection] = q
	}
	e.queuesMu.Unlock()
	q.mu.Lock()
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
		return IndexStats{}, ctx.Err()
	}
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
			return
		}
		q.mu.Unlock()

		var arts []article.Article
		for _, c := range batch {
			arts = append(arts, c.arts...)
		}
		out := make(map[string]outcome, len(arts))
		st, err := e.index(ctx, collection, arts, IndexOptions{}, out)
		if len(batch) > 1 {
			e.log.Debug("shared index run", "collection", collection, "calls", len(batch), "articles", len(arts), "passages", st.Passages)
		}
		for _, c := range batch {
			c.stats, c.err = callStats(c, out, st), err
			close(c.done)
		}
	}
}

// callStats are the run's stats restricted to one call's articles.
func callStats(c *sharedCall, out map[string]outcome, run IndexStats) IndexStats {
	st := IndexStats{EmbedTime: run.EmbedTime, Total: run.Total, Duration: time.Since(c.start)}
	seen := map[string]bool{}
	for i := range c.arts {
		id := c.arts[i].ID
		if seen[id] {
			st.Duplicates++
			continue
		}
		seen[id] = true
		o, ok := out[id]
		switch {
		case !ok: // not reached: the run failed first
		case !o.stored:
			st.Unchanged++
		case o.isNew:
			st.New++
			st.Passages += o.passages
		default:
			st.Updated++
			st.Passages += o.passages
		}
	}
	return st
}
