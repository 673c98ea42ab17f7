package mcpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Tool limits; k's default and maximum are the request model's (see
// engine.DefaultK).
const (
	// maxDocChars bounds the text get_document returns in one call.
	maxDocChars = 100_000
	uriScheme   = "semsearch"
)

// SearchInput is the search tool's arguments.
type SearchInput struct {
	Query       string   `json:"query" jsonschema:"the question or keywords, in plain language"`
	Collection  string   `json:"collection,omitempty" jsonschema:"the collection to search (default: the server's)"`
	Collections []string `json:"collections,omitempty" jsonschema:"several collections to search at once, merged by score"`
	K           int      `json:"k,omitempty" jsonschema:"how many passages, 1-1000 (default 5)"`
	Mode        string   `json:"mode,omitempty" jsonschema:"hybrid (default), vector or bm25"`
	MaxPerDoc   int      `json:"max_per_doc,omitempty" jsonschema:"at most this many passages per document (0: no cap)"`
	// KeepDuplicates: see [engine.Query.KeepDuplicates].
	KeepDuplicates bool          `json:"keep_duplicates,omitempty" jsonschema:"return passages with the same text as a better one (an article stored under two ids) as results of their own; by default each is returned once, listing its copies in duplicates"`
	Filter         *SearchFilter `json:"filter,omitempty" jsonschema:"keep only passages of matching documents"`
}

// SearchFilter restricts a search, with the CLI's meaning.
type SearchFilter struct {
	DocIDs    []string          `json:"doc_ids,omitempty" jsonschema:"only these documents"`
	DocPrefix string            `json:"doc_prefix,omitempty" jsonschema:"only documents whose id or source starts with this, such as a folder: sport/"`
	Meta      map[string]string `json:"meta,omitempty" jsonschema:"exact matches on title, source, author, url or custom metadata"`
	After     string            `json:"after,omitempty" jsonschema:"published on or after this date (2017-05-01 or RFC 3339)"`
	Before    string            `json:"before,omitempty" jsonschema:"published before this date"`
}

// SearchOutput is the search tool's structured result.
type SearchOutput struct {
	Query   string    `json:"query"`
	Mode    string    `json:"mode"`
	Model   string    `json:"model"`
	TookMS  float64   `json:"took_ms"`
	Results []Passage `json:"results"`
	// Warnings say where the answer is less than complete (e.g. searched
	// by vectors only because the BM25 index is damaged).
	Warnings []string `json:"warnings,omitempty"`
}

// Passage is one cited passage; N is its number in the text answer ([N]).
type Passage struct {
	N           int              `json:"n"`
	Collection  string           `json:"collection"`
	DocID       string           `json:"doc_id"`
	Title       string           `json:"title,omitempty"`
	Source      string           `json:"source"`
	URL         string           `json:"url,omitempty"`
	Citation    string           `json:"citation"`
	LineStart   int              `json:"line_start"`
	LineEnd     int              `json:"line_end"`
	PageStart   int              `json:"page_start,omitempty" jsonschema:"first PDF page of the passage"`
	PageEnd     int              `json:"page_end,omitempty"`
	Chapter     string           `json:"chapter,omitempty" jsonschema:"EPUB chapter of the passage"`
	Start       int              `json:"start" jsonschema:"byte offset of the passage in the document text"`
	End         int              `json:"end"`
	Chunk       int              `json:"chunk"`
	Score       float64          `json:"score"`
	Text        string           `json:"text"`
	URI         string           `json:"uri" jsonschema:"the document as an MCP resource"`
	Metadata    map[string]any   `json:"metadata"`
	Duplicates  []string         `json:"duplicates,omitempty" jsonschema:"citations of passages with the same text, folded into this one"`
	Confidence  string           `json:"confidence" jsonschema:"how likely the passage answers the query: high, medium or low (low: say the collection may not answer it)"`
	Evidence    *engine.Evidence `json:"evidence,omitempty" jsonschema:"what the confidence rests on: BM25 score and rank, vector rank, share of the query's words in the passage"`
	TableHeader string           `json:"table_header,omitempty" jsonschema:"the header row of the table whose rows the passage holds (not part of its text or span)"`
}

// DocumentInput is get_document's arguments.
type DocumentInput struct {
	Collection string `json:"collection,omitempty" jsonschema:"the collection (default: the server's)"`
	ID         string `json:"doc_id" jsonschema:"the document id, as search returns it"`
	Lines      string `json:"lines,omitempty" jsonschema:"a line range such as 3-9 or one line such as 12 (default: the whole document)"`
}

// DocumentOutput is get_document's structured result.
type DocumentOutput struct {
	Collection string            `json:"collection"`
	DocID      string            `json:"doc_id"`
	Title      string            `json:"title,omitempty"`
	Source     string            `json:"source"`
	Author     string            `json:"author,omitempty"`
	URL        string            `json:"url,omitempty"`
	Published  string            `json:"published,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
	LineStart  int               `json:"line_start"`
	LineEnd    int               `json:"line_end"`
	TotalLines int               `json:"total_lines"`
	Truncated  bool              `json:"truncated" jsonschema:"the text was cut at 100000 characters: ask for lines"`
	Text       string            `json:"text"`
}

// NoInput is the arguments of tools that take none.
type NoInput struct{}

// CollectionsOutput is list_collections' result.
type CollectionsOutput struct {
	Default     string           `json:"default"`
	Collections []CollectionInfo `json:"collections"`
}

// CollectionInfo describes one collection.
type CollectionInfo struct {
	Name      string `json:"name"`
	Model     string `json:"model"`
	Documents int    `json:"documents"`
	Passages  int    `json:"passages"`
	Updated   string `json:"updated,omitempty"`
}

// StatusOutput is the status tool's result.
type StatusOutput struct {
	Model             string `json:"model"`
	DefaultCollection string `json:"default_collection"`
	Collections       int    `json:"collections"`
	Documents         int    `json:"documents"`
	Passages          int    `json:"passages"`
	Embedding         string `json:"embedding" jsonschema:"ok, or why the embedding backend cannot embed"`
	Writes            bool   `json:"writes" jsonschema:"whether add_documents and delete_document are enabled"`
}

// AddInput is add_documents' arguments.
type AddInput struct {
	Collection string        `json:"collection,omitempty" jsonschema:"the collection (created when missing; default: the server's)"`
	Documents  []DocumentArg `json:"documents" jsonschema:"the articles to index; unchanged ones cost nothing"`
}

// DocumentArg is one article to index.
type DocumentArg struct {
	ID        string            `json:"id"`
	Title     string            `json:"title,omitempty"`
	Text      string            `json:"text"`
	Source    string            `json:"source,omitempty" jsonschema:"shown in citations (default: url, else id)"`
	URL       string            `json:"url,omitempty"`
	Author    string            `json:"author,omitempty"`
	Published string            `json:"published,omitempty" jsonschema:"2017-05-01 or RFC 3339"`
	Meta      map[string]string `json:"meta,omitempty"`
}

// AddOutput is add_documents' result.
type AddOutput struct {
	Collection    string `json:"collection"`
	New           int    `json:"new"`
	Updated       int    `json:"updated"`
	Unchanged     int    `json:"unchanged"`
	Passages      int    `json:"passages"`
	TotalPassages int    `json:"total_passages"`
}

// DeleteInput is delete_document's arguments.
type DeleteInput struct {
	Collection string `json:"collection,omitempty"`
	ID         string `json:"doc_id"`
}

// DeleteOutput is delete_document's result.
type DeleteOutput struct {
	Collection string `json:"collection"`
	Deleted    string `json:"deleted"`
}

func readOnly(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)}
}

// addTools registers the tools and the document resource template.
func (s *Server) addTools(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{Name: "search", Title: "Search the collections",
		Description: "Find the passages that best answer a question, with citations. Returns numbered passages as text " +
			"([n] passage, then its source) and the same passages as structured results.",
		Annotations: readOnly("Search the collections")}, answer(s, "search", s.search))
	mcp.AddTool(srv, &mcp.Tool{Name: "get_document", Title: "Read a document",
		Description: "Read a document whole, or the lines a citation names (e.g. lines \"3-9\") to read around a passage.",
		Annotations: readOnly("Read a document")}, answer(s, "getDocument", s.getDocument))
	mcp.AddTool(srv, &mcp.Tool{Name: "list_collections", Title: "List collections",
		Description: "The collections with their embedding model and document and passage counts.",
		Annotations: readOnly("List collections")}, answer(s, "listCollections", s.listCollections))
	mcp.AddTool(srv, &mcp.Tool{Name: "status", Title: "Server status",
		Description: "The embedding model, totals, whether the embedding backend can embed, and whether writes are enabled.",
		Annotations: readOnly("Server status")}, answer(s, "status", s.status))
	if s.cfg.Writes {
		mcp.AddTool(srv, &mcp.Tool{Name: "add_documents", Title: "Index documents",
			Description: "Index articles into a collection; changed ones are re-embedded, unchanged ones skipped.",
			Annotations: &mcp.ToolAnnotations{Title: "Index documents", IdempotentHint: true, DestructiveHint: new(false), OpenWorldHint: new(false)}}, answer(s, "addDocuments", s.addDocuments))
		mcp.AddTool(srv, &mcp.Tool{Name: "delete_document", Title: "Delete a document",
			Description: "Remove a document and its passages from a collection.",
			Annotations: &mcp.ToolAnnotations{Title: "Delete a document", IdempotentHint: true, DestructiveHint: new(true), OpenWorldHint: new(false)}}, answer(s, "deleteDocument", s.deleteDocument))
	}
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "document", Title: "A document's text",
		URITemplate: uriScheme + "://{collection}/{+id}", MIMEType: "text/plain",
		Description: "The full text of document {id} in {collection}, as search cites it."}, s.readDocument)
}

// answer wraps a tool so that its errors are answered as the API answers
// them (engine.Classify): what the user can act on (a bad argument, an
// unknown document, an embedding backend that is down) with its text, and
// anything else logged and answered generically, since its text can name
// files and internals.
func answer[In, Out any](s *Server, tool string, h mcp.ToolHandlerFor[In, Out]) mcp.ToolHandlerFor[In, Out] {
	return func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		res, out, err := h(ctx, req, in)
		if err != nil {
			err = s.toolError(ctx, tool, err)
		}
		return res, out, err
	}
}

// toolError is what a failed tool call says.
func (s *Server) toolError(ctx context.Context, tool string, err error) error {
	for _, u := range s.cfg.Unavailable {
		if errors.Is(err, u) {
			return err
		}
	}
	c := engine.Classify(err)
	if c.Internal {
		s.log.ErrorContext(ctx, "tool failed", "tool", tool, "error", err)
		return errors.New("internal error (see the server log)")
	}
	if c.Message != "" {
		return errors.New(c.Message)
	}
	return err
}

// documentURI names a document as a resource.
func documentURI(collection, id string) string {
	return uriScheme + "://" + collection + "/" + (&url.URL{Path: id}).EscapedPath()
}

func (s *Server) search(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	out := SearchOutput{Query: in.Query, Results: []Passage{}}
	text := strings.TrimSpace(in.Query)
	mode, err := engine.ParseMode(in.Mode)
	if err != nil {
		return nil, out, err
	}
	filter, err := in.Filter.filter()
	if err != nil {
		return nil, out, err
	}
	// The request model decides what is valid; the tools name its fields
	// as their arguments.
	q := engine.Query{Text: text, K: cmp.Or(in.K, engine.DefaultK), MinScore: -1, Filter: filter, Mode: mode, MaxPerDoc: in.MaxPerDoc, KeepDuplicates: in.KeepDuplicates}
	if err := engine.CheckQuery(q); err != nil {
		return nil, out, err
	}
	k := q.K
	names := slices.Clone(in.Collections)
	if in.Collection != "" || len(names) == 0 {
		names = append([]string{in.Collection}, names...)
	}
	var cols []string
	for _, n := range names {
		c, err := s.collection(n)
		if err != nil {
			return nil, out, err
		}
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	start := time.Now()
	for _, c := range cols {
		resp, err := s.cfg.Engine.Search(ctx, c, q)
		if err != nil {
			return nil, out, fmt.Errorf("search %s: %w", c, err)
		}
		out.Mode, out.Model = string(resp.Mode), resp.Model
		out.Warnings = append(out.Warnings, resp.Warnings...)
		for _, r := range resp.Results {
			md := r.Metadata
			if md == nil {
				md = engine.Metadata(r.Hit)
			}
			md["collection"] = c
			out.Results = append(out.Results, Passage{Collection: c, DocID: r.DocID, Title: r.Title, Source: r.Source,
				URL: r.URL, Citation: r.Citation, LineStart: r.LineStart, LineEnd: r.LineEnd, Start: r.Start, End: r.End,
				PageStart: r.PageStart, PageEnd: r.PageEnd, Chapter: r.Chapter, Chunk: r.Chunk, Score: float64(r.Score), Text: strings.TrimSpace(r.Text), URI: documentURI(c, r.DocID), Metadata: md, Duplicates: r.Duplicates,
				Confidence: string(r.Confidence), Evidence: r.Evidence, TableHeader: r.TableHeader})
		}
	}
	// Several collections: the best k by score (scores of one mode are on
	// the same scale in every collection).
	slices.SortStableFunc(out.Results, func(a, b Passage) int { return cmp.Compare(b.Score, a.Score) })
	out.Results = out.Results[:min(k, len(out.Results))]
	out.TookMS = float64(time.Since(start).Microseconds()) / 1000

	var b strings.Builder
	if len(out.Results) == 0 {
		fmt.Fprintf(&b, "No passages in %s match %q.", strings.Join(cols, ", "), text)
	}
	for i := range out.Results {
		p := &out.Results[i]
		p.N = i + 1
		if i > 0 {
			b.WriteString("\n\n")
		}
		text := p.Text
		if p.TableHeader != "" {
			text = p.TableHeader + "\n" + text
		}
		fmt.Fprintf(&b, "[%d] %s\n(Source: %s; collection %s, doc_id %s)", p.N, text, p.Citation, p.Collection, p.DocID)
	}
	if len(out.Results) > 0 {
		if note := engine.LowConfidenceNote(engine.Confidence(out.Results[0].Confidence), out.Results[0].Evidence); note != "" {
			fmt.Fprintf(&b, "\n\nNote: %s.", note)
		}
	}
	for _, w := range out.Warnings {
		fmt.Fprintf(&b, "\n\nWarning: %s", w)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}, out, nil
}

// filter converts a tool filter for the engine, which decides what is
// valid.
func (f *SearchFilter) filter() (vectorstore.Filter, error) {
	if f == nil {
		return vectorstore.Filter{}, nil
	}
	out, err := engine.FilterSpec{DocIDs: f.DocIDs, DocPrefix: f.DocPrefix, Meta: f.Meta, After: f.After, Before: f.Before}.Filter()
	if fe := (*engine.FieldError)(nil); errors.As(err, &fe) {
		return out, invalid("%s", fe.Named(filterFields))
	}
	return out, err
}

// filterFields are the request model's filter fields as the tools name
// them.
var filterFields = map[string]string{"doc_ids": "filter.doc_ids", "doc_prefix": "filter.doc_prefix", "meta": "filter.meta", "after": "filter.after", "before": "filter.before"}

// invalid is a bad argument: an engine.ErrInvalid, which the tools answer
// with its text.
func invalid(format string, args ...any) error {
	return &engine.FieldError{Problem: fmt.Sprintf(format, args...)}
}

// checkID applies the request model's id rule to a tool's id argument.
func checkID(field, id string) error {
	if err := engine.CheckID(id); err != nil {
		return invalid("%s", err.(*engine.FieldError).Named(map[string]string{"id": field}))
	}
	return nil
}

func (s *Server) getDocument(ctx context.Context, _ *mcp.CallToolRequest, in DocumentInput) (*mcp.CallToolResult, DocumentOutput, error) {
	var out DocumentOutput
	col, err := s.collection(in.Collection)
	if err != nil {
		return nil, out, err
	}
	if err := checkID("doc_id", in.ID); err != nil {
		return nil, out, err
	}
	doc, err := s.cfg.Engine.Document(ctx, col, in.ID)
	if err != nil {
		return nil, out, err
	}
	if in.Lines != "" && (doc.Format == "html" || doc.Format == "json") {
		// Citations of these formats count lines of the source file, not
		// of the extracted text this tool returns.
		return nil, out, invalid("the lines a citation of this %s document names are lines of its source file %s, not of its extracted text: call get_document without lines for the whole text", doc.Format, doc.Source)
	}
	lines := strings.SplitAfter(doc.Text, "\n")
	if n := len(lines); n > 1 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	first, last := 1, len(lines)
	if in.Lines != "" {
		if first, last, err = parseLines(in.Lines, len(lines)); err != nil {
			return nil, out, err
		}
	}
	text := strings.Join(lines[first-1:last], "")
	out = DocumentOutput{Collection: col, DocID: doc.ID, Title: doc.Title, Source: doc.Source, Author: doc.Author,
		URL: doc.URL, Meta: doc.Meta, LineStart: first, LineEnd: last, TotalLines: len(lines)}
	if !doc.Published.IsZero() {
		out.Published = doc.Published.UTC().Format(time.RFC3339)
	}
	if r := []rune(text); len(r) > maxDocChars {
		text, out.Truncated = string(r[:maxDocChars]), true
	}
	out.Text = text
	header := fmt.Sprintf("%s, lines %d-%d of %d", engine.Citation(vectorstore.Hit{Title: doc.Title, Source: doc.Source,
		Passage: vectorstore.Passage{LineStart: first, LineEnd: last}}), first, last, len(lines))
	if out.Truncated {
		header += " (cut at 100000 characters: ask for fewer lines)"
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: header + "\n\n" + text}}}, out, nil
}

// parseLines reads "A-B" or "A" within 1..total.
func parseLines(s string, total int) (int, int, error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last := first
	var err2 error
	if isRange {
		last, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || first < 1 || last < first {
		return 0, 0, invalid("lines %q: want a range such as 3-9 or one line such as 12", s)
	}
	if first > total {
		return 0, 0, invalid("lines %q: the document has %d lines", s, total)
	}
	return first, min(last, total), nil
}

func (s *Server) readDocument(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, uriScheme+"://")
	col, rawID, ok2 := strings.Cut(rest, "/")
	id, err := url.PathUnescape(rawID)
	if !ok || !ok2 || err != nil || id == "" {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if col, err = s.collection(col); err != nil || engine.CheckID(id) != nil {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	doc, err := s.cfg.Engine.Document(ctx, col, id)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, s.toolError(ctx, "resource", err)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/plain", Text: doc.Text}}}, nil
}

func (s *Server) listCollections(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, CollectionsOutput, error) {
	out := CollectionsOutput{Default: s.cfg.Collection, Collections: []CollectionInfo{}}
	cols, err := s.cfg.Engine.Collections(ctx)
	if err != nil {
		return nil, out, err
	}
	var b strings.Builder
	for _, c := range cols {
		info := CollectionInfo{Name: c.Name, Model: c.Settings.Model, Documents: c.Documents, Passages: c.Passages}
		if !c.Updated.IsZero() {
			info.Updated = c.Updated.UTC().Format(time.RFC3339)
		}
		out.Collections = append(out.Collections, info)
		fmt.Fprintf(&b, "%s: %d documents, %d passages, model %s\n", c.Name, c.Documents, c.Passages, c.Settings.Model)
	}
	if len(cols) == 0 {
		b.WriteString("no collections yet\n")
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: b.String()}}}, out, nil
}

func (s *Server) status(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, StatusOutput, error) {
	out := StatusOutput{Model: s.cfg.Model, DefaultCollection: s.cfg.Collection, Embedding: "ok", Writes: s.cfg.Writes}
	cols, err := s.cfg.Engine.Collections(ctx)
	if err != nil {
		return nil, out, err
	}
	out.Collections = len(cols)
	for _, c := range cols {
		out.Documents += c.Documents
		out.Passages += c.Passages
	}
	if s.cfg.Checker != nil {
		if err := s.cfg.Checker.Check(ctx); err != nil {
			out.Embedding = err.Error()
		}
	}
	text := fmt.Sprintf("model %s; %d collections, %d documents, %d passages; embedding: %s; writes enabled: %t",
		out.Model, out.Collections, out.Documents, out.Passages, out.Embedding, out.Writes)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, out, nil
}

func (s *Server) addDocuments(ctx context.Context, _ *mcp.CallToolRequest, in AddInput) (*mcp.CallToolResult, AddOutput, error) {
	var out AddOutput
	col, err := s.collection(in.Collection)
	if err != nil {
		return nil, out, err
	}
	if len(in.Documents) == 0 {
		return nil, out, invalid("documents is empty")
	}
	arts := make([]article.Article, len(in.Documents))
	for i, d := range in.Documents {
		if strings.TrimSpace(d.ID) == "" || strings.TrimSpace(d.Text) == "" {
			return nil, out, invalid("documents[%d]: id and text are required", i)
		}
		if err := checkID(fmt.Sprintf("documents[%d].id", i), d.ID); err != nil {
			return nil, out, err
		}
		pub, err := vectorstore.ParseDate(d.Published)
		if err != nil {
			return nil, out, invalid("documents[%d].published %v", i, err)
		}
		arts[i] = article.Article{ID: d.ID, Title: d.Title, Text: d.Text, URL: d.URL, Author: d.Author,
			Published: pub, Meta: d.Meta, Source: d.Source, Format: "json"} // no source: the engine cites the URL or id
	}
	st, err := s.cfg.Engine.Index(ctx, col, arts, engine.IndexOptions{})
	if err != nil {
		return nil, out, err
	}
	out = AddOutput{Collection: col, New: st.New, Updated: st.Updated, Unchanged: st.Unchanged, Passages: st.Passages, TotalPassages: st.Total}
	text := fmt.Sprintf("%s: %d new, %d updated, %d unchanged; %d passages embedded, %d in the collection",
		col, st.New, st.Updated, st.Unchanged, st.Passages, st.Total)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, out, nil
}

func (s *Server) deleteDocument(ctx context.Context, _ *mcp.CallToolRequest, in DeleteInput) (*mcp.CallToolResult, DeleteOutput, error) {
	var out DeleteOutput
	col, err := s.collection(in.Collection)
	if err != nil {
		return nil, out, err
	}
	if err := checkID("doc_id", in.ID); err != nil {
		return nil, out, err
	}
	n, err := s.cfg.Engine.Delete(ctx, col, in.ID)
	if err != nil {
		return nil, out, err
	}
	if n == 0 {
		return nil, out, fmt.Errorf("document %q in collection %q: %w", in.ID, col, engine.ErrNotFound)
	}
	out = DeleteOutput{Collection: col, Deleted: in.ID}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "deleted " + in.ID + " from " + col}}}, out, nil
}
