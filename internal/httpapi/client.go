package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// maxAnswerBytes bounds an answer the client reads (a document of the
// largest article, a page of 1000 results).
const maxAnswerBytes = 256 << 20

// Client is a client of the API, speaking its request and response types:
// what `semsearch --server` uses, and what a Go program can use.
type Client struct {
	base, key string
	hc        *http.Client
}

// NewClient returns a client of the API at base (http or https, e.g.
// http://127.0.0.1:8080), sending key as a bearer token when not empty. A
// nil hc is http.DefaultClient; deadlines come from the contexts of the
// calls.
func NewClient(base, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(base), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server URL %q: want a URL such as http://127.0.0.1:8080", base)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u.String(), key: key, hc: hc}, nil
}

// Base is the server's URL as the client uses it.
func (c *Client) Base() string { return c.base }

// Error is an error answer of the server: its status, and the code and
// message of its [ErrorBody] (the status line when the body had none, as
// from a proxy). Callers act on Code, not on the wording of Message.
type Error struct {
	Base    string
	Status  int
	Code    string
	Message string
	// Index is what a document write that failed part way stored (see
	// [IndexResponse.Results]); nil otherwise.
	Index *IndexResponse
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("server %s: %s", e.Base, e.Message)
	}
	return fmt.Sprintf("server %s: %s (%s)", e.Base, e.Message, e.Code)
}

// IsNotFound reports whether err is the server saying that the collection
// or document asked for does not exist (not that it has no such route: an
// older server).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound && e.Code == "not_found"
}

// Search runs POST /v1/search.
func (c *Client) Search(ctx context.Context, req SearchRequest) (SearchResponse, error) {
	var out SearchResponse
	err := c.do(ctx, http.MethodPost, "/v1/search", nil, req, &out)
	return out, err
}

// Context runs POST /v1/context.
func (c *Client) Context(ctx context.Context, req ContextRequest) (ContextResponse, error) {
	var out ContextResponse
	err := c.do(ctx, http.MethodPost, "/v1/context", nil, req, &out)
	return out, err
}

// AddDocuments runs POST /v1/documents with docs, an article object or a
// slice of them in the JSON ingest format, into collection ("" for the
// server's default).
func (c *Client) AddDocuments(ctx context.Context, collection string, docs any) (IndexResponse, error) {
	var out IndexResponse
	err := c.do(ctx, http.MethodPost, "/v1/documents", collectionQuery(collection), docs, &out)
	return out, err
}

// AddFiles runs POST /v1/files: the server parses the files as a local
// `semsearch index` does and indexes their articles into collection.
func (c *Client) AddFiles(ctx context.Context, collection string, files []File) (IndexResponse, error) {
	var out IndexResponse
	err := c.do(ctx, http.MethodPost, "/v1/files", collectionQuery(collection), FilesRequest{Files: files}, &out)
	return out, err
}

// Files runs GET /v1/files: what the collection was indexed from, file by
// file.
func (c *Client) Files(ctx context.Context, collection string) (FilesResponse, error) {
	var out FilesResponse
	err := c.do(ctx, http.MethodGet, "/v1/files", collectionQuery(collection), nil, &out)
	return out, err
}

// Documents runs GET /v1/documents: a page of documents without text.
func (c *Client) Documents(ctx context.Context, collection string, offset, limit int) (DocumentsResponse, error) {
	q := collectionQuery(collection)
	if q == nil {
		q = url.Values{}
	}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(limit))
	var out DocumentsResponse
	err := c.do(ctx, http.MethodGet, "/v1/documents", q, nil, &out)
	return out, err
}

// Document runs GET /v1/documents/{id}: the document with its text.
func (c *Client) Document(ctx context.Context, collection, id string) (vectorstore.Document, error) {
	var out vectorstore.Document
	err := c.do(ctx, http.MethodGet, "/v1/documents/"+url.PathEscape(id), collectionQuery(collection), nil, &out)
	return out, err
}

// Delete runs DELETE /v1/documents/{id}.
func (c *Client) Delete(ctx context.Context, collection, id string) (DeleteResponse, error) {
	var out DeleteResponse
	err := c.do(ctx, http.MethodDelete, "/v1/documents/"+url.PathEscape(id), collectionQuery(collection), nil, &out)
	return out, err
}

// Collections runs GET /v1/collections.
func (c *Client) Collections(ctx context.Context) (CollectionsResponse, error) {
	var out CollectionsResponse
	err := c.do(ctx, http.MethodGet, "/v1/collections", nil, nil, &out)
	return out, err
}

// collectionQuery names the collection, or leaves the server's default.
func collectionQuery(collection string) url.Values {
	if collection == "" {
		return nil
	}
	return url.Values{"collection": {collection}}
}

// do sends a request with body as JSON (when not nil) and decodes the
// answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("server %s: %w", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("server %s: read answer: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Base: c.base, Status: resp.StatusCode, Message: resp.Status}
		var pb partialBody
		if json.Unmarshal(data, &pb) == nil && pb.Error.Message != "" {
			e.Code, e.Message = pb.Error.Code, pb.Error.Message
			if pb.Index.Documents > 0 || len(pb.Index.Results) > 0 {
				e.Index = &pb.Index
			}
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("server %s: read answer: %w", c.base, err)
	}
	return nil
}
