package embed_test

// Tests that compare two real Ollama versions and pin what a current one
// (v0.17.4) does differently from v0.6.5. `make test` runs the Integration
// tests once against each runtime; the second run sets
// SEMSEARCH_TEST_OLLAMA_PEER to the other runtime's address:
//
//	eval "$(make -s runtime)"; peer=$OLLAMA_HOST
//	eval "$(make -s runtime OLLAMA_VERSION=v0.17.4)"
//	SEMSEARCH_TEST_OLLAMA=1 SEMSEARCH_TEST_OLLAMA_PEER=$peer go test -run Integration ./internal/embed/

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"

	"github.com/semsearch/semsearch/internal/embed"
)

// TestIntegration_PeerVectorsEqual: two Ollama versions serving the same
// model file give the same vectors for the same inputs, queries and
// documents, so a collection indexed through one can be searched through
// the other. Inputs stay under 510 words: v0.6.5 is wrong above that.
func TestIntegration_PeerVectorsEqual(t *testing.T) {
	peer := os.Getenv("SEMSEARCH_TEST_OLLAMA_PEER")
	if peer == "" {
		t.Skip("needs SEMSEARCH_TEST_OLLAMA_PEER, a second runtime serving the same model (set by `make test`)")
	}
	a := integrationClient(t, nil)
	b := integrationClient(t, func(cfg *embed.Config) { cfg.Host = peer })
	t.Logf("%s: Ollama %s; peer %s: Ollama %s", os.Getenv("OLLAMA_HOST"), serverVersion(t, os.Getenv("OLLAMA_HOST")), peer, serverVersion(t, peer))

	docs := []string{"The FBI director James Comey was dismissed by the president.", "Bananas are yellow."}
	for i := range 24 {
		docs = append(docs, prose(uint64(1000+i), 20+i*16)) // 20 to 388 words
	}
	va, err := a.EmbedDocuments(t.Context(), docs)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := b.EmbedDocuments(t.Context(), docs)
	if err != nil {
		t.Fatal(err)
	}
	qa, err := a.EmbedQuery(t.Context(), "Who was fired from the bureau?")
	if err != nil {
		t.Fatal(err)
	}
	qb, err := b.EmbedQuery(t.Context(), "Who was fired from the bureau?")
	if err != nil {
		t.Fatal(err)
	}
	va, vb = append(va, qa), append(vb, qb)

	worst := 1.0
	for i := range va {
		c := dot(va[i], vb[i]) / (norm(va[i]) * norm(vb[i]))
		if math.IsNaN(c) || c < 0.99999 {
			t.Errorf("input %d: cosine %.7f between the runtimes, want 1", i, c)
		}
		worst = min(worst, c)
	}
	t.Logf("%d inputs, lowest cosine %.7f", len(va), worst)
}

// TestIntegration_LongUnknownWords: a 10,000-word text with words the
// model does not know. Ollama v0.17.4 truncates by cutting tokens, turning
// them back into text and tokenizing again, where each unknown word comes
// back as "[UNK]" in three tokens, so its own truncation overflows and it
// answers 400 "the input length exceeds the context length" (v0.6.5 embeds
// it). The client cuts inputs to the model's context before sending, so
// the text embeds on both.
func TestIntegration_LongUnknownWords(t *testing.T) {
	c := integrationClient(t, nil)
	text := withUnknownWords(prose(7, 10_000), 7)
	host := os.Getenv("OLLAMA_HOST")
	version := serverVersion(t, host)

	// The server's own answer to the whole text, to show what the client avoids.
	base, err := embed.ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	truncate := true
	_, rawErr := api.NewClient(base, http.DefaultClient).Embed(t.Context(),
		&api.EmbedRequest{Model: c.Model(), Input: []string{text}, Truncate: &truncate})
	t.Logf("Ollama %s, the whole text sent raw with truncate: %v", version, errOrOK(rawErr))
	if version == "0.17.4" && (rawErr == nil || !strings.Contains(rawErr.Error(), "exceeds the context length")) {
		t.Errorf("Ollama 0.17.4 answered %v to the whole text; RUNTIME.md says 400 \"the input length exceeds the context length\": the reason for cutting client-side may be gone", errOrOK(rawErr))
	}

	vecs, err := c.EmbedDocuments(t.Context(), []string{text, "Comey was fired."})
	if err != nil {
		t.Fatalf("EmbedDocuments of a 10,000-word text with unknown words: %v", err)
	}
	for i, v := range vecs {
		if n := norm(v); math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d: norm %v, want 1", i, n)
		}
	}
	if st := c.Stats(); st.Requests == 0 {
		t.Errorf("no request counted")
	}
}

// withUnknownWords replaces every fifth word of text by a made-up word no
// vocabulary has.
func withUnknownWords(text string, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 7))
	words := strings.Fields(text)
	for i := 4; i < len(words); i += 5 {
		var sb strings.Builder
		for range 6 + r.IntN(6) {
			sb.WriteByte("bcdfghjklmnpqrstvwxz"[r.IntN(20)])
		}
		words[i] = sb.String()
	}
	return strings.Join(words, " ")
}

func serverVersion(t *testing.T, host string) string {
	t.Helper()
	base, err := embed.ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	v, err := api.NewClient(base, http.DefaultClient).Version(t.Context())
	if err != nil {
		t.Fatalf("version of %s: %v", host, err)
	}
	return v
}

func errOrOK(err error) string {
	if err == nil {
		return "embedded"
	}
	return fmt.Sprint(err)
}
