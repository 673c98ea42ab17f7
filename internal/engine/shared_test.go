package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// gateEmbedder blocks its first call until released, so that other calls
// queue up behind it.
type gateEmbedder struct {
	bagEmbedder
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (g *gateEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.gate
	}
	return g.bagEmbedder.EmbedDocuments(ctx, texts)
}

// newGatedEngine returns an engine over a fresh embedded store whose
// embedder holds its first call at the gate.
func newGatedEngine(t *testing.T) (*embedded.Store, *gateEmbedder, *engine.Engine) {
	t.Helper()
	emb := &gateEmbedder{gate: make(chan struct{}), entered: make(chan struct{})}
	eng, store := openEngine(t, t.TempDir(), emb, engine.Config{Model: "m", Chunk: chunk.DefaultOptions()})
	return store, emb, eng
}

// TestEngine_IndexShared: single-article Index calls that arrive while
// another runs share the next run's embedding call, and each caller gets
// the counts of its own articles.
//
// synctest.Wait, not a sleep, says when the other callers have queued: it
// returns once every goroutine of the test is blocked (the first run at the
// gate, the others waiting for their run).
func TestEngine_IndexShared(t *testing.T) { synctest.Test(t, testIndexShared) }

func testIndexShared(t *testing.T) {
	ctx := t.Context()
	store, emb, eng := newGatedEngine(t)
	doc := func(i int) article.Article {
		return article.Article{ID: fmt.Sprintf("d%d", i), Source: "s", Title: "T", Text: fmt.Sprintf("Document %d about shared commits.", i)}
	}
	const callers = 8
	stats := make([]engine.IndexStats, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	wg.Go(func() { stats[0], errs[0] = eng.Index(ctx, "c", []article.Article{doc(0)}, engine.IndexOptions{}) })
	<-emb.entered // the first run is embedding; the others queue
	for i := 1; i < callers; i++ {
		wg.Go(func() {
			stats[i], errs[i] = eng.Index(ctx, "c", []article.Article{doc(i), doc(i)}, engine.IndexOptions{})
		})
	}
	synctest.Wait() // all of them queued
	close(emb.gate)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		want := 0
		if i > 0 {
			want = 1
		}
		if st := stats[i]; st.New != 1 || st.Updated != 0 || st.Duplicates != want || st.Passages != 1 || st.Total != 0 && st.Total < i+1 {
			t.Errorf("caller %d: stats %+v, want its own article new with 1 passage", i, st)
		}
	}
	if emb.calls != 2 {
		t.Errorf("%d embedding calls for %d callers arriving together, want 2 (the first, then the rest together)", emb.calls, callers)
	}
	c, err := store.Collection(ctx, "c")
	if err != nil || c.Documents != callers {
		t.Errorf("collection %+v, %v; want %d documents", c, err, callers)
	}
	// Unchanged articles cost nothing and are counted so.
	st, err := eng.Index(ctx, "c", []article.Article{doc(3)}, engine.IndexOptions{})
	if err != nil || st.Unchanged != 1 || st.New != 0 || emb.calls != 2 {
		t.Errorf("re-index unchanged: %+v, %v, %d calls", st, err, emb.calls)
	}
}

// TestEngine_IndexSharedCallerLeaves: a caller that gives up while its
// articles still wait in the queue leaves with nothing stored, and says so
// per article; the run that carries other callers is not stopped by it.
func TestEngine_IndexSharedCallerLeaves(t *testing.T) {
	synctest.Test(t, testIndexSharedCallerLeaves)
}

func testIndexSharedCallerLeaves(t *testing.T) {
	store, emb, eng := newGatedEngine(t)
	doc := func(id string) []article.Article {
		return []article.Article{{ID: id, Source: id, Title: "T", Text: "A document about " + id + "."}}
	}
	var wg sync.WaitGroup
	var firstErr error
	wg.Go(func() { _, firstErr = eng.Index(t.Context(), "c", doc("first"), engine.IndexOptions{}) })
	<-emb.entered // the first run is embedding; the next call queues

	ctx, cancel := context.WithCancel(t.Context())
	var st engine.IndexStats
	var leftErr error
	wg.Go(func() { st, leftErr = eng.Index(ctx, "c", doc("left"), engine.IndexOptions{}) })
	synctest.Wait() // "left" waits in the queue
	cancel()
	synctest.Wait() // and has left it
	close(emb.gate)
	wg.Wait()

	if firstErr != nil {
		t.Fatalf("first caller: %v", firstErr)
	}
	if leftErr == nil || st.NotStored != 1 || len(st.Results) != 1 || st.Results[0].Status != engine.DocNotStored {
		t.Errorf("caller that left: %+v, %v; want its article reported not stored and an error", st, leftErr)
	}
	if _, err := store.Document(t.Context(), "c", "left"); err == nil {
		t.Error("the article of the caller that left was stored")
	}
	if _, err := store.Document(t.Context(), "c", "first"); err != nil {
		t.Errorf("the first caller's article: %v", err)
	}
}

// TestEngine_IndexSharedBadArticle: when a shared run fails because of one
// caller's article, the other callers' articles are still stored and
// their calls succeed; only the caller that sent it gets the error.
func TestEngine_IndexSharedBadArticle(t *testing.T) {
	synctest.Test(t, testIndexSharedBadArticle)
}

func testIndexSharedBadArticle(t *testing.T) {
	emb := &gateEmbedder{gate: make(chan struct{}), entered: make(chan struct{})}
	emb.failWhen = func(text string) bool { return strings.Contains(text, "poison") }
	eng, store := openEngine(t, t.TempDir(), emb, engine.Config{Model: "m", Chunk: chunk.DefaultOptions()})
	doc := func(id, text string) []article.Article {
		return []article.Article{{ID: id, Source: id, Title: "T", Text: text}}
	}
	var wg sync.WaitGroup
	wg.Go(func() { eng.Index(t.Context(), "c", doc("first", "The first document."), engine.IndexOptions{}) })
	<-emb.entered // the first run is embedding; the next two queue and share a run

	var goodSt, badSt engine.IndexStats
	var goodErr, badErr error
	wg.Go(func() {
		goodSt, goodErr = eng.Index(t.Context(), "c", doc("good", "A good document."), engine.IndexOptions{})
	})
	wg.Go(func() {
		badSt, badErr = eng.Index(t.Context(), "c", doc("bad", "A poison document."), engine.IndexOptions{})
	})
	synctest.Wait() // both queued
	close(emb.gate)
	wg.Wait()

	if goodErr != nil || goodSt.New != 1 || goodSt.NotStored != 0 {
		t.Errorf("good caller: %+v, %v; want its article stored and no error", goodSt, goodErr)
	}
	if badErr == nil || badSt.NotStored != 1 {
		t.Errorf("bad caller: %+v, %v; want an error and its article not stored", badSt, badErr)
	}
	if _, err := store.Document(t.Context(), "c", "good"); err != nil {
		t.Errorf("good article: %v", err)
	}
}
