package mcpserver

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// unitEmbedder gives every text the same unit vector.
type unitEmbedder struct{}

func (unitEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0}
	}
	return out, nil
}

func (unitEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	return []float32{1, 0}, nil
}

// The engine's id guard holds through add_documents: a write naming
// another file for a stored id is refused with the engine's message; one
// naming no source, or the same one, replaces.
func TestServer_addDocumentsIDGuard(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, unitEmbedder{}, engine.Config{Model: "m", Chunk: chunk.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Collection: "news", Model: "m", Writes: true})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[1].connect(t, s)
	defer cs.Close()
	add := func(doc map[string]any) (string, bool) {
		t.Helper()
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "add_documents", Arguments: map[string]any{"documents": []any{doc}}})
		if err != nil {
			return err.Error(), true
		}
		return res.Content[0].(*mcp.TextContent).Text, res.IsError
	}
	steps := []struct {
		doc     map[string]any
		refused bool
	}{
		{map[string]any{"id": "business/002.txt", "text": "Dollar gains on Greenspan speech.", "source": "bbc/business/002.txt"}, false},
		{map[string]any{"id": "business/002.txt", "text": "Claxton hunting first major medal.", "source": "bbc/sport/002.txt"}, true},
		{map[string]any{"id": "business/002.txt", "text": "Dollar gains again.", "source": "bbc/business/002.txt"}, false},
		{map[string]any{"id": "business/002.txt", "text": "Dollar falls."}, false},
	}
	for i, st := range steps {
		msg, isErr := add(st.doc)
		if isErr != st.refused {
			t.Errorf("step %d: %q (error %t), want refused %t", i, msg, isErr, st.refused)
		}
		if st.refused && !strings.Contains(msg, "bbc/sport/002.txt") {
			t.Errorf("step %d: message does not name the source: %q", i, msg)
		}
	}
	doc, err := store.Document(t.Context(), "news", "business/002.txt")
	if err != nil || doc.Text != "Dollar falls." || doc.Source != "business/002.txt" {
		t.Errorf("stored %q from %q, %v; want the last write, cited by its id", doc.Text, doc.Source, err)
	}
}
