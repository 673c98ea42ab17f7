package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Mode says which retrievers answer a query.
type Mode string

const (
	// Hybrid fuses BM25 and vector results (the default).
	Hybrid Mode = "hybrid"
	// Vector ranks passages by embedding similarity alone.
	Vector Mode = "vector"
	// BM25 ranks passages by lexical BM25 alone.
	BM25 Mode = "bm25"
)

// ParseMode accepts "hybrid", "vector" and "bm25", and "" for the engine's
// default (hybrid when it has a keyword index, else vector).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "", Hybrid, Vector, BM25:
		return m, nil
	}
	return "", fmt.Errorf("%w: unknown search mode %q (want hybrid, vector or bm25)", ErrInvalid, s)
}

// Query is one search request. Zero values mean the engine's defaults.
type Query struct {
	Text string
	// K is the number of passages wanted, 1..MaxK.
	K int
	// MinScore drops passages whose cosine similarity to the query is below
	// it (-1..1), in vector and hybrid mode alike: it never depends on the
	// other candidates, as the fused score does. Bm25 mode has no vectors
	// and refuses a positive MinScore.
	MinScore float32
	Filter   vectorstore.Filter
	// Mode "" means the engine's default (see [Config.Mode]).
	Mode Mode
	// Fusion overrides the engine's fusion settings for hybrid mode.
	Fusion *Fusion
	// MMR, when in (0, 1), re-ranks for diversity by maximal marginal
	// relevance: 1 is pure relevance, lower values penalise passages similar
	// to those already chosen.
	MMR float64
	// MaxPerDoc, when positive, caps the passages returned from one document.
	MaxPerDoc int
	// Explain adds each result's vector and BM25 scores and ranks.
	Explain bool
	// KeepDuplicates returns passages whose text is the same as a better
	// one's (an article indexed twice under two names, say) as results of
	// their own; by default each is folded into the first, which lists it
	// in [Result.Duplicates].
	KeepDuplicates bool

	// embedBy is when waiting for the embedding backend ends (see
	// [Config.QueryEmbedTimeout]); set by Search.
	embedBy time.Time
}

// Result is one cited passage.
type Result struct {
	vectorstore.Hit
	Rank int `json:"rank"` // 1-based
	// Citation is a ready-to-paste label: title, source and line range.
	Citation string `json:"citation"`
	// Metadata is the hit's fields as one flat object (see [Metadata]),
	// never nil, for retrievers that pass metadata through.
	Metadata map[string]any `json:"metadata"`
	Explain  *Explanation   `json:"explain,omitempty"`
	// Confidence rates how likely the passage is to answer the question,
	// from Evidence (see [Judge]).
	Confidence Confidence `json:"confidence"`
	Evidence   *Evidence  `json:"evidence"`
	// TableHeader is the header row of the table whose rows the passage
	// holds without it: shown before the passage, and not part of its
	// cited span.
	TableHeader string `json:"table_header,omitempty"`
	// Duplicates cites the passages with the same text as this one that
	// were folded into it (see [Query.KeepDuplicates]), best first.
	Duplicates []string `json:"duplicates,omitempty"`
}

// Explanation says how a result's score came about. In hybrid mode every
// candidate has a vector rank (BM25's finds are scored against the query
// vector too); a BM25 rank of 0 means BM25 did not find the passage.
type Explanation struct {
	VectorScore float64 `json:"vector_score"`
	VectorRank  int     `json:"vector_rank,omitempty"`
	BM25Score   float64 `json:"bm25_score"`
	BM25Rank    int     `json:"bm25_rank,omitempty"`
	Fused       float64 `json:"fused_score"`
	// VectorSkipped says why a hybrid search has no vector half, e.g. the
	// query's embedding did not arrive in time; "" when it has one.
	VectorSkipped string `json:"vector_skipped,omitempty"`
}

// Response answers a [Query].
type Response struct {
	Query      string   `json:"query"`
	Model      string   `json:"model"`
	Collection string   `json:"collection"`
	Mode       Mode     `json:"mode"`
	Results    []Result `json:"results"`
	// Warnings say where the answer is less than complete, e.g. documents
	// the BM25 index holds in another version than the vector store.
	Warnings []string      `json:"warnings,omitempty"`
	Took     time.Duration `json:"-"`
}

// Search answers q with the collection's passages that best match it, best
// first. It fails with ErrInvalid for a bad query, ErrNotFound for an unknown
// collection and ErrSettingsMismatch when the collection was indexed with
// another model.
func (e *Engine) Search(ctx context.Context, collection string, q Query) (Response, error) {
	start := time.Now()
	resp := Response{Query: q.Text, Model: e.cfg.Model, Collection: collection, Results: []Result{}}
	mode := q.Mode
	if mode == "" {
		mode = e.defaultMode()
	}
	mode, err := ParseMode(string(mode))
	if err != nil {
		return resp, err
	}
	resp.Mode = mode
	fusion := e.cfg.Fusion
	if q.Fusion != nil {
		fusion = *q.Fusion
	}
	if err := validateQuery(q, fusion); err != nil {
		return resp, err
	}
	if mode == BM25 && q.MinScore > 0 {
		return resp, fmt.Errorf("%w: min score is a cosine similarity, and bm25 mode has no vectors: use vector or hybrid mode, or drop the min score", ErrInvalid)
	}
	if mode != Vector && e.keywords == nil {
		return resp, fmt.Errorf("%w: %s search needs a BM25 index, and none is configured", ErrInvalid, mode)
	}
	if mode != BM25 && e.emb == nil {
		return resp, fmt.Errorf("%w: %s search needs an embedding model, and none is configured: search with mode bm25", ErrInvalid, mode)
	}
	c, err := e.Collection(ctx, collection)
	if err != nil {
		return resp, err
	}
	q.embedBy = start.Add(e.cfg.QueryEmbedTimeout)
	if err := e.checkSearchSettings(ctx, c, mode, q.embedBy); err != nil {
		return resp, err
	}

	if mode != Vector {
		if err := e.checkKeywords(ctx, collection); errors.Is(err, syscall.ENOSPC) {
			// A repair the full disk stopped does not stop the search:
			// BM25 hits of versions the store does not hold are dropped
			// with a warning (see currentKeywordHits), and the next
			// search or write tries the repair again.
			e.log.Warn("BM25 index not brought in line with the vector store: the disk is full", "collection", collection, "error", err)
		} else if err != nil {
			return resp, err
		}
	}
	// A keyword index held by another process fails the search (with
	// ErrKeywordsBusy) rather than silently ranking by vectors alone, unless
	// the door asked for a fallback that says so.
	cands, notes, err := e.rank(ctx, collection, q, mode, fusion)
	if errors.Is(err, ErrKeywordsDamaged) && !e.cfg.ReadOnly {
		// Damaged since this engine last checked it: rebuild and retry.
		e.forgetKeywordCheck(collection)
		if err = e.checkKeywords(ctx, collection); err == nil || errors.Is(err, syscall.ENOSPC) {
			cands, notes, err = e.rank(ctx, collection, q, mode, fusion)
		}
	}
	skipped := ""
	switch {
	case errors.Is(err, ErrQueryEmbedTimeout) && mode == Hybrid:
		// An answer from one half now beats none after the caller's
		// deadline; the response says so.
		skipped = fmt.Sprintf("the query's embedding did not arrive within %s (--query-embed-timeout)", e.cfg.QueryEmbedTimeout)
		w := "ranked by BM25 alone: " + skipped + "; check that the embedding backend (Ollama) answers"
		if q.MinScore > 0 {
			w += "; the min score, a cosine similarity, was not applied"
		}
		resp.Warnings = append(resp.Warnings, w)
		e.log.Warn("query embedding timed out; answering from BM25 alone", "collection", collection, "timeout_ms", e.cfg.QueryEmbedTimeout.Milliseconds(), "error", err)
		mode, resp.Mode = BM25, BM25
		cands, notes, err = e.rank(ctx, collection, q, mode, fusion)
	case errors.Is(err, ErrKeywordsDamaged) && mode == Hybrid:
		// Not silent: the response carries the warning and says the mode.
		resp.Warnings = append(resp.Warnings, "searched by vectors only: "+keywordsDamaged(collection, err).Error())
		mode, resp.Mode = Vector, Vector
		cands, notes, err = e.rank(ctx, collection, q, mode, fusion)
	case errors.Is(err, ErrKeywordsDamaged):
		return resp, keywordsDamaged(collection, err)
	case errors.Is(err, ErrKeywordsBusy) && mode == Hybrid && e.cfg.KeywordsBusyFallback:
		w := keywordsBusy(collection, err).Error()
		e.log.Warn("searched by vectors only", "collection", collection, "reason", w)
		resp.Warnings = append(resp.Warnings, "searched by vectors only: "+w)
		mode, resp.Mode = Vector, Vector
		cands, notes, err = e.rank(ctx, collection, q, mode, fusion)
	case errors.Is(err, ErrKeywordsBusy):
		return resp, keywordsBusy(collection, err)
	}
	if err != nil {
		return resp, err
	}
	if len(notes.stale) > 0 {
		resp.Warnings = append(resp.Warnings, staleWarning(notes.stale))
	}
	if notes.zeroQuery {
		resp.Warnings = append(resp.Warnings, zeroQueryWarning(e.cfg.Model, mode))
	}
	kept := cands[:0]
	for _, c := range cands {
		if mode == BM25 || c.vscore >= float64(q.MinScore) {
			kept = append(kept, c)
		}
	}
	docs := map[string]*vectorstore.Document{} // fetched for table headers
	terms := questionTerms(q.Text)
	for _, cand := range e.rerank(ctx, kept, q) {
		r := Result{Hit: cand.hit, Rank: len(resp.Results) + 1, Citation: Citation(cand.hit), Metadata: Metadata(cand.hit)}
		r.Score = float32(cand.score)
		r.Vector = nil
		ev := terms.evidence(cand.hit.Text, cand.bscore, cand.brank, cand.vrank)
		r.Evidence, r.Confidence = &ev, Judge(ev)
		if q.Explain {
			r.Explain = &Explanation{VectorScore: cand.vscore, VectorRank: cand.vrank, BM25Score: cand.bscore, BM25Rank: cand.brank, Fused: cand.score, VectorSkipped: skipped}
		}
		r.TableHeader = e.tableHeader(ctx, collection, cand.hit, docs)
		for _, d := range cand.dups {
			r.Duplicates = append(r.Duplicates, Citation(d.hit))
		}
		resp.Results = append(resp.Results, r)
	}
	if len(resp.Results) == 0 {
		resp.Warnings = append(resp.Warnings, e.filterNotes(ctx, collection, q.Filter)...)
	}
	resp.Took = time.Since(start)
	e.log.Debug("search", "collection", collection, "mode", mode, "k", q.K, "hits", len(resp.Results), "query_ms", resp.Took.Milliseconds())
	return resp, nil
}

// tableHeader returns the header row the chunker gave h as context (see
// [chunk.TableHeader]), or "" for a passage that does not start in a
// table's rows. Only such passages cost a document fetch, once per
// document and search; a fetch that fails costs the header only.
func (e *Engine) tableHeader(ctx context.Context, collection string, h vectorstore.Hit, docs map[string]*vectorstore.Document) string {
	first, _, _ := strings.Cut(h.Text, "\n")
	if !chunk.IsTableRow(first) {
		return ""
	}
	d, ok := docs[h.DocID]
	if !ok {
		if doc, err := e.store.Document(ctx, collection, h.DocID); err == nil {
			d = &doc
		} else {
			e.log.Debug("table header not found", "collection", collection, "doc_id", h.DocID, "err", err)
		}
		docs[h.DocID] = d
	}
	if d == nil || h.End > len(d.Text) || d.Text[h.Start:h.End] != h.Text {
		return ""
	}
	sp := chunk.TableHeader(d.Text, d.Skip, h.Start)
	return d.Text[sp.Start:sp.End]
}

// zeroQueryWarning says why a query's vector half found nothing: the model
// embedded it to zeros, as an offline word-vector model does with a
// question in another language or of words it does not know.
func zeroQueryWarning(model string, mode Mode) string {
	got := "so no passage is similar to it"
	if mode == Hybrid {
		got = "so only its BM25 half ranked passages"
	}
	return fmt.Sprintf("model %s knows none of the words of this question (its embedding is all zeros: another language, or words it never saw), %s; "+
		"search by keywords with --mode bm25 (mode \"bm25\"), rephrase it in words the model knows, or index with a multilingual model", model, got)
}

// staleWarning tells the user which documents BM25 could not rank and how
// to repair that.
func staleWarning(ids []string) string {
	list := strings.Join(ids[:min(len(ids), 5)], ", ")
	if len(ids) > 5 {
		list += fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return fmt.Sprintf("%d documents left out of the BM25 ranking (%s): the BM25 index holds another version of them than the vector store, "+
		"after an interrupted index run; run semsearch index again (or search through semsearch serve, which repairs it) to bring them in line", len(ids), list)
}

func validateQuery(q Query, f Fusion) error {
	if err := CheckQuery(q); err != nil {
		return err
	}
	return ValidateSettings(q, f)
}

// ValidateSettings reports whether q's ranking settings (MMR, MaxPerDoc)
// and the fusion f can be used, whatever the query text; an eval sweep
// checks every value with it before the first run.
func ValidateSettings(q Query, f Fusion) error {
	switch {
	case !(q.MMR >= 0 && q.MMR <= 1): // NaN fails too
		return fmt.Errorf("%w: mmr must be between 0 and 1, got %g", ErrInvalid, q.MMR)
	case q.MaxPerDoc < 0:
		return fmt.Errorf("%w: max per document must not be negative, got %d", ErrInvalid, q.MaxPerDoc)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// Citation formats a hit as `"Title", source, lines 3-5`, the label a reader
// needs to find the passage in its source: for a PDF `"Title", report.pdf,
// page 3, lines 4-9` (lines within the page; `pages 3-4` across a page
// break), for a Word file `paragraphs 3-5`, for an EPUB `chapter "Two",
// paragraphs 3-5` (counted within the chapter).
func Citation(h vectorstore.Hit) string {
	var b strings.Builder
	if h.Title != "" {
		fmt.Fprintf(&b, "%q, ", h.Title)
	}
	b.WriteString(h.Source)
	if h.Chapter != "" {
		fmt.Fprintf(&b, ", chapter %q", h.Chapter)
	}
	unit := "line"
	switch {
	case h.PageStart > 0 && h.PageEnd > h.PageStart:
		fmt.Fprintf(&b, ", pages %d-%d", h.PageStart, h.PageEnd)
		return b.String()
	case h.PageStart > 0:
		fmt.Fprintf(&b, ", page %d", h.PageStart)
	case h.Format == article.FormatDOCX || h.Format == article.FormatEPUB:
		unit = "paragraph"
	}
	if h.LineStart == h.LineEnd {
		fmt.Fprintf(&b, ", %s %d", unit, h.LineStart)
	} else {
		fmt.Fprintf(&b, ", %ss %d-%d", unit, h.LineStart, h.LineEnd)
	}
	return b.String()
}

func (e *Engine) defaultMode() Mode {
	if e.cfg.Mode != "" {
		return e.cfg.Mode
	}
	if e.keywords == nil {
		return Vector
	}
	if e.emb == nil {
		return BM25
	}
	return Hybrid
}

// Body is a hit's text for display under its citation: without a first
// line that only repeats the title the citation already shows, and
// trimmed. Line breaks stay: joining lines would run a heading or a
// dated list item into the next line and change what the text says.
func Body(h vectorstore.Hit) string {
	text := strings.TrimSpace(h.Text)
	if h.Title == "" {
		return text
	}
	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimSpace(first) == strings.TrimSpace(h.Title) && strings.TrimSpace(rest) != "" {
		return strings.TrimSpace(rest)
	}
	return text
}

// ResultBody is a result's text for display: [Body], after the header row
// of its table when it holds rows without it (see [Result.TableHeader]).
func ResultBody(r Result) string {
	if r.TableHeader == "" {
		return Body(r.Hit)
	}
	return r.TableHeader + "\n" + strings.TrimSpace(r.Text)
}

// SourceCitation is [Citation] without the title, for a door that shows
// the title on its own.
func SourceCitation(h vectorstore.Hit) string {
	h.Title = ""
	return Citation(h)
}
