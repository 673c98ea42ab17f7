package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// fakeEngine answers searches with every passage (one per document) whose
// text shares a word with the query, scored by the shared words.
type fakeEngine struct {
	mu   sync.Mutex
	docs map[string]map[string]vectorstore.Document
}

var _ Engine = (*engine.Engine)(nil)

func newFake() *fakeEngine {
	return &fakeEngine{docs: map[string]map[string]vectorstore.Document{
		"news": {
			"comey.txt": {ID: "comey.txt", Title: "Comey fired", Source: "news/comey.txt",
				Text: "Headline\n\nPresident Trump fired FBI director James Comey.\nThe White House said so.\n"},
			"fruit.txt": {ID: "fruit.txt", Title: "Breakfast", Source: "news/fruit.txt", Text: "I like bananas for breakfast.\n"},
		},
		"empty":             {},
		"eval-bbc-1234abcd": {},
	}}
}

func (f *fakeEngine) Search(_ context.Context, col string, q engine.Query) (engine.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Text == "internal" {
		return engine.Response{}, errors.New("open /srv/secret/store.db: permission denied")
	}
	docs, ok := f.docs[col]
	if !ok {
		return engine.Response{}, fmt.Errorf("collection %q: %w", col, engine.ErrNotFound)
	}
	resp := engine.Response{Query: q.Text, Model: "fake", Collection: col, Mode: engine.Hybrid, Results: []engine.Result{}}
	words := strings.Fields(strings.ToLower(strings.Trim(q.Text, "?")))
	for _, d := range docs {
		score := 0
		for _, w := range words {
			if strings.Contains(strings.ToLower(d.Text), w) {
				score++
			}
		}
		if score == 0 {
			continue
		}
		start := strings.Index(d.Text, "\n\n") + 2
		if start < 2 {
			start = 0
		}
		end := len(strings.TrimRight(d.Text, "\n"))
		line := strings.Count(d.Text[:start], "\n") + 1
		h := vectorstore.Hit{DocID: d.ID, Title: d.Title, Source: d.Source, Score: float32(score) / float32(len(words)),
			Passage: vectorstore.Passage{Start: start, End: end, LineStart: line, LineEnd: line + strings.Count(d.Text[start:end], "\n"), Text: d.Text[start:end]}}
		h.Locate(&d)
		ev := engine.NewEvidence(q.Text, h.Text, float64(score), 1, 1)
		resp.Results = append(resp.Results, engine.Result{Hit: h, Citation: engine.Citation(h), Metadata: engine.Metadata(h), Evidence: &ev, Confidence: engine.Judge(ev)})
	}
	sort.Slice(resp.Results, func(i, j int) bool { return resp.Results[i].Score > resp.Results[j].Score })
	resp.Results = resp.Results[:min(q.K, len(resp.Results))]
	return resp, nil
}

func (f *fakeEngine) Collections(context.Context) ([]vectorstore.Collection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vectorstore.Collection
	for name, docs := range f.docs {
		out = append(out, vectorstore.Collection{Name: name, Settings: vectorstore.Settings{Model: "fake"}, Documents: len(docs), Passages: len(docs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeEngine) Document(_ context.Context, col, id string) (vectorstore.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[col][id]
	if !ok {
		return d, fmt.Errorf("document %q: %w", id, engine.ErrNotFound)
	}
	return d, nil
}

func (f *fakeEngine) Index(_ context.Context, col string, arts []article.Article, _ engine.IndexOptions) (engine.IndexStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.docs[col] == nil {
		f.docs[col] = map[string]vectorstore.Document{}
	}
	var st engine.IndexStats
	for _, a := range arts {
		f.docs[col][a.ID] = vectorstore.Document{ID: a.ID, Title: a.Title, Source: a.Source, Text: a.Text}
		st.New++
		st.Passages++
	}
	st.Total = len(f.docs[col])
	return st, nil
}

func (f *fakeEngine) Delete(_ context.Context, col string, ids ...string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, id := range ids {
		if _, ok := f.docs[col][id]; ok {
			delete(f.docs[col], id)
			n++
		}
	}
	return n, nil
}

type downChecker struct{}

func (downChecker) Check(context.Context) error { return errors.New("Ollama not reachable") }

// transports connects the SDK's own client to s over each transport.
var transports = []struct {
	name    string
	connect func(t *testing.T, s *Server) *mcp.ClientSession
}{
	{"stdio", func(t *testing.T, s *Server) *mcp.ClientSession {
		// Two pipes stand in for the process's stdin and stdout.
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.RunStdio(ctx, inR, outW) }()
		t.Cleanup(func() {
			cancel()
			inW.Close()
			if err := <-done; err != nil {
				t.Errorf("RunStdio: %v", err)
			}
		})
		c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
		cs, err := c.Connect(t.Context(), &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}},
	{"streamable HTTP", func(t *testing.T, s *Server) *mcp.ClientSession {
		h, err := s.Handler()
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
		cs, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: srv.URL}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}},
}

func newServer(t *testing.T, writes bool) *Server {
	t.Helper()
	s, err := New(Config{Engine: newFake(), Checker: downChecker{}, Collection: "news", Model: "fake", Writes: writes,
		ValidCollection: func(n string) bool { return !strings.ContainsAny(n, "/ ") }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServer_tools(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, newServer(t, false))
			defer cs.Close()

			init := cs.InitializeResult()
			for _, want := range []string{"news: 2 documents", "empty: 0 documents", "the default", "cite each one you use as [n]", "and 1 evaluation collections, eval-*"} {
				if !strings.Contains(init.Instructions, want) {
					t.Errorf("instructions lack %q:\n%s", want, init.Instructions)
				}
			}
			// Issue 21 item 15: eval's collections are not offered.
			if strings.Contains(init.Instructions, "eval-bbc-1234abcd") {
				t.Errorf("instructions name an eval collection:\n%s", init.Instructions)
			}

			tools, err := cs.ListTools(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range tools.Tools {
				names = append(names, tool.Name)
				if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
					t.Errorf("tool %s is not annotated read-only", tool.Name)
				}
				if tool.OutputSchema == nil {
					t.Errorf("tool %s has no output schema", tool.Name)
				}
			}
			slices.Sort(names)
			if want := []string{"get_document", "list_collections", "search", "status"}; !slices.Equal(names, want) {
				t.Errorf("tools %v, want %v (no writing tools without writes)", names, want)
			}

			res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "Who was fired?", "k": 3}})
			if err != nil || res.IsError {
				t.Fatalf("search: %v %v", err, res)
			}
			text := res.Content[0].(*mcp.TextContent).Text
			if !strings.HasPrefix(text, "[1] President Trump fired FBI director James Comey.") ||
				!strings.Contains(text, `(Source: "Comey fired", news/comey.txt, lines 3-4; collection news, doc_id comey.txt)`) {
				t.Errorf("search text:\n%s", text)
			}
			out, _ := res.StructuredContent.(map[string]any)
			results, _ := out["results"].([]any)
			if len(results) != 1 {
				t.Fatalf("structured results: %v", res.StructuredContent)
			}
			first := results[0].(map[string]any)
			for k, want := range map[string]any{"n": 1.0, "doc_id": "comey.txt", "line_start": 3.0, "line_end": 4.0, "start": 10.0,
				"uri": "semsearch://news/comey.txt", "citation": `"Comey fired", news/comey.txt, lines 3-4`} {
				if first[k] != want {
					t.Errorf("results[0].%s = %v, want %v", k, first[k], want)
				}
			}

			doc, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get_document", Arguments: map[string]any{"doc_id": "comey.txt", "lines": "3-4"}})
			if err != nil || doc.IsError {
				t.Fatalf("get_document: %v %v", err, doc)
			}
			if got := doc.StructuredContent.(map[string]any)["text"]; got != "President Trump fired FBI director James Comey.\nThe White House said so.\n" {
				t.Errorf("get_document lines 3-4: %q", got)
			}

			rr, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: "semsearch://news/fruit.txt"})
			if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != "I like bananas for breakfast.\n" {
				t.Errorf("read resource: %v %+v", err, rr)
			}
			if _, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: "semsearch://news/nothere.txt"}); err == nil {
				t.Errorf("reading a missing document: no error")
			}

			st, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "status", Arguments: map[string]any{}})
			if err != nil || st.IsError || !strings.Contains(st.Content[0].(*mcp.TextContent).Text, "embedding: Ollama not reachable") {
				t.Errorf("status: %v %+v", err, st)
			}
			lc, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "list_collections"})
			if err != nil || lc.IsError || !strings.Contains(lc.Content[0].(*mcp.TextContent).Text, "news: 2 documents, 2 passages, model fake") {
				t.Errorf("list_collections: %v %+v", err, lc)
			}
		})
	}
}

// TestServer_rejects checks that bad calls are errors, unknown arguments
// first among them.
func TestServer_rejects(t *testing.T) {
	tests := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"search", map[string]any{"query": "fired", "colection": "news"}, `unexpected additional properties ["colection"]`},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"doc_id": "x"}}, `unexpected additional properties ["doc_id"]`},
		{"search", map[string]any{"query": " "}, "query is empty"},
		{"search", map[string]any{"query": "fired", "k": 1001}, "k must be between 1 and 1000"},
		{"search", map[string]any{"query": "fired", "mode": "fuzzy"}, "unknown search mode"},
		{"search", map[string]any{"query": "fired", "collection": "nothere"}, "not found"},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"after": "May"}}, "filter.after"},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"doc_ids": []any{"comey.txt", " "}}}, "document id 2 of 2 is empty"},
		// The request model's id rule, as the API's.
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"doc_ids": []any{"comey.txt\x1b[2J"}}}, "holds control characters"},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"doc_prefix": "news/\x1b[2J"}}, "filter.doc_prefix \"news/\\x1b[2J\" holds control characters"},
		{"get_document", map[string]any{"doc_id": "comey.txt\x1b[2J"}, "doc_id \"comey.txt\\x1b[2J\" holds control characters"},
		{"get_document", map[string]any{"doc_id": strings.Repeat("x", 1025)}, "is longer than 1024 bytes"},
		// Internal errors are logged and answered generically.
		{"search", map[string]any{"query": "internal"}, "internal error (see the server log)"},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"meta": map[string]any{"": "x"}}}, "metadata field name is empty"},
		{"search", map[string]any{"query": "fired", "filter": map[string]any{"after": "2017-06-01", "before": "2017-05-01"}}, "must be earlier than before"},
		{"get_document", map[string]any{"doc_id": "comey.txt", "lines": "9-12"}, "the document has 4 lines"},
		{"get_document", map[string]any{"doc_id": "nothere"}, "not found"},
		{"add_documents", map[string]any{"documents": []any{}}, "unknown tool"},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t, newServer(t, false))
			defer cs.Close()
			for _, tt := range tests {
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
				msg := fmt.Sprint(err)
				if err == nil {
					if !res.IsError {
						t.Errorf("%s %v: no error", tt.tool, tt.args)
						continue
					}
					msg = res.Content[0].(*mcp.TextContent).Text
				}
				if !strings.Contains(msg, tt.want) {
					t.Errorf("%s %v: %q, want it to say %q", tt.tool, tt.args, msg, tt.want)
				}
			}
		})
	}
}

// TestServer_refusesIDs checks that add_documents and delete_document
// refuse the ids the API refuses (the request model's rule), storing
// nothing.
func TestServer_refusesIDs(t *testing.T) {
	fake := newFake()
	s, err := New(Config{Engine: fake, Collection: "news", Writes: true})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[1].connect(t, s)
	defer cs.Close()
	for _, tt := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"add_documents", map[string]any{"documents": []any{map[string]any{"id": "a\x1b]0;pwned\x07", "text": "x"}}}, "documents[0].id \"a\\x1b]0;pwned\\a\" holds control characters"},
		{"add_documents", map[string]any{"documents": []any{map[string]any{"id": "ok", "text": "x"}, map[string]any{"id": strings.Repeat("y", 1025), "text": "x"}}}, "documents[1].id"},
		{"delete_document", map[string]any{"doc_id": "a\nb"}, "holds control characters"},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
		if err != nil || !res.IsError {
			t.Errorf("%s %v: accepted (%v)", tt.tool, tt.args, err)
			continue
		}
		if msg := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %q, want it to say %q", tt.tool, msg, tt.want)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for id := range fake.docs["news"] {
		if strings.ContainsFunc(id, func(r rune) bool { return r < ' ' }) || len(id) > 1024 || id == "ok" {
			t.Errorf("stored %q", id)
		}
	}
}

func TestServer_writes(t *testing.T) {
	cs := transports[1].connect(t, newServer(t, true))
	defer cs.Close()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "add_documents", Arguments: map[string]any{
		"collection": "notes", "documents": []any{map[string]any{"id": "n1", "title": "Meeting", "text": "The meeting moved to Friday."}}}})
	if err != nil || res.IsError {
		t.Fatalf("add_documents: %v %+v", err, res)
	}
	found, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "meeting", "collections": []any{"news", "notes"}}})
	if err != nil || found.IsError || !strings.Contains(found.Content[0].(*mcp.TextContent).Text, "The meeting moved to Friday.") {
		t.Fatalf("search after add: %v %+v", err, found)
	}
	del, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "delete_document", Arguments: map[string]any{"collection": "notes", "doc_id": "n1"}})
	if err != nil || del.IsError {
		t.Fatalf("delete_document: %v %+v", err, del)
	}
	tools, _ := cs.ListTools(t.Context(), nil)
	for _, tool := range tools.Tools {
		if tool.Name == "delete_document" && (tool.Annotations.ReadOnlyHint || tool.Annotations.DestructiveHint == nil || !*tool.Annotations.DestructiveHint) {
			t.Errorf("delete_document annotations: %+v", tool.Annotations)
		}
	}
}

// TestHandler_crossOrigin checks that browsers of other origins and
// DNS-rebinding Host headers are refused.
func TestHandler_crossOrigin(t *testing.T) {
	s, err := New(Config{Engine: newFake(), Collection: "news", CrossOriginTrusted: []string{"https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	tests := []struct {
		name   string
		header map[string]string
		host   string
		status int
	}{
		{"same origin tool", nil, "", http.StatusOK},
		{"cross-site browser", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"trusted origin", map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}, "", http.StatusOK},
		{"DNS rebinding", nil, "evil.example:80", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}
