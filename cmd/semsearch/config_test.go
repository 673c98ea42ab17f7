package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// configFrom runs a command with the global flags and args and returns the
// configuration loadConfig built, or its error.
func configFrom(t *testing.T, args ...string) (*config, error) {
	t.Helper()
	var cfg *config
	var cfgErr error
	app := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	app.Commands = []*cli.Command{withGlobal(&cli.Command{Name: "probe", Action: func(c *cli.Context) error {
		cfg, cfgErr = loadConfig(c)
		return nil
	}})}
	if err := app.RunContext(t.Context(), interspersed(app, append([]string{"semsearch", "probe", "--data", t.TempDir()}, args...))); err != nil {
		t.Fatalf("run: %v", err)
	}
	return cfg, cfgErr
}

// recorded is a store holding one collection with the given settings.
type recorded vectorstore.Settings

func (r recorded) Collection(_ context.Context, name string) (vectorstore.Collection, error) {
	return vectorstore.Collection{Name: name, Settings: vectorstore.Settings(r)}, nil
}

// TestConfig_embeddingHeldOnce: how a run embeds (server, model,
// dimensions, prefixes) is held once in the configuration, and the embedding
// client's and the engine's settings are both made from it, before and
// after a collection's recorded settings are adopted.
func TestConfig_embeddingHeldOnce(t *testing.T) {
	unsetEnv(t, "SEMSEARCH_MODEL")
	unsetEnv(t, "OLLAMA_HOST")
	unsetEnv(t, "SEMSEARCH_EMBEDDER")
	tests := []struct {
		name  string
		args  []string
		adopt *vectorstore.Settings
		want  embedding
	}{
		{"defaults", nil, nil,
			embedding{kind: embed.KindOllama, host: defaultOllama, model: defaultModel, queryPrefix: "search_query: ", documentPrefix: "search_document: "}},
		{"flags", []string{"--model", "glove-100d", "--query-prefix", "q: ", "--dimensions", "64", "--ollama", "http://127.0.0.1:9"}, nil,
			embedding{kind: embed.KindOllama, host: "http://127.0.0.1:9", model: "glove-100d", dimensions: 64, queryPrefix: "q: "}},
		{"the collection's model", nil,
			&vectorstore.Settings{Model: "mxbai-embed-large", Embedder: embed.KindOpenAI, EmbedURL: "http://h/v1", EmbedDimensions: 512, QueryPrefix: "Q: ", DocumentPrefix: "D: "},
			embedding{kind: embed.KindOpenAI, host: defaultOllama, url: "http://h/v1", model: "mxbai-embed-large", dimensions: 512, queryPrefix: "Q: ", documentPrefix: "D: "}},
		{"a given model wins", []string{"--model", "all-minilm"},
			&vectorstore.Settings{Model: "mxbai-embed-large", Embedder: embed.KindOllama, QueryPrefix: "Q: ", DocumentPrefix: "D: "},
			embedding{kind: embed.KindOllama, host: defaultOllama, model: "all-minilm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configFrom(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.adopt != nil {
				adoptCollectionModel(t.Context(), cfg, recorded(*tt.adopt))
			}
			if cfg.emb != tt.want {
				t.Errorf("embedding %+v, want %+v", cfg.emb, tt.want)
			}
			ec, gc := cfg.embedConfig(), cfg.engineConfig()
			if ec.Model != tt.want.model || gc.Model != tt.want.model || ec.Embedder != tt.want.kind || gc.Embedder != tt.want.kind ||
				ec.Dimensions != tt.want.dimensions || gc.EmbedDimensions != tt.want.dimensions ||
				*ec.QueryPrefix != tt.want.queryPrefix || gc.QueryPrefix != tt.want.queryPrefix ||
				*ec.DocumentPrefix != tt.want.documentPrefix || gc.DocumentPrefix != tt.want.documentPrefix ||
				ec.Host != tt.want.host || ec.URL != tt.want.url {
				t.Errorf("client %+v and engine %+v settings do not both follow %+v", ec, gc, tt.want)
			}
		})
	}
	// Bad values are still errors naming the flag (or its group).
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", " "}, "--model is empty"},
		{[]string{"--embedder", "x"}, "--embedder"},
		{[]string{"--dimensions", "-1"}, "--dimensions"},
		{[]string{"--embed-concurrency", "0"}, "--embed-concurrency"},
		{[]string{"--query-embed-timeout", "0s"}, "--query-embed-timeout"},
		{[]string{"--mode", "x"}, "--mode"},
		{[]string{"--chunk-size", "0"}, "chunking flags"},
		{[]string{"--vector-weight", "2"}, "fusion flags"},
		{[]string{"--bm25=false", "--mode", "hybrid"}, "--mode hybrid needs the BM25 index"},
	} {
		if _, err := configFrom(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}
