package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/engine"
)

// Budgets of POST /v1/context.
const (
	defaultMaxChars = 6000
	maxBudgetChars  = 1_000_000
	maxBudgetTokens = maxBudgetChars / charsPerToken
	// charsPerToken is the usual estimate for English text with LLM
	// tokenizers; max_tokens budgets are converted with it.
	charsPerToken = 4
)

// ContextRequest is the body of POST /v1/context: a search plus a size
// budget for the prompt block (max_chars, default 6000, or max_tokens).
type ContextRequest struct {
	SearchRequest
	MaxChars  *int `json:"max_chars"`
	MaxTokens *int `json:"max_tokens"`
}

// ContextResponse answers POST /v1/context. Context is the prompt block
// (see the package documentation for its format); Results are the passages
// in it, Results[i] being passage [i+1]; Sources are the cited documents.
type ContextResponse struct {
	Query      string  `json:"query"`
	Model      string  `json:"model"`
	Collection string  `json:"collection"`
	TookMS     float64 `json:"took_ms"`
	Context    string  `json:"context"`
	// MaxChars or MaxTokens is the budget that applied.
	MaxChars  int `json:"max_chars,omitempty"`
	MaxTokens int `json:"max_tokens,omitempty"`
	// Chars is the length of Context in characters (Unicode code points);
	// Tokens estimates its tokens as Chars/4 rounded up.
	Chars  int `json:"chars"`
	Tokens int `json:"tokens"`
	// Passages is how many passages Context holds; Dropped how many
	// search results did not fit the budget.
	Passages int `json:"passages"`
	Dropped  int `json:"dropped"`
	// Truncated says the best passage alone was over the budget, so the
	// block holds its beginning, cut at a sentence end where one fits
	// (else at a word), instead of nothing.
	Truncated bool            `json:"truncated,omitempty"`
	Results   []engine.Result `json:"results"`
	Sources   []ContextSource `json:"sources"`
	// Warnings are the search's (see engine.Response).
	Warnings []string `json:"warnings,omitempty"`
}

// ContextSource is one document cited in a context block.
type ContextSource struct {
	DocID     string    `json:"doc_id"`
	Title     string    `json:"title,omitempty"`
	Source    string    `json:"source"`
	Author    string    `json:"author,omitempty"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published,omitzero"`
	// Passages are the block's numbers of the document's passages.
	Passages []int `json:"passages"`
}

// contextPOST serves POST /v1/context.
func (s *Server) contextPOST(w http.ResponseWriter, r *http.Request) error {
	var req ContextRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	col, q, err := s.engineQuery(&req.SearchRequest)
	if err != nil {
		return err
	}
	var b budget
	switch {
	case req.MaxChars != nil && req.MaxTokens != nil:
		return badRequest("invalid_budget", "give max_chars or max_tokens, not both")
	case req.MaxTokens != nil:
		b.maxTokens = *req.MaxTokens
		if b.maxTokens < 1 || b.maxTokens > maxBudgetTokens {
			return badRequest("invalid_budget", "max_tokens must be between 1 and %d, got %d", maxBudgetTokens, b.maxTokens)
		}
	default:
		b.maxChars = defaultMaxChars
		if req.MaxChars != nil {
			b.maxChars = *req.MaxChars
		}
		if b.maxChars < 1 || b.maxChars > maxBudgetChars {
			return badRequest("invalid_budget", "max_chars must be between 1 and %d, got %d", maxBudgetChars, b.maxChars)
		}
	}
	noteQuery(r, q.Text)
	resp, err := s.eng.Search(r.Context(), col, q)
	if err != nil {
		return err
	}
	p := packContext(withMetadata(resp.Results), b)
	s.writeJSON(w, r, http.StatusOK, ContextResponse{
		Query: resp.Query, Model: resp.Model, Collection: resp.Collection, TookMS: tookMS(resp.Took),
		Context: p.text, MaxChars: b.maxChars, MaxTokens: b.maxTokens,
		Chars: p.chars, Tokens: estimateTokens(p.chars),
		Passages: len(p.used), Dropped: p.dropped, Truncated: p.truncated, Results: p.used, Sources: sources(p.used),
		Warnings: resp.Warnings,
	})
	return nil
}

// budget limits a context block: one of the two fields is set.
type budget struct {
	maxChars, maxTokens int
}

func (b budget) fits(chars int) bool {
	if b.maxTokens > 0 {
		return estimateTokens(chars) <= b.maxTokens
	}
	return chars <= b.maxChars
}

func estimateTokens(chars int) int {
	return (chars + charsPerToken - 1) / charsPerToken
}

// packed is a context block and what went into it.
type packed struct {
	text      string
	chars     int
	used      []engine.Result
	dropped   int
	truncated bool
}

// packContext builds the prompt block from results, best first: each
// passage whole, as "[n] text\n(Source: citation)", blocks separated by a
// blank line and numbered 1, 2, ... in the order they appear. A passage that
// would take the block over the budget is dropped and the next one tried, so
// the block holds the best passages that fit. When none fits whole, the
// best one is cut to fit (see cutToFit): a chatbot answering from an empty
// block would answer from nothing.
func packContext(results []engine.Result, b budget) packed {
	var p packed
	var sb strings.Builder
	p.used = []engine.Result{}
	for _, res := range results {
		entry := contextEntry(len(p.used)+1, strings.TrimSpace(res.Text), res.Citation)
		size := utf8.RuneCountInString(entry)
		if len(p.used) > 0 {
			size += 2 // the blank line before it
		}
		if !b.fits(p.chars + size) {
			p.dropped++
			continue
		}
		if len(p.used) > 0 {
			sb.WriteString("\n\n")
		}
		sb.WriteString(entry)
		p.chars += size
		p.used = append(p.used, res)
	}
	if len(p.used) == 0 && len(results) > 0 {
		if text, ok := cutToFit(results[0], b); ok {
			p.text, p.chars, p.truncated = text, utf8.RuneCountInString(text), true
			p.used, p.dropped = results[:1], len(results)-1
			return p
		}
	}
	p.text = sb.String()
	return p
}

// contextEntry is passage n of a context block.
func contextEntry(n int, text, citation string) string {
	return fmt.Sprintf("[%d] %s\n(Source: %s)", n, text, citation)
}

// cutToFit returns res as entry 1 of a block cut to the budget: its text up
// to the last sentence end that fits, else the last word that fits, with
// "…" where it was cut. It fails when not even a sentence's first word
// and the citation fit.
func cutToFit(res engine.Result, b budget) (string, bool) {
	const mark = " …"
	limit := b.maxChars
	if b.maxTokens > 0 {
		limit = b.maxTokens * charsPerToken
	}
	text := []rune(strings.TrimSpace(res.Text))
	room := min(limit-utf8.RuneCountInString(contextEntry(1, mark, res.Citation)), len(text))
	if room <= 0 {
		return "", false
	}
	// A break at i ends the kept text before text[i]: a sentence end
	// (".", "!" or "?" then a space) if one fits, else a word's end.
	space := func(i int) bool { return i == len(text) || text[i] == ' ' || text[i] == '\n' }
	cut := 0
	for i := room; i > 0 && cut == 0; i-- {
		if space(i) && strings.ContainsRune(".!?", text[i-1]) {
			cut = i
		}
	}
	for i := room; i > 0 && cut == 0; i-- {
		if space(i) {
			cut = i
		}
	}
	if cut == 0 {
		return "", false
	}
	return contextEntry(1, strings.TrimSpace(string(text[:cut]))+mark, res.Citation), true
}

// sources lists the documents of results in order of first citation, with
// the block numbers of their passages.
func sources(results []engine.Result) []ContextSource {
	out := []ContextSource{}
	index := map[string]int{}
	for i, r := range results {
		j, ok := index[r.DocID]
		if !ok {
			j = len(out)
			index[r.DocID] = j
			out = append(out, ContextSource{
				DocID: r.DocID, Title: r.Title, Source: r.Source, Author: r.Author,
				URL: r.URL, Published: r.Published,
			})
		}
		out[j].Passages = append(out[j].Passages, i+1)
	}
	return out
}
