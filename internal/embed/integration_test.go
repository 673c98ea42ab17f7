package embed_test

// Tests and benchmarks against a real Ollama server. They run only with
// SEMSEARCH_TEST_OLLAMA=1, OLLAMA_HOST and SEMSEARCH_MODEL set, as `make test`
// does after bringing up the offline runtime:
//
//	eval "$(make -s runtime)"
//	SEMSEARCH_TEST_OLLAMA=1 go test -race -run Integration ./internal/embed/
//	SEMSEARCH_TEST_OLLAMA=1 go test -run '^$' -bench Embed_Batch -benchtime 3x ./internal/embed/

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/semsearch/semsearch/internal/embed"
)

// integrationClient returns a checked client for the configured real
// server, or skips when none is configured.
func integrationClient(tb testing.TB, mutate func(*embed.Config)) *embed.Client {
	tb.Helper()
	host, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SEMSEARCH_MODEL")
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || host == "" || model == "" {
		tb.Skip("real-Ollama test: needs SEMSEARCH_TEST_OLLAMA=1, OLLAMA_HOST and SEMSEARCH_MODEL, " +
			"set by `make test`/`eval \"$(make -s runtime)\"`")
	}
	cfg := embed.Config{
		Host:   host,
		Model:  model,
		Logger: slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := embed.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Check(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return c
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestIntegration_Paraphrase(t *testing.T) {
	c := integrationClient(t, nil)
	const target = "The FBI director James Comey was dismissed by the president."
	docs := []string{
		target,
		"I like bananas and apples for breakfast.",
		"Oranges, grapes and pears are sweet fruit.",
		"The team won the football match in the final minute.",
		"She won the tennis tournament after a long final set.",
	}
	q, err := c.EmbedQuery(t.Context(), "Who was fired from the bureau?")
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := c.EmbedDocuments(t.Context(), docs)
	if err != nil {
		t.Fatal(err)
	}
	best := dot(q, vecs[0])
	t.Logf("%.3f %s", best, docs[0])
	for i, v := range vecs[1:] {
		s := dot(q, v)
		t.Logf("%.3f %s", s, docs[i+1])
		if s >= best {
			t.Errorf("%q scores %.3f, not below the paraphrase's %.3f", docs[i+1], s, best)
		}
	}
}

func TestIntegration_UnitLength(t *testing.T) {
	c := integrationClient(t, nil)
	vecs, err := c.EmbedDocuments(t.Context(), []string{
		"Lavrov met Tillerson in Washington.",
		"the of and a", // only stopwords: a zero vector with glove-100d
		"Bananas are yellow.",
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		n := norm(v)
		if math.IsNaN(n) || (n != 0 && math.Abs(n-1) > 1e-4) {
			t.Errorf("vector %d has norm %v, want 1 (or 0)", i, n)
		}
	}
	if n := norm(vecs[0]); n == 0 {
		t.Errorf("a content sentence got a zero vector")
	}
	t.Logf("dimension %d", c.Dimension())
	if os.Getenv("SEMSEARCH_MODEL") == "glove-100d" && c.Dimension() != 100 {
		t.Errorf("Dimension() = %d, want 100 for glove-100d", c.Dimension())
	}
}

func TestIntegration_LongInputs(t *testing.T) {
	c := integrationClient(t, nil)
	for _, words := range []int{600, 3000} {
		t.Run(fmt.Sprintf("%d words", words), func(t *testing.T) {
			start := time.Now()
			vecs, err := c.EmbedDocuments(t.Context(), []string{prose(1, words)})
			if err != nil {
				t.Fatal(err)
			}
			if n := norm(vecs[0]); math.Abs(n-1) > 1e-4 {
				t.Errorf("norm %v, want 1", n)
			}
			t.Logf("embedded in %v", time.Since(start))
		})
	}
}

// TestIntegration_Edges checks inputs that could upset the server: it must
// give a vector or a clear error, and keep answering afterwards.
func TestIntegration_Edges(t *testing.T) {
	c := integrationClient(t, nil)
	stillAnswers := func(t *testing.T) {
		t.Helper()
		if err := c.Check(t.Context()); err != nil {
			t.Fatalf("server stopped answering: %v", err)
		}
		if _, err := c.EmbedQuery(t.Context(), "Comey was fired."); err != nil {
			t.Fatalf("server stopped embedding: %v", err)
		}
	}

	t.Run("empty via client", func(t *testing.T) {
		vecs, err := c.EmbedDocuments(t.Context(), []string{"", "word"})
		if err != nil {
			t.Fatal(err)
		}
		if norm(vecs[0]) != 0 || len(vecs[0]) != len(vecs[1]) {
			t.Errorf("empty text: got %d values, norm %v; want zeros of length %d", len(vecs[0]), norm(vecs[0]), len(vecs[1]))
		}
		stillAnswers(t)
	})

	t.Run("empty sent raw", func(t *testing.T) {
		// What the client avoids: record how this server treats "".
		base, err := embed.ParseHost(os.Getenv("OLLAMA_HOST"))
		if err != nil {
			t.Fatal(err)
		}
		raw := api.NewClient(base, http.DefaultClient)
		resp, err := raw.Embed(t.Context(), &api.EmbedRequest{Model: c.Model(), Input: []string{""}})
		switch {
		case err != nil:
			t.Logf("server rejects empty input: %v", err)
		case len(resp.Embeddings) != 1:
			t.Logf("server answered %d embeddings for one empty input", len(resp.Embeddings))
		default:
			t.Logf("server embeds empty input: %d values, norm %v", len(resp.Embeddings[0]), norm(resp.Embeddings[0]))
		}
		stillAnswers(t)
	})

	t.Run("200 KB", func(t *testing.T) {
		text := prose(2, 40_000)
		for len(text) < 200_000 {
			text += " " + prose(3, 1000)
		}
		text = text[:strings.LastIndexByte(text[:200_000], ' ')]
		start := time.Now()
		vecs, err := c.EmbedDocuments(t.Context(), []string{text})
		switch {
		case err != nil && (errors.Is(err, embed.ErrUnreachable) || strings.Contains(err.Error(), "HTTP 5")):
			t.Errorf("200 KB input broke the server: %v", err)
		case err != nil:
			t.Logf("200 KB input: clear error: %v", err)
		default:
			t.Logf("200 KB input (%d bytes) embedded in %v, norm %v", len(text), time.Since(start), norm(vecs[0]))
		}
		stillAnswers(t)
	})
}

func BenchmarkEmbed_Batch1(b *testing.B)  { benchmarkEmbed(b, 1) }
func BenchmarkEmbed_Batch16(b *testing.B) { benchmarkEmbed(b, 16) }
func BenchmarkEmbed_Batch64(b *testing.B) { benchmarkEmbed(b, 64) }

// benchmarkEmbed embeds 64 passages of about 300 words per iteration, new
// ones each time so no server-side cache helps, in batches of batchSize.
func benchmarkEmbed(b *testing.B, batchSize int) {
	const passages, words = 64, 300
	c := integrationClient(b, func(cfg *embed.Config) { cfg.BatchSize = batchSize })
	if _, err := c.EmbedQuery(b.Context(), "warm up: load the model"); err != nil {
		b.Fatal(err)
	}
	before := c.Stats()
	seed := uint64(100)
	iterations := 0
	for b.Loop() {
		b.StopTimer()
		in := make([]string, passages)
		for i := range in {
			seed++
			in[i] = prose(seed, words)
		}
		b.StartTimer()
		if _, err := c.EmbedDocuments(b.Context(), in); err != nil {
			b.Fatal(err)
		}
		iterations++
	}
	st := c.Stats()
	b.ReportMetric(float64(iterations*passages)/b.Elapsed().Seconds(), "inputs/s")
	if n := st.Requests - before.Requests; n > 0 {
		b.ReportMetric(float64((st.Duration-before.Duration).Milliseconds())/float64(n), "ms/request")
	}
}

// vocabulary feeds prose: common English words a GloVe vocabulary knows.
var vocabulary = strings.Fields(`
the president said on monday that the government would announce new measures
to support local business after months of talks with officials from several
countries while critics argued the plan was too late and offered little help
for families who have struggled with rising prices across the region the
minister met his counterpart in washington to discuss security trade and
energy as reporters waited outside the building where protesters gathered
scientists found that the new treatment reduced the risk of disease in patients
over two years according to a study published in a leading journal the team
won the final match after a goal in the last minute of the game fans
celebrated in the streets of the city the company reported strong profits
and plans to hire more workers next year despite concerns about the economy
`)

// prose returns n pseudo-random words of vocabulary in sentences, the same
// for the same seed.
func prose(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 42))
	var sb strings.Builder
	for i, inSentence := 0, 0; i < n; i++ {
		w := vocabulary[r.IntN(len(vocabulary))]
		if inSentence == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			sb.WriteByte(' ')
		}
		sb.WriteString(w)
		inSentence++
		if inSentence > 8+r.IntN(12) || i == n-1 {
			sb.WriteString(". ")
			inSentence = 0
		}
	}
	return strings.TrimSpace(sb.String())
}
