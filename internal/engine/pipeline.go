package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The indexing pipeline (docs/indexing.md). embedAndStore runs four
// stages at once, joined by bounded channels, so that the embedder never
// waits for the store and the store never waits for the embedder:
//
//  1. prepare: chunk articles, on as many goroutines as there are CPUs;
//  2. batch: gather prepared articles, in order, into embedding calls;
//  3. embed: Config.EmbedConcurrency calls in flight;
//  4. store: the calling goroutine, the run's only writer, stores each
//     call's articles in order, one Put per article, and flushes;
//     beside it one goroutine gathers BM25 batches and another writes
//     them.
//
// Only what is in flight is held: chunk offsets of at most prepareAhead
// articles (of every article when a progress bar needs the passage
// counts first: see countPassages), the texts and vectors of at most
// EmbedConcurrency+storeAhead calls, and about three times
// keywordBatchPassages passages for the BM25 index (one batch written,
// one waiting, one being gathered).
const (
	prepareAhead = 256
	storeAhead   = 4
	// keywordBatchPassages is how many passages one BM25 write carries: each write
	// makes a segment that the index merges later, so few large writes
	// cost much less than many small ones.
	keywordBatchPassages = 1024
)

// embedJob is one embedding call's articles (or one article larger than
// a call, embedded in several), and its outcome.
type embedJob struct {
	batch []*pending
	vecs  [][]float32
	took  time.Duration
	err   error
	done  chan struct{}
}

// progress serialises OnProgress calls made from several goroutines.
type progress struct {
	mu sync.Mutex
	fn func(IndexProgress)
	p  IndexProgress
}

func (pr *progress) update(f func(*IndexProgress)) {
	if pr.fn == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	f(&pr.p)
	pr.fn(pr.p)
}

// countPassages chunks every article of todo that is not prepared yet, in
// parallel, to learn its passage count (p.n): dry runs and progress totals
// need the counts before anything is embedded. It keeps the chunks (offsets
// into the text, not the texts to embed), so that the pipeline does not
// chunk the article again.
func (e *Engine) countPassages(ctx context.Context, todo []*pending) error {
	return parallel(ctx, todo, func(p *pending) error {
		if p.prepared || p.chunks != nil {
			return nil
		}
		chunks, err := e.chunks(p.art)
		if err != nil {
			return err
		}
		p.chunks, p.n = chunks, len(chunks)
		return nil
	})
}

// ensurePrepared chunks p's article (unless countPassages did) and builds
// its inputs unless that is done already.
func (e *Engine) ensurePrepared(p *pending) error {
	if p.prepared {
		return nil
	}
	chunks := p.chunks
	if chunks == nil {
		var err error
		if chunks, err = e.chunks(p.art); err != nil {
			return err
		}
	}
	p.chunks, p.inputs, p.n, p.prepared = chunks, e.inputs(p.art, chunks), len(chunks), true
	return nil
}

// parallel runs f on every item, on as many goroutines as there are CPUs,
// and returns the error of the first item (in order) that failed.
func parallel[T any](ctx context.Context, items []T, f func(T) error) error {
	errs := make([]error, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = f(items[i])
			}
		})
	}
	for i := range items {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// embedAndStore embeds the passages of todo, several articles per call,
// and stores each article once all its vectors are there (see the stages
// above). stored is called for each article Put, afterBatch after each
// call's articles; an error from either stage stops the run: the articles
// stored before it stay (each whole), the others are not stored.
func (e *Engine) embedAndStore(ctx context.Context, name string, col *vectorstore.Collection, todo []*pending, st *IndexStats, opt IndexOptions, stored func(*pending), afterBatch func() error) (err error) {
	if len(todo) > 0 && e.emb == nil {
		return fmt.Errorf("embed %d articles: no embedding model is configured (this engine searches by BM25 only)", len(todo))
	}
	pr := &progress{fn: opt.OnProgress, p: IndexProgress{ArticlesTotal: len(todo)}}
	if pr.fn != nil {
		if err := e.countPassages(ctx, todo); err != nil {
			return err
		}
		for _, p := range todo {
			pr.p.PassagesTotal += p.n
		}
		pr.update(func(*IndexProgress) {})
	}
	if len(todo) == 0 {
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: every stage stops at its next send or receive
	defer cancel()
	prepared := e.prepareStage(ctx, &wg, todo)
	embedJobs, storeQueue := e.batchStage(ctx, &wg, prepared)
	// Stage 3: embed, EmbedConcurrency calls in flight.
	for range max(e.cfg.EmbedConcurrency, 1) {
		wg.Go(func() {
			for j := range embedJobs {
				j.vecs, j.took, j.err = e.embedJob(ctx, j.batch, pr)
				close(j.done)
			}
		})
	}
	// Stage 4b: the BM25 index, in large batches beside the store.
	var kw *keywordWriter
	if e.keywords != nil {
		kw = e.startKeywordWriter(ctx, name, &wg)
		defer func() {
			if kerr := kw.close(); kerr != nil && err == nil {
				err = kerr
			}
		}()
	}
	if err := e.storeStage(ctx, name, col, storeQueue, st, kw, pr, stored, afterBatch); err != nil {
		return err
	}
	return ctx.Err()
}

// send puts v on ch unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) bool {
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// prepJob is an article being chunked in stage 1; done is closed once it is.
type prepJob struct {
	p    *pending
	err  error
	done chan struct{}
}

// prepareStage is stage 1: it chunks todo's articles on every CPU and
// hands them on in todo's order (each to be waited for on its done).
func (e *Engine) prepareStage(ctx context.Context, wg *sync.WaitGroup, todo []*pending) <-chan *prepJob {
	jobs := make(chan *prepJob, prepareAhead)
	queue := make(chan *prepJob, prepareAhead) // the same jobs, in order
	wg.Go(func() {
		defer close(jobs)
		defer close(queue)
		for _, p := range todo {
			j := &prepJob{p: p, done: make(chan struct{})}
			if !send(ctx, queue, j) || !send(ctx, jobs, j) {
				return
			}
		}
	})
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				j.err = e.ensurePrepared(j.p)
				close(j.done)
			}
		})
	}
	return queue
}

// batchStage is stage 2: it gathers prepared articles, in order, into
// embedding calls, which it sends both to the embedders and, in order, to
// the store. Every job the store receives ends done, so that the store can
// wait for each without watching ctx.
func (e *Engine) batchStage(ctx context.Context, wg *sync.WaitGroup, prepared <-chan *prepJob) (embedJobs, storeQueue chan *embedJob) {
	embedJobs = make(chan *embedJob, max(e.cfg.EmbedConcurrency, 1))
	storeQueue = make(chan *embedJob, max(e.cfg.EmbedConcurrency, 1)+storeAhead)
	wg.Go(func() {
		defer close(embedJobs)
		defer close(storeQueue)
		var batch []*pending
		n := 0
		emit := func(j *embedJob) bool {
			if !send(ctx, storeQueue, j) {
				return false
			}
			if j.err == nil && !send(ctx, embedJobs, j) {
				j.err = ctx.Err()
				close(j.done)
				return false
			}
			return true
		}
		flushBatch := func() bool {
			if len(batch) == 0 {
				return true
			}
			j := &embedJob{batch: batch, done: make(chan struct{})}
			batch, n = nil, 0
			return emit(j)
		}
		for pj := range prepared {
			select {
			case <-pj.done:
			case <-ctx.Done():
				return
			}
			if pj.err != nil {
				// It becomes a failed call, which the store stage
				// meets in order.
				if !flushBatch() {
					return
				}
				j := &embedJob{err: pj.err, done: make(chan struct{})}
				close(j.done)
				emit(j)
				return
			}
			p := pj.p
			// Gather whole articles until the call is full; an article
			// larger than a call goes alone (in several calls).
			if len(batch) > 0 && n+p.n > e.cfg.BatchPassages {
				if !flushBatch() {
					return
				}
			}
			batch = append(batch, p)
			n += p.n
			if n >= e.cfg.BatchPassages && !flushBatch() {
				return
			}
		}
		flushBatch()
	})
	return embedJobs, storeQueue
}

// storeStage is stage 4: it stores each call's articles in order, on the
// calling goroutine, the run's only writer, and hands them to the BM25
// writer kw (when there is one). Calls embedded before the run was
// cancelled are still stored (each Put is quick): the run keeps all it
// finished, and stops at the first call that failed or was cancelled.
func (e *Engine) storeStage(ctx context.Context, name string, col *vectorstore.Collection, queue <-chan *embedJob, st *IndexStats, kw *keywordWriter, pr *progress, stored func(*pending), afterBatch func() error) error {
	sctx := context.WithoutCancel(ctx)
	var zc zeroCheck
	storedArts := 0
	for j := range queue {
		<-j.done
		st.EmbedTime += j.took
		if j.err != nil {
			return j.err
		}
		if err := e.checkZeroVectors(ctx, j.batch, j.vecs, &zc); err != nil {
			return err
		}
		if col == nil {
			set, err := e.settings(sctx)
			if err != nil {
				return err
			}
			if len(j.vecs) > 0 {
				set.Dimensions = len(j.vecs[0])
			}
			c, err := e.store.CreateCollection(sctx, name, set)
			if err != nil {
				return err
			}
			col = &c
		}
		off := 0
		kdocs := make([]KeywordDoc, 0, len(j.batch))
		for _, p := range j.batch {
			if err := e.store.Put(sctx, name, document(p), passages(p, j.vecs[off:off+p.n])); err != nil {
				return fmt.Errorf("store article %s: %w", p.art.ID, err)
			}
			if kw != nil {
				kdocs = append(kdocs, keywordDoc(p))
			}
			off += p.n
			p.chunks, p.inputs = nil, nil // stored: only the count is needed now
			stored(p)
		}
		j.vecs = nil
		if kw != nil {
			if err := kw.add(sctx, kdocs); err != nil {
				return err
			}
		}
		storedArts += len(j.batch)
		pr.update(func(p *IndexProgress) { p.Articles = storedArts })
		if err := afterBatch(); err != nil {
			return err
		}
	}
	return nil
}

// embedJob embeds the passages of one call's articles, in calls of at most
// BatchPassages passages (only an article larger than a call needs more
// than one), and returns their vectors in order.
func (e *Engine) embedJob(ctx context.Context, batch []*pending, pr *progress) ([][]float32, time.Duration, error) {
	var inputs, names []string
	for _, p := range batch {
		inputs = append(inputs, p.inputs...)
		for k := range p.inputs {
			names = append(names, fmt.Sprintf("article %s passage %d", p.art.ID, k))
		}
	}
	var took time.Duration
	vecs := make([][]float32, 0, len(inputs))
	step := max(e.cfg.BatchPassages, 1)
	for off := 0; off < len(inputs); off += step {
		end := min(off+step, len(inputs))
		t := time.Now()
		v, err := e.embedDocuments(ctx, inputs[off:end], names[off:end])
		took += time.Since(t)
		if err != nil {
			return nil, took, fmt.Errorf("embed articles %s..%s: %w", batch[0].art.ID, batch[len(batch)-1].art.ID, err)
		}
		vecs = append(vecs, v...)
		pr.update(func(p *IndexProgress) { p.Passages += end - off })
	}
	if len(vecs) != len(inputs) {
		return nil, took, fmt.Errorf("embed articles %s..%s: got %d vectors for %d passages", batch[0].art.ID, batch[len(batch)-1].art.ID, len(vecs), len(inputs))
	}
	return vecs, took, nil
}

// keywordWriter indexes stored articles in the BM25 index on a goroutine
// of its own, keywordBatchPassages passages per write. The vector store is the
// source of truth: if a write fails, or the process dies before it, the
// next run's syncKeywords repairs the index.
type keywordWriter struct {
	ch   chan []KeywordDoc
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func (e *Engine) startKeywordWriter(ctx context.Context, name string, wg *sync.WaitGroup) *keywordWriter {
	kw := &keywordWriter{ch: make(chan []KeywordDoc, storeAhead), done: make(chan struct{})}
	// Writes finish even when the run is cancelled: what the store holds
	// should be searchable by keyword too.
	kctx := context.WithoutCancel(ctx)
	// One goroutine gathers the stored articles into batches while
	// another writes the batch before: a write (analysis, a log record,
	// its fsync) takes long enough that the store, waiting on a full
	// channel, would otherwise stop the whole pipeline for it.
	batches := make(chan []KeywordDoc, 1)
	wg.Go(func() {
		defer close(batches)
		var buf []KeywordDoc
		n := 0
		for docs := range kw.ch {
			buf = append(buf, docs...)
			for _, d := range docs {
				n += len(d.Passages)
			}
			if n >= keywordBatchPassages {
				batches <- buf
				buf, n = nil, 0
			}
		}
		if len(buf) > 0 {
			batches <- buf
		}
	})
	wg.Go(func() {
		defer close(kw.done)
		for buf := range batches {
			if kw.failed() != nil {
				continue // drained, so that the gatherer never blocks
			}
			if err := e.keywords.Replace(kctx, name, buf); err != nil {
				e.forgetKeywordCheck(name)
				kw.mu.Lock()
				kw.err = fmt.Errorf("bm25 index: %w", err)
				kw.mu.Unlock()
			}
		}
	})
	return kw
}

func (kw *keywordWriter) failed() error {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	return kw.err
}

// add queues docs for the BM25 index; it fails once a write has failed.
func (kw *keywordWriter) add(ctx context.Context, docs []KeywordDoc) error {
	if err := kw.failed(); err != nil {
		return err
	}
	select {
	case kw.ch <- docs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close writes what is queued and returns the first write's error.
func (kw *keywordWriter) close() error {
	close(kw.ch)
	<-kw.done
	return kw.failed()
}
