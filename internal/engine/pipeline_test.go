package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// pipeWait bounds how long a fake waits for the other side of the
// pipeline: long enough for a loaded machine, short enough that a run
// without overlap fails instead of hanging.
const pipeWait = 5 * time.Second

// handshakeEmbedder answers like bagEmbedder, but its second call waits
// until the store has started writing the first call's article.
type handshakeEmbedder struct {
	bagEmbedder
	calls        atomic.Int32
	secondCalled chan struct{} // closed when the second call starts
	putStarted   chan struct{} // closed by the store's first Put
}

func (h *handshakeEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	if h.calls.Add(1) == 2 {
		close(h.secondCalled)
		select {
		case <-h.putStarted:
		case <-time.After(pipeWait):
			return nil, errors.New("fake embedder: the store wrote nothing while this call was outstanding")
		}
	}
	return h.bagEmbedder.EmbedDocuments(ctx, texts)
}

// handshakeStore is an embedded store whose first Put waits until the
// embedder's second call has started.
type handshakeStore struct {
	*embedded.Store
	h    *handshakeEmbedder
	once sync.Once
}

func (s *handshakeStore) Put(ctx context.Context, name string, doc vectorstore.Document, ps []vectorstore.Passage) error {
	first := false
	s.once.Do(func() { first = true; close(s.h.putStarted) })
	if first {
		select {
		case <-s.h.secondCalled:
		case <-time.After(pipeWait):
			return fmt.Errorf("fake store: no embedding call was outstanding while %s was stored", doc.ID)
		}
	}
	return s.Store.Put(ctx, name, doc, ps)
}

// manyArticles returns n one-passage articles a00, a01, ... whose text
// carries version.
func manyArticles(n int, version string) []article.Article {
	arts := make([]article.Article, n)
	for i := range arts {
		id := fmt.Sprintf("a%02d", i)
		arts[i] = article.Article{ID: id, Source: "news/" + id, Title: "Title " + id,
			Text: fmt.Sprintf("Title %s\n\nArticle %s about harbours and ferries, %s.", id, id, version)}
	}
	return arts
}

// TestEngine_IndexOverlapsEmbedAndStore: the store writes one batch's
// articles while the embedder works on the next (one call in flight), so
// neither waits for the other.
func TestEngine_IndexOverlapsEmbedAndStore(t *testing.T) {
	h := &handshakeEmbedder{secondCalled: make(chan struct{}), putStarted: make(chan struct{})}
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(&handshakeStore{Store: store, h: h}, h, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), BatchPassages: 1})
	if err != nil {
		t.Fatal(err)
	}
	arts := manyArticles(6, "v1")
	st, err := eng.Index(t.Context(), "news", arts, engine.IndexOptions{Prune: true}) // Prune: a run of its own, not a shared one
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	if st.New != len(arts) || st.NotStored != 0 {
		t.Fatalf("stats %+v, want %d new", st, len(arts))
	}
}

// failingStore is an embedded store whose Put fails for one article.
type failingStore struct {
	*embedded.Store
	failID atomic.Value // string
}

func (s *failingStore) Put(ctx context.Context, name string, doc vectorstore.Document, ps []vectorstore.Passage) error {
	if id, _ := s.failID.Load().(string); id == doc.ID {
		return errors.New("fake store: no space left on device")
	}
	return s.Store.Put(ctx, name, doc, ps)
}

// TestEngine_IndexFailureMidPipeline: when the store or the embedder fails
// part way through a pipelined run (several calls in flight), every article
// ends either old or new, never half; the results say which; the error
// names the failing article; and running again converges.
func TestEngine_IndexFailureMidPipeline(t *testing.T) {
	for _, tc := range []struct {
		name              string
		putFails, embFail string
	}{
		{name: "store fails", putFails: "a05"},
		{name: "embedder fails", embFail: "a05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			store, err := embedded.Open(t.TempDir(), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			fs := &failingStore{Store: store}
			emb := &bagEmbedder{}
			eng, err := engine.New(fs, emb, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), BatchPassages: 2, EmbedConcurrency: 3})
			if err != nil {
				t.Fatal(err)
			}
			old, next := manyArticles(12, "old"), manyArticles(12, "new")
			if _, err := eng.Index(ctx, "news", old, engine.IndexOptions{Prune: true}); err != nil {
				t.Fatal(err)
			}
			fs.failID.Store(tc.putFails)
			if tc.embFail != "" {
				emb.failWhen = func(text string) bool { return strings.Contains(text, "Article "+tc.embFail+" ") }
			}
			st, err := eng.Index(ctx, "news", next, engine.IndexOptions{Prune: true})
			if err == nil {
				t.Fatal("no error from a run that failed part way")
			}
			if !strings.Contains(err.Error(), "a05") {
				t.Errorf("error %q does not name the failing article a05", err)
			}
			hashes, herr := store.Hashes(ctx, "news")
			if herr != nil {
				t.Fatal(herr)
			}
			if len(st.Results) != len(next) {
				t.Fatalf("%d results for %d articles", len(st.Results), len(next))
			}
			for i := range next {
				id := next[i].ID
				got := hashes[id]
				switch {
				case got == next[i].Hash():
					if st.Results[i].Status != engine.DocUpdated {
						t.Errorf("%s is stored new but its result says %s", id, st.Results[i].Status)
					}
				case got == old[i].Hash():
					if st.Results[i].Status != engine.DocNotStored {
						t.Errorf("%s is stored old but its result says %s", id, st.Results[i].Status)
					}
				default:
					t.Errorf("%s is stored neither old nor new (hash %q)", id, got)
				}
				doc, hits, perr := vectorstore.DocumentPassages(ctx, store, "news", id)
				if perr != nil {
					t.Fatalf("%s: %v", id, perr)
				}
				want := old[i].Text
				if got == next[i].Hash() {
					want = next[i].Text
				}
				if doc.Text != want || len(hits) != doc.Passages || len(hits) == 0 {
					t.Errorf("%s: stored text %q with %d of %d passages does not match its stored hash", id, doc.Text, len(hits), doc.Passages)
				}
				for _, hit := range hits {
					if !strings.Contains(want, hit.Text) {
						t.Errorf("%s: passage %q is not of the stored version", id, hit.Text)
					}
				}
			}
			if st.Results[5].Status != engine.DocNotStored {
				t.Errorf("a05, which failed, has result %s", st.Results[5].Status)
			}

			// Running again converges.
			fs.failID.Store("")
			emb.failWhen = nil
			st, err = eng.Index(ctx, "news", next, engine.IndexOptions{Prune: true})
			if err != nil || st.NotStored != 0 || st.Updated+st.Unchanged != len(next) {
				t.Fatalf("rerun: %+v %v", st, err)
			}
			if hashes, err = store.Hashes(ctx, "news"); err != nil {
				t.Fatal(err)
			}
			for i := range next {
				if hashes[next[i].ID] != next[i].Hash() {
					t.Errorf("after the rerun %s is not the new version", next[i].ID)
				}
			}
		})
	}
}
