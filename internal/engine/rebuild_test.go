package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// colIndex is an in-memory KeywordIndex that keeps collections apart, so a
// test sees what each collection's keyword index holds.
type colIndex struct {
	mu   sync.Mutex
	cols map[string]map[string]engine.KeywordDoc
}

func newColIndex() *colIndex { return &colIndex{cols: map[string]map[string]engine.KeywordDoc{}} }

func (x *colIndex) Replace(_ context.Context, c string, docs []engine.KeywordDoc) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cols[c] == nil {
		x.cols[c] = map[string]engine.KeywordDoc{}
	}
	for _, d := range docs {
		x.cols[c][d.ID] = d
	}
	return nil
}

func (x *colIndex) Delete(_ context.Context, c string, ids ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		delete(x.cols[c], id)
	}
	return nil
}

func (x *colIndex) Hashes(_ context.Context, c string) (map[string]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[string]string{}
	for id, d := range x.cols[c] {
		out[id] = d.Hash
	}
	return out, nil
}

func (x *colIndex) Search(context.Context, string, string, int, func(string) bool) ([]engine.KeywordHit, error) {
	return nil, nil
}

func (x *colIndex) Drop(_ context.Context, c string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.cols, c)
	return nil
}

// failingEmbedder embeds through next until n calls were made; then it
// fails, or cancels the run's context when cancel is set.
type failingEmbedder struct {
	next   *bagEmbedder
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (f *failingEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	left := f.n
	f.n--
	f.mu.Unlock()
	if left <= 0 {
		if f.cancel != nil {
			f.cancel()
			return nil, ctx.Err()
		}
		return nil, errors.New("fake ollama: connection reset")
	}
	return f.next.EmbedDocuments(ctx, texts)
}

func (f *failingEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	return f.next.EmbedQuery(ctx, text)
}

// rebuildCorpus is articles of several passages each, some with skip spans
// (a byline) and one with a line map (as from an HTML page).
func rebuildCorpus() []article.Article {
	var arts []article.Article
	for i := range 12 {
		var b strings.Builder
		fmt.Fprintf(&b, "Story %d\n\nBy Jane Doe\n\n", i)
		for s := range 30 {
			fmt.Fprintf(&b, "Sentence %d of story %d is about harbours, storms and bees. ", s, i)
		}
		a := article.Article{ID: fmt.Sprintf("s%02d.txt", i), Source: fmt.Sprintf("s%02d.txt", i), Format: "text", Title: fmt.Sprintf("Story %d", i), Text: b.String(),
			Skip: []article.Span{{Start: len(fmt.Sprintf("Story %d\n\n", i)), End: len(fmt.Sprintf("Story %d\n\nBy Jane Doe\n", i))}}}
		if i == 3 {
			a.Format = "html"
			a.Lines = []article.LineRange{{First: 7, Last: 7}, {First: 8, Last: 8}, {First: 9, Last: 9}, {First: 10, Last: 10}, {First: 12, Last: 30}}
		}
		arts = append(arts, a)
	}
	return arts
}

// checkWhole checks that collection c holds every id of want, each whole
// (its passages those of one version, chunked with the collection's
// recorded settings), and that the keyword index holds exactly the store's
// passages. It returns the stored hashes.
func checkWhole(t *testing.T, store *embedded.Store, kw *colIndex, c string, want []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	hashes, err := store.Hashes(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range want {
		if _, ok := hashes[id]; !ok {
			t.Errorf("%s is missing", id)
		}
	}
	if len(hashes) != len(want) {
		t.Errorf("collection holds %d documents, want %d", len(hashes), len(want))
	}
	for id := range hashes {
		doc, hits, err := vectorstore.DocumentPassages(ctx, store, c, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != doc.Passages || len(hits) == 0 {
			t.Errorf("%s: %d passages of %d", id, len(hits), doc.Passages)
		}
		kd, ok := kw.cols[c][id]
		if !ok || kd.Hash != doc.Hash || len(kd.Passages) != len(hits) {
			t.Errorf("%s: keyword index holds %d passages of hash %.8s, the store %d of %.8s", id, len(kd.Passages), kd.Hash, len(hits), doc.Hash)
			continue
		}
		for i, h := range hits {
			if kd.Passages[i].Text != h.Text {
				t.Errorf("%s passage %d: keyword index %q, store %q", id, i, kd.Passages[i].Text, h.Text)
			}
		}
	}
	for other := range kw.cols {
		if other != c && len(kw.cols[other]) > 0 {
			t.Errorf("keyword index of %q left behind", other)
		}
	}
	cols, err := store.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 1 || cols[0].Name != c {
		t.Errorf("collections %+v, want only %q", cols, c)
	}
	return hashes
}

// TestEngine_RebuildInterrupted stops a rebuild after n embedding calls, by
// a failing model or a canceled context, at several n: every article is
// still there (in its old or its new version, never half of each), the
// keyword index matches the store, and the next rebuild completes.
func TestEngine_RebuildInterrupted(t *testing.T) {
	arts := rebuildCorpus()
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	small := chunk.DefaultOptions()
	small.Size, small.Overlap, small.Max = 20, 0, 40
	for _, cancel := range []bool{false, true} {
		for _, n := range []int{0, 1, 2, 5, 9} {
			t.Run(fmt.Sprintf("cancel=%t/n=%d", cancel, n), func(t *testing.T) {
				dir := t.TempDir()
				kw := newColIndex()
				bag := &bagEmbedder{}
				eng, store := openEngine(t, dir, bag, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions(), Keywords: kw, BatchPassages: 4})
				ctx := t.Context()
				if _, err := eng.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
					t.Fatal(err)
				}
				before := checkWhole(t, store, kw, "news", ids)

				// The rebuild names two articles, one of them changed.
				named := []article.Article{arts[0], arts[1]}
				named[1].Text += "\n\nA late paragraph about the harbour master."
				runCtx, stop := context.WithCancel(ctx)
				defer stop()
				fail := &failingEmbedder{next: bag, n: n}
				if cancel {
					fail.cancel = stop
				}
				rebuilder, err := engine.New(store, fail, engine.Config{Model: "bag", Chunk: small, Keywords: kw, BatchPassages: 4})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := rebuilder.Index(runCtx, "news", named, engine.IndexOptions{Rebuild: true}); err == nil {
					t.Fatal("interrupted rebuild reported success")
				}
				after := checkWhole(t, store, kw, "news", ids)
				for id, h := range after {
					if h != before[id] {
						t.Errorf("%s changed by a rebuild that failed", id)
					}
				}
				col, err := store.Collection(ctx, "news")
				if err != nil || strings.Contains(col.Settings.Chunking, "size=20") {
					t.Errorf("collection after the failed rebuild: %+v %v", col, err)
				}

				// The next rebuild completes.
				rebuilder, err = engine.New(store, bag, engine.Config{Model: "bag", Chunk: small, Keywords: kw, BatchPassages: 4})
				if err != nil {
					t.Fatal(err)
				}
				st, err := rebuilder.Index(ctx, "news", named, engine.IndexOptions{Rebuild: true})
				if err != nil {
					t.Fatalf("rebuild: %v (%+v)", err, st)
				}
				after = checkWhole(t, store, kw, "news", ids)
				if after[named[1].ID] != named[1].Hash() {
					t.Errorf("%s: the changed article named on the command line was not stored", named[1].ID)
				}
				if col, _ := store.Collection(ctx, "news"); !strings.Contains(col.Settings.Chunking, "size=20") {
					t.Errorf("collection chunking after the rebuild: %q", col.Settings.Chunking)
				}
				// Stored articles keep their skip spans and line map: no
				// passage holds the byline, and the HTML one cites its
				// file's lines.
				for _, id := range ids {
					doc, hits, err := vectorstore.DocumentPassages(ctx, store, "news", id)
					if err != nil {
						t.Fatal(err)
					}
					if after[id] != before[id] && id != named[1].ID {
						t.Errorf("%s: hash changed by a rebuild from the store", id)
					}
					for _, h := range hits {
						if strings.Contains(h.Text, "Jane Doe") {
							t.Errorf("%s passage %d holds the byline: %q", id, h.Chunk, h.Text)
						}
						if doc.Format == "html" && (h.LineStart < 12 || h.LineEnd > 30) {
							t.Errorf("%s passage %d cites lines %d-%d, want within 12-30", id, h.Chunk, h.LineStart, h.LineEnd)
						}
					}
				}
			})
		}
	}
}
