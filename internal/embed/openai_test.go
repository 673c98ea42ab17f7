package embed_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/embed"
)

func newOpenAIClient(t *testing.T, f *fakeEmbedServer, mutate func(*embed.Config)) *embed.Client {
	t.Helper()
	cfg := embed.Config{Embedder: embed.KindOpenAI, URL: f.URL + "/v1", Model: "fake-model", RequestTimeout: 5 * time.Second}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := embed.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	embed.SetBackoffBase(c, time.Millisecond)
	return c
}

// TestOpenAI_Embed: --embedder openai posts model and input to
// {url}/embeddings with the API key as a bearer token, places the vectors by
// their index, prefixes and normalises them like the Ollama path.
func TestOpenAI_Embed(t *testing.T) {
	f := newFakeEmbedServer(t, 6, true, "sk-secret")
	c := newOpenAIClient(t, f, func(cfg *embed.Config) {
		cfg.APIKey = "sk-secret"
		cfg.QueryPrefix = ptr("q: ")
		cfg.DocumentPrefix = ptr("d: ")
		cfg.BatchSize = 2
	})
	in := []string{"one", "two", "three"}
	vecs, err := c.EmbedDocuments(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range in {
		want := unit(fakeVector("d: "+text, 6))
		for j := range want {
			if math.Abs(float64(vecs[i][j]-want[j])) > 1e-6 {
				t.Fatalf("vector %d (%q) = %v, want %v", i, text, vecs[i], want)
			}
		}
	}
	q, err := c.EmbedQuery(t.Context(), "bees")
	if err != nil || math.Abs(norm(q)-1) > 1e-6 {
		t.Fatalf("EmbedQuery = %v, %v", q, err)
	}
	reqs := f.received()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 2 batches and a query", len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/v1/embeddings" || r.Auth != "Bearer sk-secret" || r.Model != "fake-model" || r.Dimensions != nil || r.EncodingFormat != "float" {
			t.Errorf("request %+v", r)
		}
	}
	if got := reqs[2].Input; len(got) != 1 || got[0] != "q: bees" {
		t.Errorf("query input = %q", got)
	}
	if d, err := c.ModelDigest(t.Context()); d != "" || err != nil {
		t.Errorf("ModelDigest = %q, %v; want none assumed", d, err)
	}
	if err := c.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
	if c.Host() != f.URL+"/v1" {
		t.Errorf("Host() = %q", c.Host())
	}
}

// TestOpenAI_Errors: the server's own error text reaches the message; a
// wrong key and an unknown model are not retried.
func TestOpenAI_Errors(t *testing.T) {
	f := newFakeEmbedServer(t, 6, true, "sk-secret")
	tests := []struct {
		name  string
		cfg   func(*embed.Config)
		want  []string
		check error
	}{
		{"no key", nil, []string{"401", "Incorrect API key provided"}, nil},
		{"unknown model", func(c *embed.Config) { c.APIKey = "sk-secret"; c.Model = "other" }, []string{"does not exist"}, embed.ErrModelMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.received())
			c := newOpenAIClient(t, f, tt.cfg)
			_, err := c.EmbedQuery(t.Context(), "bees")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "sk-secret") {
				t.Errorf("error %q shows the key", err)
			}
			if tt.check != nil && !errors.Is(err, tt.check) {
				t.Errorf("error %v is not %v", err, tt.check)
			}
			if n := len(f.received()) - before; n != 1 {
				t.Errorf("%d requests, want 1 (not retried)", n)
			}
		})
	}
}

// TestOpenAI_Config: the URL is required, must be http(s), and a key in it
// is refused (it would end up recorded and in messages).
func TestOpenAI_Config(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"", "--embed-url"},
		{"ftp://host/v1", "http or https"},
		{"http://user:pw@host/v1", "SEMSEARCH_EMBED_API_KEY"},
		{"http://host:port/v1", "invalid"},
	}
	for _, tt := range tests {
		_, err := embed.New(embed.Config{Embedder: embed.KindOpenAI, URL: tt.url, Model: "m"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(url %q) = %v, want an error mentioning %q", tt.url, err, tt.want)
		}
	}
	if _, err := embed.New(embed.Config{Embedder: "cohere", Model: "m"}); err == nil || !strings.Contains(err.Error(), "ollama or openai") {
		t.Errorf("unknown embedder: %v", err)
	}
}
