package embed_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/embed"
)

// TestClient_MatryoshkaDimensions: --dimensions N is sent as "dimensions"
// on both APIs, and the vectors come back N long and unit length whether
// the server cut them (newer Ollama, OpenAI-compatible servers) or ignored
// the field (older Ollama): then the client cuts and renormalises them
// itself, to the same vectors.
func TestClient_MatryoshkaDimensions(t *testing.T) {
	const full, n = 12, 5
	for _, kind := range []string{embed.KindOllama, embed.KindOpenAI} {
		for _, honour := range []bool{true, false} {
			name := kind + "/server ignores dimensions"
			if honour {
				name = kind + "/server cuts"
			}
			t.Run(name, func(t *testing.T) {
				f := newFakeEmbedServer(t, full, honour, "")
				cfg := embed.Config{Embedder: kind, Host: f.URL, Model: "fake-model", Dimensions: n, RequestTimeout: 5 * time.Second}
				if kind == embed.KindOpenAI {
					cfg.Host, cfg.URL = "", f.URL+"/v1"
				}
				c, err := embed.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				vecs, err := c.EmbedDocuments(t.Context(), []string{"bees in the city", "harbour wall"})
				if err != nil {
					t.Fatal(err)
				}
				for i, text := range []string{"bees in the city", "harbour wall"} {
					want := unit(fakeVector(text, full)[:n])
					if len(vecs[i]) != n {
						t.Fatalf("vector %d has %d dimensions, want %d", i, len(vecs[i]), n)
					}
					for j := range want {
						if math.Abs(float64(vecs[i][j]-want[j])) > 1e-6 {
							t.Fatalf("vector %d = %v, want %v", i, vecs[i], want)
						}
					}
				}
				if c.Dimension() != n {
					t.Errorf("Dimension() = %d, want %d", c.Dimension(), n)
				}
				reqs := f.received()
				if len(reqs) == 0 || reqs[0].Dimensions == nil || *reqs[0].Dimensions != n {
					t.Errorf("requests %+v did not ask for %d dimensions", reqs, n)
				}
			})
		}
	}
}

// TestClient_MatryoshkaTooFew: a server answering fewer dimensions than
// asked (a model that does not have that many) is an error naming both.
func TestClient_MatryoshkaTooFew(t *testing.T) {
	f := newFakeEmbedServer(t, 8, false, "")
	c, err := embed.New(embed.Config{Host: f.URL, Model: "fake-model", Dimensions: 16})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.EmbedQuery(t.Context(), "bees")
	if !errors.Is(err, embed.ErrDimensions) || !strings.Contains(err.Error(), "16") || !strings.Contains(err.Error(), "8") {
		t.Errorf("EmbedQuery = %v, want ErrDimensions naming 16 and 8", err)
	}
}

// TestClient_MatryoshkaNomic: nomic-embed-text v1.5's card applies a layer
// norm before cutting; the client does that itself and does not ask the
// server to cut (which would skip it).
func TestClient_MatryoshkaNomic(t *testing.T) {
	const full, n = 12, 4
	f := newFakeEmbedServer(t, full, true, "")
	c, err := embed.New(embed.Config{Host: f.URL, Model: "nomic-embed-text:v1.5", Dimensions: n})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.EmbedQuery(t.Context(), "bees")
	if err != nil {
		t.Fatal(err)
	}
	raw := fakeVector("search_query: bees", full)
	var mean, sq float64
	for _, x := range raw {
		mean += float64(x)
	}
	mean /= full
	for _, x := range raw {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	std := math.Sqrt(sq / full)
	want := make([]float32, n)
	for i := range want {
		want[i] = float32((float64(raw[i]) - mean) / std)
	}
	want = unit(want)
	for i := range want {
		if len(v) != n || math.Abs(float64(v[i]-want[i])) > 1e-5 {
			t.Fatalf("vector = %v, want %v", v, want)
		}
	}
	// The load request (no input) comes first, then the query.
	r := f.received()
	if len(r) == 0 {
		t.Fatal("the server received nothing")
	}
	for _, req := range r {
		if req.Dimensions != nil {
			t.Errorf("the server was asked to cut: %+v", r)
		}
	}
}
