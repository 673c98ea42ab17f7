package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// countingEmbedder gives every text the same vector and counts the texts.
type countingEmbedder struct{ texts atomic.Int64 }

func (c *countingEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	c.texts.Add(int64(len(texts)))
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, float32(len(texts[i]) % 7), 0.5}
	}
	return out, nil
}

func (c *countingEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	return []float32{1, 0, 0}, nil
}

// TestSync_changedPathsOnly: a sync given the paths that changed (watch's
// batch) reads only them, with their root's IDs and options: a file that
// changed but was not named keeps what it held until a full sync, a
// deleted or renamed file and a new folder are handled as by a full sync,
// and the file report keeps the files that were not looked at.
func TestSync_changedPathsOnly(t *testing.T) {
	ctx := t.Context()
	es, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	store := &listCountingStore{Store: es}
	emb := &countingEmbedder{}
	eng, err := engine.New(store, emb, engine.Config{Model: "fake", Chunk: chunk.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a.md", "# A\n\nApples in the first version.\n")
	pathB := write("b.md", "# B\n\nBananas in the first version.\n")
	pathC := write("sub/c.md", "# C\n\nCherries.\n")
	write("skip.tmp", "left out by the root's --exclude")
	root, err := Root(dir, article.LoadOptions{Exclude: []string{"*.tmp"}}, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The collection's first index run makes it; its folder is recorded
	// as `index DIR` does.
	if _, err := eng.Index(ctx, "c", []article.Article{{ID: "seed", Text: "seed"}}, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(ctx, "c", nil, engine.IndexOptions{Remove: []string{"seed"}}); err != nil {
		t.Fatal(err)
	}
	if err := eng.RecordSources(ctx, "c", vectorstore.Sources{Roots: []vectorstore.SourceRoot{root}}); err != nil {
		t.Fatal(err)
	}
	s := &Syncer{Engine: eng, Collection: "c"}
	sync := func(changed ...string) engine.IndexStats {
		t.Helper()
		res, err := s.Sync(ctx, changed)
		if err != nil {
			t.Fatalf("sync %v: %v", changed, err)
		}
		return res.Stats
	}
	text := func(id string) string {
		t.Helper()
		d, err := eng.Document(ctx, "c", id)
		if err != nil {
			return "(" + err.Error() + ")"
		}
		return d.Text
	}
	if st := sync(); st.New != 3 {
		t.Fatalf("first full sync: %+v, want 3 new", st)
	}

	// From here on every sync names its changed paths: none lists the
	// whole collection to build the file report.
	lists := store.lists.Load()
	write("a.md", "# A\n\nApples in the second version.\n")
	write("b.md", "# B\n\nBananas in the second version.\n")
	before := emb.texts.Load()
	if st := sync(pathB); st.Updated != 1 || st.New != 0 || st.Removed != 0 || st.Unchanged != 0 {
		t.Errorf("sync of b.md: %+v, want 1 updated and nothing else looked at", st)
	}
	if !strings.Contains(text("b.md"), "second") || !strings.Contains(text("a.md"), "first") {
		t.Errorf("after syncing b.md: a.md %q, b.md %q; want a.md untouched (not read) and b.md new", text("a.md"), text("b.md"))
	}
	if n := emb.texts.Load() - before; n != 1 {
		t.Errorf("sync of one changed file embedded %d passages, want 1", n)
	}

	if err := os.Remove(pathC); err != nil {
		t.Fatal(err)
	}
	if st := sync(pathC); st.Removed != 1 || st.New+st.Updated != 0 {
		t.Errorf("sync of a deleted file: %+v, want 1 removed", st)
	}
	pathD := filepath.Join(dir, "d.md")
	if err := os.Rename(pathB, pathD); err != nil {
		t.Fatal(err)
	}
	before = emb.texts.Load()
	if st := sync(pathB, pathD); st.Moved != 1 || st.Removed != 1 {
		t.Errorf("sync of a rename: %+v, want a move", st)
	}
	if n := emb.texts.Load() - before; n != 0 {
		t.Errorf("a rename embedded %d passages, want 0", n)
	}
	write("new/e.md", "# E\n\nElderberries.\n")
	write("new/skip.tmp", "excluded")
	if st := sync(filepath.Join(dir, "new")); st.New != 1 {
		t.Errorf("sync of a new folder: %+v, want 1 new (its .tmp excluded)", st)
	}

	src, err := eng.Sources(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range src.Files {
		files = append(files, strings.TrimPrefix(f.Path, dir+"/")+":"+f.Status)
	}
	if got, want := strings.Join(files, " "), "a.md:indexed d.md:indexed new/e.md:indexed"; got != want {
		t.Errorf("file report %q, want %q (a.md kept though not looked at)", got, want)
	}
	if n := store.lists.Load() - lists; n != 0 {
		t.Errorf("syncs of changed paths listed every document %d times, want 0", n)
	}
	if st := sync(); st.Updated != 1 || st.Unchanged != 2 {
		t.Errorf("full sync: %+v, want a.md updated at last", st)
	}
	if !strings.Contains(text("a.md"), "second") || !strings.HasPrefix(text("c.md"), "(") {
		t.Errorf("after the full sync: a.md %q, c.md %q", text("a.md"), text("c.md"))
	}
}

// listCountingStore counts the listings of every document of a collection.
type listCountingStore struct {
	*embedded.Store
	lists atomic.Int32
}

func (s *listCountingStore) Documents(ctx context.Context, collection string, offset, limit int) ([]vectorstore.Document, int, error) {
	s.lists.Add(1)
	return s.Store.Documents(ctx, collection, offset, limit)
}
