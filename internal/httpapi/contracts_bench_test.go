package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// BenchmarkDifyRetrieval_documentCondition: a Dify retrieval whose
// metadata condition names a document field, on a knowledge base of
// 50,000 documents, through the real engine and store. The condition
// selects documents before ranking, so each request reads every
// document's metadata once.
func BenchmarkDifyRetrieval_documentCondition(b *testing.B) {
	store, err := embedded.Open(b.TempDir(), embedded.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	eng, err := engine.New(store, bagEmbedder{}, engine.Config{Model: "bag", Chunk: chunk.DefaultOptions()})
	if err != nil {
		b.Fatal(err)
	}
	arts := make([]article.Article, 50000)
	for i := range arts {
		arts[i] = article.Article{ID: fmt.Sprintf("doc-%05d", i), Title: fmt.Sprintf("Report %d", i%500), Text: fmt.Sprintf("Quarterly figures, part %d.", i)}
	}
	if _, err := eng.Index(b.Context(), "kb", arts, engine.IndexOptions{}); err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Collection: "kb", ValidCollection: vectorstore.ValidName, Model: "bag"})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"knowledge_id": "kb", "query": "quarterly figures", "retrieval_setting": {"top_k": 3, "score_threshold": 0},
		"metadata_condition": {"conditions": [{"name": "title", "comparison_operator": "is", "value": "Report 7"}]}}`
	b.ResetTimer()
	for range b.N {
		if w := do(s, request{method: "POST", target: "/retrieval", body: body}); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
