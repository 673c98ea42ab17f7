package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// The id guard holds for calls without options too: they go through the
// shared write queue, which is what the HTTP API and MCP use.
func TestEngine_IDGuardEveryDoor(t *testing.T) {
	eng, store := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := t.Context()
	first := []article.Article{
		{ID: "business/002.txt", Source: "bbc/business/002.txt", Text: "Dollar gains on Greenspan speech."},
		{ID: "tech/018.txt", Source: "bbc/tech/018.txt", Text: "Phones that take pictures sell well."},
	}
	if _, err := eng.Index(ctx, "c", first, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		arts    []article.Article
		refused bool
	}{
		{"another file under the id", []article.Article{{ID: "business/002.txt", Source: "bbc/sport/002.txt", Text: "Claxton hunting first major medal."}}, true},
		{"a stored file under another id", []article.Article{{ID: "018.txt", Source: "bbc/tech/018.txt", Text: "Phones that take pictures sell well."}}, true},
		{"a stored file under a longer id", []article.Article{{ID: "bbc/tech/018.txt", Source: "bbc/tech/018.txt", Text: "Phones that take pictures sell well."}}, true},
		{"the same file, changed", []article.Article{{ID: "business/002.txt", Source: "bbc/business/002.txt", Text: "Dollar gains on Greenspan speech, again."}}, false},
		{"the same file from another directory", []article.Article{{ID: "business/002.txt", Source: "business/002.txt", Text: "Dollar gains on Greenspan speech, once more."}}, false},
		{"no source named", []article.Article{{ID: "business/002.txt", Text: "Dollar falls."}}, false},
		{"a URL", []article.Article{{ID: "business/002.txt", Source: "https://example.com/x", Text: "Dollar falls again."}}, false},
		{"another file, new id", []article.Article{{ID: "sport/018.txt", Source: "bbc/sport/018.txt", Text: "Cup final on penalties."}}, false},
	}
	for _, tt := range tests {
		before, _ := store.Collection(ctx, "c")
		st, err := eng.Index(ctx, "c", tt.arts, engine.IndexOptions{})
		var ce *engine.IDConflictError
		if got := errors.As(err, &ce); got != tt.refused {
			t.Errorf("%s: err = %v, want refused %t", tt.name, err, tt.refused)
			continue
		}
		if !tt.refused {
			continue
		}
		after, _ := store.Collection(ctx, "c")
		if after.Documents != before.Documents || after.Passages != before.Passages {
			t.Errorf("%s: the refused run changed the collection: %+v, was %+v", tt.name, after, before)
		}
		if len(st.Results) != 1 || st.Results[0].Status != engine.DocIDConflict || st.NotStored != 1 {
			t.Errorf("%s: results %+v, not stored %d", tt.name, st.Results, st.NotStored)
		}
		if !strings.Contains(err.Error(), tt.arts[0].ID) || !strings.Contains(err.Error(), tt.arts[0].Source) {
			t.Errorf("%s: message does not name the id and source: %v", tt.name, err)
		}
	}
	doc, err := store.Document(ctx, "c", "business/002.txt")
	if err != nil || doc.Source != "https://example.com/x" {
		t.Errorf("stored source = %q, %v", doc.Source, err)
	}
}

// The guard reads stored sources one by one for a small run and lists
// the collection once for a large one: a conflict is found either way,
// past the point where it switches.
func TestEngine_IDGuardManyArticles(t *testing.T) {
	for _, n := range []int{3, 200} {
		eng, _ := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
		ctx := t.Context()
		var arts []article.Article
		for i := range n {
			arts = append(arts, article.Article{ID: fmt.Sprintf("n/%03d.txt", i), Source: fmt.Sprintf("docs/n/%03d.txt", i), Text: fmt.Sprintf("note %d", i)})
		}
		if _, err := eng.Index(ctx, "c", arts, engine.IndexOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := range arts {
			arts[i].Text += ", changed"
		}
		// Last, after every other article changed: n/001.txt's file under
		// its id without the directory.
		arts = append(arts[:1:1], arts[2:]...)
		arts = append(arts, article.Article{ID: "001.txt", Source: "docs/n/001.txt", Text: "note 1 again"})
		_, err := eng.Index(ctx, "c", arts, engine.IndexOptions{})
		var ce *engine.IDConflictError
		if !errors.As(err, &ce) || len(ce.Conflicts) != 1 || ce.Conflicts[0].ID != "001.txt" || ce.Conflicts[0].StoredID != "n/001.txt" {
			t.Errorf("%d articles: err = %v, want one conflict of 001.txt with n/001.txt", n, err)
		}
	}
}

// vanishingStore is a store from which one document is deleted (by
// another writer: an API DELETE beside a watch batch) after an index run
// read the collection's ids, and before the guard reads its source.
type vanishingStore struct {
	*embedded.Store
	gone string
}

func (s vanishingStore) Document(ctx context.Context, collection, id string) (vectorstore.Document, error) {
	if id == s.gone {
		return vectorstore.Document{}, fmt.Errorf("document %q: %w", id, vectorstore.ErrNotFound)
	}
	return s.Store.Document(ctx, collection, id)
}

// TestEngine_IDGuardDocumentGone: a document deleted while the guard
// checks sources counts as not stored; the run is not refused for it.
func TestEngine_IDGuardDocumentGone(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := t.Context()
	eng, err := engine.New(vanishingStore{Store: store, gone: "a.md"}, &bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	arts := []article.Article{{ID: "a.md", Source: "docs/a.md", Text: "apples"}}
	if _, err := eng.Index(ctx, "c", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	arts[0].Text = "apples, changed"
	if _, err := eng.Index(ctx, "c", arts, engine.IndexOptions{}); err != nil {
		t.Errorf("a run over a document deleted meanwhile: %v", err)
	}
}

// A rebuild is an index run too: the articles it is given pass the same
// guard, and a refused rebuild changes nothing.
func TestEngine_IDGuardRebuild(t *testing.T) {
	eng, store := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := t.Context()
	first := []article.Article{
		{ID: "business/002.txt", Source: "bbc/business/002.txt", Text: "Dollar gains on Greenspan speech."},
		{ID: "tech/018.txt", Source: "bbc/tech/018.txt", Text: "Phones that take pictures sell well."},
	}
	if _, err := eng.Index(ctx, "c", first, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []article.Article{
		{ID: "business/002.txt", Source: "bbc/sport/002.txt", Text: "Claxton hunting first major medal."},
		{ID: "018.txt", Source: "bbc/tech/018.txt", Text: "Phones that take pictures sell well."},
	} {
		_, err := eng.Index(ctx, "c", []article.Article{a}, engine.IndexOptions{Rebuild: true})
		if !errors.Is(err, engine.ErrIDConflict) {
			t.Errorf("rebuild given %s as %q: err = %v, want an id conflict", a.Source, a.ID, err)
		}
	}
	doc, err := store.Document(ctx, "c", "business/002.txt")
	if err != nil || doc.Source != "bbc/business/002.txt" {
		t.Errorf("after refused rebuilds business/002.txt is %q, %v", doc.Source, err)
	}
	if c, _ := store.Collection(ctx, "c"); c.Documents != 2 {
		t.Errorf("after refused rebuilds the collection holds %d documents, want 2", c.Documents)
	}
	// Given unchanged, the same file rebuilds.
	if _, err := eng.Index(ctx, "c", first[:1], engine.IndexOptions{Rebuild: true}); err != nil {
		t.Errorf("rebuild given a stored file unchanged: %v", err)
	}
}

// zeroEmbedder answers zeros for texts without a letter a..m (or for every
// text, when all is set), like a model knowing none of the words, or one
// whose weights are lost.
type zeroEmbedder struct {
	bagEmbedder
	all bool
}

func (z *zeroEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := z.bagEmbedder.EmbedDocuments(ctx, texts)
	for i, t := range texts {
		if z.all || !strings.ContainsAny(t, "abcdefghijklm") {
			out[i] = make([]float32, dims)
		}
	}
	return out, err
}

func TestEngine_ZeroVectors(t *testing.T) {
	arts := []article.Article{
		{ID: "news.txt", Source: "news.txt", Text: "Shares rose in early trading as investors welcomed the news."},
		{ID: "unknown.txt", Source: "unknown.txt", Text: "zzz xxx ppp qqq rrr sss ttt uuu vvv www yyy zzz"},
	}
	// A model that knows none of an article's words: the article is kept.
	eng, _ := newEngine(t, t.TempDir(), &zeroEmbedder{}, "bag")
	st, err := eng.Index(t.Context(), "c", arts, engine.IndexOptions{})
	if err != nil || st.New != 2 {
		t.Errorf("unknown words: %+v, %v; want both stored", st, err)
	}
	// A model answering zeros for everything: refused, nothing stored.
	eng, store := newEngine(t, t.TempDir(), &zeroEmbedder{all: true}, "bag")
	st, err = eng.Index(t.Context(), "c", arts, engine.IndexOptions{})
	if !errors.Is(err, engine.ErrModelBroken) || st.New != 0 || st.NotStored != 2 {
		t.Errorf("all zeros: %+v, %v; want ErrModelBroken and nothing stored", st, err)
	}
	if c, err := store.Collection(t.Context(), "c"); err == nil && c.Passages != 0 {
		t.Errorf("all zeros: %d passages stored", c.Passages)
	}
	if err != nil && (!strings.Contains(err.Error(), `"bag"`) || !strings.Contains(err.Error(), "news.txt")) {
		t.Errorf("message does not name the model and article: %v", err)
	}
}

// A write the id guard refuses fails alone: a caller whose articles shared
// its run and were all stored (or unchanged) gets no error.
func TestEngine_IDGuardSharedRun(t *testing.T) { synctest.Test(t, testIDGuardSharedRun) }

func testIDGuardSharedRun(t *testing.T) {
	ctx := t.Context()
	_, emb, eng := newGatedEngine(t)
	stored := article.Article{ID: "x/n.txt", Source: "dir/x/n.txt", Text: "A stored file about rivers."}
	same := article.Article{ID: "u", Source: "u.txt", Text: "An unchanged file about lakes."}
	var wg sync.WaitGroup
	var err0 error
	wg.Go(func() { _, err0 = eng.Index(ctx, "c", []article.Article{stored, same}, engine.IndexOptions{}) })
	<-emb.entered // the first run is embedding; the next two share a run
	var errA, errB error
	var stB engine.IndexStats
	wg.Go(func() {
		_, errA = eng.Index(ctx, "c", []article.Article{{ID: "n.txt", Source: "dir/x/n.txt", Text: stored.Text}}, engine.IndexOptions{})
	})
	wg.Go(func() { stB, errB = eng.Index(ctx, "c", []article.Article{same}, engine.IndexOptions{}) })
	synctest.Wait() // both queued
	close(emb.gate)
	wg.Wait()
	if err0 != nil {
		t.Fatal(err0)
	}
	if !errors.Is(errA, engine.ErrIDConflict) {
		t.Errorf("the same file under another id: %v, want ErrIDConflict", errA)
	}
	if errB != nil || stB.Unchanged != 1 {
		t.Errorf("the caller sharing the refused run: %+v, %v; want unchanged and no error", stB, errB)
	}
}
