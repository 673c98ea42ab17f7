package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

// namingEmbedder records the names the engine gives the passages it embeds.
type namingEmbedder struct {
	bagEmbedder
	mu    sync.Mutex
	names []string
}

func (n *namingEmbedder) EmbedDocumentsNamed(ctx context.Context, texts, names []string) ([][]float32, error) {
	n.mu.Lock()
	n.names = append(n.names, names...)
	n.mu.Unlock()
	return n.EmbedDocuments(ctx, texts)
}

// TestEngine_namesPassages: an embedder that can name what it warns about
// (a passage cut to fit the model's context) gets each passage's article
// and number.
func TestEngine_namesPassages(t *testing.T) {
	emb := &namingEmbedder{}
	eng, _ := newEngine(t, t.TempDir(), emb, "bag")
	if _, err := eng.Index(t.Context(), "news", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"article comey.txt passage 0", "article fruit.txt passage 0", "article sport.txt passage 0"}
	if !slices.Equal(emb.names, want) {
		t.Errorf("names %q, want %q", emb.names, want)
	}
}
