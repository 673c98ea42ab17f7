package sources

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// BenchmarkSync_oneChangedFile is what watch pays for one saved file in a
// folder of 20,000 notes: a sync of that path alone, and the bytes it
// appends to the collection's change log.
func BenchmarkSync_oneChangedFile(b *testing.B) {
	ctx := b.Context()
	data := b.TempDir()
	store, err := embedded.Open(data, embedded.Options{CompactMinBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	eng, err := engine.New(store, &countingEmbedder{}, engine.Config{Model: "fake", Chunk: chunk.DefaultOptions()})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for i := range 20000 {
		sub := filepath.Join(dir, fmt.Sprintf("%02d", i%100))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("note-%05d.md", i)), fmt.Appendf(nil, "# Note %d\n\nSome text of note %d.\n", i, i), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := eng.Index(ctx, "c", []article.Article{{ID: "seed", Text: "seed"}}, engine.IndexOptions{}); err != nil {
		b.Fatal(err)
	}
	root, err := Root(dir, article.LoadOptions{}, "", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.RecordSources(ctx, "c", vectorstore.Sources{Roots: []vectorstore.SourceRoot{root}}); err != nil {
		b.Fatal(err)
	}
	s := &Syncer{Engine: eng, Collection: "c"}
	if _, err := s.Sync(ctx, nil); err != nil {
		b.Fatal(err)
	}
	changed := filepath.Join(dir, "07", "note-00007.md")
	logSize := func() int64 {
		fi, err := os.Stat(filepath.Join(data, "c.wal"))
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	before := logSize()
	b.ResetTimer()
	for i := range b.N {
		if err := os.WriteFile(changed, fmt.Appendf(nil, "# Note 7\n\nEdited, version %d.\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
		res, err := s.Sync(ctx, []string{changed})
		if err != nil || res.Stats.Updated != 1 {
			b.Fatalf("sync: %+v, %v", res.Stats, err)
		}
	}
	b.StopTimer()
	// What each saved file adds to the change log (no compaction runs).
	b.ReportMetric(float64(logSize()-before)/float64(b.N), "log-bytes/op")
}
