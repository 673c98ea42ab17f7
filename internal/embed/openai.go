package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ollama/ollama/api"
)

// Kinds of embedding server, for [Config.Embedder].
const (
	// KindOllama is Ollama's own API: POST /api/embed (the default).
	KindOllama = "ollama"
	// KindOpenAI is the OpenAI embeddings API, POST {URL}/embeddings, that
	// LM Studio, llama.cpp's server, vLLM, TEI, Infinity and Ollama's /v1
	// serve. No model digest or capabilities are assumed of it.
	KindOpenAI = "openai"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// openAI sends embedding requests to an OpenAI-compatible server.
type openAI struct {
	http *http.Client
	url  string // the base URL + "/embeddings"
	key  string
}

// endpoint returns the server's base URL for cfg and, for [KindOpenAI], the
// client that talks to it.
func endpoint(cfg Config) (*url.URL, *openAI, error) {
	switch cfg.Embedder {
	case "", KindOllama:
		u, err := parseHost(cfg.Host)
		return u, nil, err
	case KindOpenAI:
		u, err := parseEmbedURL(cfg.URL)
		if err != nil {
			return nil, nil, err
		}
		return u, &openAI{http: cfg.HTTPClient, url: strings.TrimSuffix(u.String(), "/") + "/embeddings", key: cfg.APIKey}, nil
	default:
		return nil, nil, fmt.Errorf("embedder %q: want ollama or openai", cfg.Embedder)
	}
}

// parseEmbedURL checks an OpenAI-compatible server's base URL. It refuses
// user info, so that no secret is recorded with a collection or shown in a
// message: the key goes in [Config.APIKey].
func parseEmbedURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no URL for the OpenAI-compatible server: set --embed-url or SEMSEARCH_EMBED_URL (e.g. http://127.0.0.1:8080/v1)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid embedding server URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("embedding server URL %q: the scheme must be http or https", s)
	case u.User != nil:
		return nil, errors.New("embedding server URL holds a user or password: put the API key in SEMSEARCH_EMBED_API_KEY instead")
	case u.Host == "":
		return nil, fmt.Errorf("embedding server URL %q has no host", s)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("embedding server URL %q has a query or fragment: give the base URL, e.g. http://127.0.0.1:8080/v1", s)
	}
	return u, nil
}

// openAIRequest is the body of POST /embeddings.
type openAIRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
	// Dimensions asks for shorter vectors (text-embedding-3 and Matryoshka
	// models); omitted when 0, since some servers reject it.
	Dimensions int `json:"dimensions,omitempty"`
	// EncodingFormat "float" asks for plain numbers, not base64.
	EncodingFormat string `json:"encoding_format"`
}

// openAIResponse is the answer of POST /embeddings.
type openAIResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// embed sends req to the server in the OpenAI format and answers in
// Ollama's, so that the client's retries, checks and errors serve both. An
// error status comes back as an api.StatusError holding the server's own
// message, for [Client.classify].
func (o *openAI) embed(ctx context.Context, req *api.EmbedRequest) (*api.EmbedResponse, error) {
	inputs, ok := req.Input.([]string)
	if !ok {
		return nil, fmt.Errorf("openai embed: input of type %T", req.Input)
	}
	body, err := json.Marshal(openAIRequest{Model: req.Model, Input: inputs, Dimensions: req.Dimensions, EncodingFormat: "float"})
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if o.key != "" {
		hreq.Header.Set("Authorization", "Bearer "+o.key)
	}
	resp, err := o.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg := serverText(b) // OpenAI's {"error":{"message"}}, Ollama's {"error"}, TEI's, or the body
		if msg == "" {
			msg = "(empty body)"
		}
		if resp.StatusCode == http.StatusNotFound && strings.Contains(strings.ToLower(msg), "model") {
			return nil, &detailedError{kind: ErrModelMissing, msg: fmt.Sprintf(
				"model %q not found on the embedding server at %s (HTTP 404: %s): load it there, or give --model as the server names it", req.Model, strings.TrimSuffix(o.url, "/embeddings"), msg)}
		}
		return nil, api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: msg}
	}
	var out openAIResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode the response of %s: %w", o.url, err)
	}
	// Vectors are placed by their index: the API does not promise order.
	vecs := make([][]float32, len(inputs))
	for _, d := range out.Data {
		if d.Index < 0 || d.Index >= len(vecs) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("the response of %s holds embedding index %d for %d inputs (missing, repeated or out of range)", o.url, d.Index, len(inputs))
		}
		vecs[d.Index] = d.Embedding
	}
	if len(out.Data) != len(inputs) {
		return nil, fmt.Errorf("%s returned %d embeddings for %d inputs", o.url, len(out.Data), len(inputs))
	}
	return &api.EmbedResponse{Model: req.Model, Embeddings: vecs}, nil
}

// checkOpenAI verifies an OpenAI-compatible server by embedding a probe
// text (which also fixes the dimension): its model list, where there is
// one, need not name models the way requests do.
func (c *Client) checkOpenAI(ctx context.Context) error {
	if _, err := c.dimension(ctx); err != nil {
		return fmt.Errorf("check embedding server: %w", err)
	}
	return nil
}

// Embedder returns the kind of server the client talks to: [KindOllama]
// or [KindOpenAI].
func (c *Client) Embedder() string { return c.kind }

// Dimensions returns the vector length asked for ([Config.Dimensions]),
// 0 for the model's own.
func (c *Client) Dimensions() int { return c.dims }
