package embed_test

import (
	"testing"

	"github.com/semsearch/semsearch/internal/embed"
)

func TestPrefixesFor(t *testing.T) {
	const sentence = "Represent this sentence for searching relevant passages: "
	tests := []struct {
		model      string
		query, doc string
	}{
		{"nomic-embed-text", "search_query: ", "search_document: "},
		{"nomic-embed-text:latest", "search_query: ", "search_document: "},
		{"nomic-embed-text:v1.5", "search_query: ", "search_document: "},
		{"library/nomic-embed-text", "search_query: ", "search_document: "},
		{"registry.ollama.ai/library/nomic-embed-text:latest", "search_query: ", "search_document: "},
		{"Nomic-Embed-Text", "search_query: ", "search_document: "},
		{"nomic-embed-text@sha256:0a109f422b47", "search_query: ", "search_document: "},
		{"mxbai-embed-large", sentence, ""},
		{"mxbai-embed-large:335m", sentence, ""},
		{"snowflake-arctic-embed", sentence, ""},
		{"snowflake-arctic-embed:22m", sentence, ""},
		{"snowflake-arctic-embed2", "query: ", ""},
		{"snowflake-arctic-embed2:568m", "query: ", ""},
		{"all-minilm", "", ""},
		{"bge-m3", "", ""},
		{"bge-large", "", ""},
		{"glove-100d", "", ""},
		{"glove-100d:latest", "", ""},
		{"", "", ""},
		{"someone/my-nomic-embed-text", "", ""}, // family is judged from the start of the name
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			q, d := embed.PrefixesFor(tt.model)
			if q != tt.query || d != tt.doc {
				t.Errorf("PrefixesFor(%q) = %q, %q; want %q, %q", tt.model, q, d, tt.query, tt.doc)
			}
		})
	}
}
