package embed_test

import (
	"testing"

	"github.com/semsearch/semsearch/internal/embed"
)

func TestPrefixesFor(t *testing.T) {
	const sentence = "Represent this sentence for searching relevant passages: "
	const qwen = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "
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
		// Hugging Face names of arctic-embed v2 are v2, not v1.
		{"hf.co/Snowflake/snowflake-arctic-embed-l-v2.0-GGUF", "query: ", ""},
		{"hf.co/Snowflake/snowflake-arctic-embed-l-v2.0-GGUF:Q8_0", "query: ", ""},
		{"hf.co/Snowflake/snowflake-arctic-embed-m-v2.0-GGUF:latest", "query: ", ""},
		{"hf.co/Snowflake/snowflake-arctic-embed-m-v1.5-GGUF", sentence, ""},
		{"embeddinggemma", "task: search result | query: ", "title: {title} | text: "},
		{"embeddinggemma:300m", "task: search result | query: ", "title: {title} | text: "},
		{"hf.co/unsloth/embeddinggemma-300m-GGUF:Q8_0", "task: search result | query: ", "title: {title} | text: "},
		{"qwen3-embedding", qwen, ""},
		{"qwen3-embedding:0.6b", qwen, ""},
		{"hf.co/Qwen/Qwen3-Embedding-8B-GGUF:Q4_K_M", qwen, ""},
		{"bge-large", sentence, ""}, // Ollama's bge-large is bge-large-en-v1.5
		{"bge-large:335m", sentence, ""},
		{"hf.co/CompendiumLabs/bge-base-en-v1.5-gguf", sentence, ""},
		{"bge-small-en-v1.5", sentence, ""},
		{"bge-large-zh-v1.5", "为这个句子生成表示以用于检索相关文章：", ""},
		{"multilingual-e5-large", "query: ", "passage: "},
		{"hf.co/intfloat/multilingual-e5-large-instruct", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ", ""},
		{"e5-base-v2", "query: ", "passage: "},
		{"granite-embedding:278m", "", ""},
		{"all-minilm", "", ""},
		{"bge-m3", "", ""},
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
