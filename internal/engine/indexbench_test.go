package engine_test

import (
	"context"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// instantEmbedder answers at once with a vector made from a hash of each
// text: what is left of an index run is semsearch's own cost.
type instantEmbedder struct{}

func (instantEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		s := h.Sum64()
		v := make([]float32, 100)
		for j := range v {
			s = s*6364136223846793005 + 1442695040888963407
			v[j] = float32(int32(s>>32)) / (1 << 31)
		}
		out[i] = v
	}
	return out, nil
}

func (e instantEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	v, err := e.EmbedDocuments(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// BenchmarkIndex_BBC indexes BBC News (../shared/data/bbc, 2,226 articles)
// into a new collection of the embedded store and the BM25 index, as
// `semsearch index` does, against an embedder that answers at once; it
// reports passages/s and the CPU per passage is the profile's (go test
// -cpuprofile). Loading the files is not measured.
func BenchmarkIndex_BBC(b *testing.B) {
	dir := "../../../shared/data/bbc"
	if _, err := os.Stat(dir); err != nil {
		b.Skip("no BBC News at", dir)
	}
	loaded, err := article.Load(context.Background(), []string{dir}, nil, article.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, conc := range []int{1, 4} {
		b.Run("concurrency="+string(rune('0'+conc)), func(b *testing.B) {
			passages := 0
			for b.Loop() {
				b.StopTimer()
				data := b.TempDir()
				store, err := embedded.Open(filepath.Join(data, "store"), embedded.Options{})
				if err != nil {
					b.Fatal(err)
				}
				kw := bm25.OpenCollections(data, bm25.Options{})
				eng, err := engine.New(store, instantEmbedder{}, engine.Config{
					Model: "instant", Chunk: chunk.DefaultOptions(), TitleContext: true, Keywords: bm25.NewKeywordIndex(kw),
					BatchPassages: embed.DefaultBatchSize, EmbedConcurrency: conc,
				})
				if err != nil {
					b.Fatal(err)
				}
				arts := append([]article.Article(nil), loaded.Articles...)
				b.StartTimer()
				st, err := eng.Index(context.Background(), "bench", arts, engine.IndexOptions{SameFile: func(string, string) (bool, bool) { return false, false }})
				if err != nil {
					b.Fatal(err)
				}
				if err := store.Close(); err != nil {
					b.Fatal(err)
				}
				if err := kw.Close(); err != nil {
					b.Fatal(err)
				}
				passages += st.Passages
			}
			b.ReportMetric(float64(passages)/b.Elapsed().Seconds(), "passages/s")
		})
	}
}
