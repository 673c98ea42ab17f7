package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/semsearch/semsearch/internal/engine"
)

// batchFake is an embedder that embeds several queries in one call
// (EmbedQueries) and records each call's texts. Calls whose first text is
// listed in hold wait until release is closed (or their context ends).
type batchFake struct {
	mu      sync.Mutex
	calls   [][]string
	single  int                        // EmbedQuery calls
	hold    map[string]chan struct{}   // first text -> closed to let the call answer
	fail    map[string]error           // first text -> the call's error
	ctxErrs map[string]context.Context // first text -> the call's context, for inspection
}

func newBatchFake() *batchFake {
	return &batchFake{hold: map[string]chan struct{}{}, fail: map[string]error{}, ctxErrs: map[string]context.Context{}}
}

// queryVec is the fake's vector for a query: its length and first byte, so
// that every caller can check it got its own.
func queryVec(text string) []float32 {
	if text == "" {
		return []float32{0, 0}
	}
	return []float32{float32(len(text)), float32(text[0])}
}

func (f *batchFake) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = queryVec(t)
	}
	return out, nil
}

func (f *batchFake) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	f.mu.Lock()
	f.single++
	f.mu.Unlock()
	v, err := f.EmbedQueries(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

func (f *batchFake) EmbedQueries(ctx context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(texts))
	hold, err := f.hold[texts[0]], f.fail[texts[0]]
	f.ctxErrs[texts[0]] = ctx
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, fmt.Errorf("fake embed: %w", ctx.Err())
		}
	}
	if err != nil {
		return nil, err
	}
	return f.EmbedDocuments(ctx, texts)
}

// holdOn makes the call that starts with text wait for the returned release.
func (f *batchFake) holdOn(text string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.hold[text] = ch
	f.mu.Unlock()
	return sync.OnceFunc(func() { close(ch) })
}

func (f *batchFake) recorded() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = slices.Sorted(slices.Values(c))
	}
	return out
}

type answer struct {
	vec []float32
	err error
}

// ask starts EmbedQuery(ctx, text) in a goroutine and waits until every
// goroutine of the bubble is blocked, so queries arrive in the order asked.
func ask(b *engine.QueryBatcher, ctx context.Context, text string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		v, err := b.EmbedQuery(ctx, text)
		ch <- answer{v, err}
	}()
	synctest.Wait()
	return ch
}

func wantVec(t *testing.T, text string, a answer) {
	t.Helper()
	if a.err != nil || !slices.Equal(a.vec, queryVec(text)) {
		t.Errorf("EmbedQuery(%q) = %v, %v; want %v", text, a.vec, a.err, queryVec(text))
	}
}

func TestQueryBatcher_QueriesArrivingTogetherShareOneCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newBatchFake()
		b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
		release := f.holdOn("first")
		first := ask(b, t.Context(), "first")
		var later []<-chan answer
		texts := []string{"b", "cc", "ddd", "cc"} // a repeated question is embedded once
		for _, q := range texts {
			later = append(later, ask(b, t.Context(), q))
		}
		if got := f.recorded(); len(got) != 1 {
			t.Fatalf("calls while the first is in flight: %q, want only the first", got)
		}
		release()
		wantVec(t, "first", <-first)
		for i, ch := range later {
			wantVec(t, texts[i], <-ch)
		}
		want := [][]string{{"first"}, {"b", "cc", "ddd"}}
		if got := f.recorded(); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("calls %q, want %q", got, want)
		}
	})
}

func TestQueryBatcher_BatchBounds(t *testing.T) {
	t.Run("a full batch goes without waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 2, MaxInFlight: 1, MaxWait: time.Hour})
			release := f.holdOn("first")
			defer release()
			ask(b, t.Context(), "first")
			ask(b, t.Context(), "a")
			c1, c2 := ask(b, t.Context(), "bb"), ask(b, t.Context(), "ccc")
			if got := f.recorded(); len(got) != 2 || !slices.Equal(got[1], []string{"a", "bb"}) {
				t.Fatalf("calls %q, want the first and [a bb] (MaxBatch 2) in flight", got)
			}
			release()
			<-c1
			wantVec(t, "ccc", <-c2)
		})
	})
	t.Run("a query waits at most MaxWait for a free call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			const wait = 3 * time.Millisecond
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: wait})
			release := f.holdOn("first")
			defer release()
			ask(b, t.Context(), "first")
			start := time.Now()
			a := <-ask(b, t.Context(), "late")
			wantVec(t, "late", a)
			if d := time.Since(start); d != wait {
				t.Errorf("the query behind a stuck call answered after %v, want MaxWait %v", d, wait)
			}
		})
	})
}

func TestQueryBatcher_LoneQueryNotDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newBatchFake()
		b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: 5 * time.Millisecond})
		for _, q := range []string{"alone", "again alone"} {
			start := time.Now()
			v, err := b.EmbedQuery(t.Context(), q)
			wantVec(t, q, answer{v, err})
			if d := time.Since(start); d != 0 {
				t.Errorf("a lone query waited %v, want no wait", d)
			}
		}
		if got := f.recorded(); len(got) != 2 {
			t.Errorf("calls %q, want one per lone query", got)
		}
	})
}

func TestQueryBatcher_CancelledCaller(t *testing.T) {
	t.Run("while queued", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
			release := f.holdOn("first")
			first := ask(b, t.Context(), "first")
			ctx, cancel := context.WithCancel(t.Context())
			gone := ask(b, ctx, "gone")
			stays := ask(b, t.Context(), "stays")
			cancel()
			if a := <-gone; !errors.Is(a.err, context.Canceled) {
				t.Errorf("cancelled caller got %v, %v; want context.Canceled", a.vec, a.err)
			}
			release()
			wantVec(t, "first", <-first)
			wantVec(t, "stays", <-stays)
			want := [][]string{{"first"}, {"stays"}}
			if got := f.recorded(); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("calls %q, want %q (the cancelled query not sent)", got, want)
			}
		})
	})
	t.Run("while its call is in flight", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
			release := f.holdOn("first")
			first := ask(b, t.Context(), "first")
			ctx, cancel := context.WithCancel(t.Context())
			gone := ask(b, ctx, "a-gone")
			stays := ask(b, t.Context(), "b-stays")
			releaseBatch := f.holdOn("a-gone")
			release()
			wantVec(t, "first", <-first)
			synctest.Wait() // the batch [a-gone b-stays] is in flight
			cancel()
			if a := <-gone; !errors.Is(a.err, context.Canceled) {
				t.Errorf("cancelled caller got %v, %v; want context.Canceled", a.vec, a.err)
			}
			synctest.Wait()
			f.mu.Lock()
			callErr := f.ctxErrs["a-gone"].Err()
			f.mu.Unlock()
			if callErr != nil {
				t.Errorf("one caller of two left, and the shared call's context ended: %v", callErr)
			}
			releaseBatch()
			wantVec(t, "b-stays", <-stays)
		})
	})
	t.Run("alone in flight: the embedder's own error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
			f.holdOn("alone")
			ctx, cancel := context.WithCancel(t.Context())
			got := ask(b, ctx, "alone")
			cancel()
			if a := <-got; a.err == nil || !strings.Contains(a.err.Error(), "fake embed") || !errors.Is(a.err, context.Canceled) {
				t.Errorf("got %v, %v; want the embedder's error for its cancelled call", a.vec, a.err)
			}
		})
	})
	t.Run("every caller of a call leaves", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newBatchFake()
			b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
			release := f.holdOn("first")
			first := ask(b, t.Context(), "first")
			ctx, cancel := context.WithCancel(t.Context())
			a1, a2 := ask(b, ctx, "x"), ask(b, ctx, "yy")
			f.holdOn("x") // never released: only the callers' leaving ends it
			release()
			<-first
			synctest.Wait()
			cancel()
			<-a1
			<-a2
			synctest.Wait()
			f.mu.Lock()
			callErr := f.ctxErrs["x"].Err()
			f.mu.Unlock()
			if callErr == nil {
				t.Error("every caller left, and the shared call goes on")
			}
			// The batcher is free again: a lone query goes at once.
			v, err := b.EmbedQuery(t.Context(), "next")
			wantVec(t, "next", answer{v, err})
		})
	})
}

func TestQueryBatcher_ErrorReachesEveryCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newBatchFake()
		b := engine.NewQueryBatcher(f, engine.BatchOptions{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
		release := f.holdOn("first")
		first := ask(b, t.Context(), "first")
		boom := errors.New("ollama says no")
		f.fail["a"] = boom
		var chans []<-chan answer
		for _, q := range []string{"a", "b", "c"} {
			chans = append(chans, ask(b, t.Context(), q))
		}
		release()
		wantVec(t, "first", <-first)
		for _, ch := range chans {
			if a := <-ch; !errors.Is(a.err, boom) {
				t.Errorf("caller got %v, %v; want the batch's error", a.vec, a.err)
			}
		}
	})
}

func TestQueryBatcher_PassesThrough(t *testing.T) {
	t.Run("documents", func(t *testing.T) {
		f := newBatchFake()
		b := engine.NewQueryBatcher(f, engine.BatchOptions{})
		v, err := b.EmbedDocuments(t.Context(), []string{"doc"})
		if err != nil || !slices.Equal(v[0], queryVec("doc")) {
			t.Errorf("EmbedDocuments = %v, %v", v, err)
		}
		if got := f.recorded(); len(got) != 0 {
			t.Errorf("documents went through the query path: %q", got)
		}
	})
	t.Run("an embedder without EmbedQueries embeds each query alone", func(t *testing.T) {
		f := &countingEmbedder{}
		b := engine.NewQueryBatcher(f, engine.BatchOptions{})
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				q := strings.Repeat("q", i+1)
				if v, err := b.EmbedQuery(t.Context(), q); err != nil || !slices.Equal(v, []float32{float32(len(q))}) {
					t.Errorf("EmbedQuery(%q) = %v, %v", q, v, err)
				}
			})
		}
		wg.Wait()
		for i := range 3 {
			if n := f.count(strings.Repeat("q", i+1)); n != 1 {
				t.Errorf("query %d embedded %d times, want 1", i, n)
			}
		}
	})
	t.Run("the query cache above it still answers repeats", func(t *testing.T) {
		f := newBatchFake()
		c := engine.NewQueryCache(engine.NewQueryBatcher(f, engine.BatchOptions{}), "m", 8)
		for range 3 {
			v, err := c.EmbedQuery(t.Context(), "same")
			wantVec(t, "same", answer{v, err})
		}
		if got := f.recorded(); len(got) != 1 {
			t.Errorf("calls %q, want one (then cache hits)", got)
		}
	})
}
