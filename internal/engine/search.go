package engine

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Query is one search request.
type Query struct {
	Text string
	// K is the number of passages wanted, 1..MaxK.
	K int
	// MinScore drops results scoring below it (cosine similarity, -1..1).
	MinScore float32
	Filter   vectorstore.Filter
}

// Result is one cited passage.
type Result struct {
	vectorstore.Hit
	Rank int `json:"rank"` // 1-based
	// Citation is a ready-to-paste label: title, source and line range.
	Citation string `json:"citation"`
}

// Response answers a [Query].
type Response struct {
	Query      string        `json:"query"`
	Model      string        `json:"model"`
	Collection string        `json:"collection"`
	Results    []Result      `json:"results"`
	Took       time.Duration `json:"-"`
}

// Search answers q with the collection's passages most similar to it, best
// first. It fails with ErrInvalid for a bad query, ErrNotFound for an unknown
// collection and ErrSettingsMismatch when the collection was indexed with
// another model.
func (e *Engine) Search(ctx context.Context, collection string, q Query) (Response, error) {
	start := time.Now()
	resp := Response{Query: q.Text, Model: e.cfg.Model, Collection: collection, Results: []Result{}}
	if err := validateQuery(q); err != nil {
		return resp, err
	}
	c, err := e.Collection(ctx, collection)
	if err != nil {
		return resp, err
	}
	if err := e.checkSettings(c, true); err != nil {
		return resp, err
	}
	v, err := e.emb.EmbedQuery(ctx, q.Text)
	if err != nil {
		return resp, err // the embedder says what it was doing
	}
	hits, err := e.store.Query(ctx, collection, v, q.K, q.Filter)
	if err != nil {
		return resp, err
	}
	for _, h := range hits {
		if h.Score < q.MinScore {
			break
		}
		resp.Results = append(resp.Results, Result{Hit: h, Rank: len(resp.Results) + 1, Citation: Citation(h)})
	}
	resp.Took = time.Since(start)
	e.log.Debug("search", "collection", collection, "k", q.K, "hits", len(resp.Results), "query_ms", resp.Took.Milliseconds())
	return resp, nil
}

func validateQuery(q Query) error {
	switch {
	case !utf8.ValidString(q.Text):
		return fmt.Errorf("%w: query is not valid UTF-8", ErrInvalid)
	case strings.TrimSpace(q.Text) == "":
		return fmt.Errorf("%w: query is empty", ErrInvalid)
	case q.K < 1 || q.K > MaxK:
		return fmt.Errorf("%w: k must be between 1 and %d, got %d", ErrInvalid, MaxK, q.K)
	case q.MinScore < -1 || q.MinScore > 1:
		return fmt.Errorf("%w: min_score must be between -1 and 1, got %g", ErrInvalid, q.MinScore)
	}
	return nil
}

// Citation formats a hit as `"Title", source, lines 3-5`, the label a reader
// needs to find the passage in its source.
func Citation(h vectorstore.Hit) string {
	var b strings.Builder
	if h.Title != "" {
		fmt.Fprintf(&b, "%q, ", h.Title)
	}
	b.WriteString(h.Source)
	if h.LineStart == h.LineEnd {
		fmt.Fprintf(&b, ", line %d", h.LineStart)
	} else {
		fmt.Fprintf(&b, ", lines %d-%d", h.LineStart, h.LineEnd)
	}
	return b.String()
}
