package mcpserver

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestServer_pdfPages: a search result from a PDF carries its pages in the
// structured result and its citation.
func TestServer_pdfPages(t *testing.T) {
	f := newFake()
	f.docs["news"]["report.pdf"] = vectorstore.Document{ID: "report.pdf", Title: "Report", Source: "news/report.pdf", Format: "pdf",
		Text: "Cover page\n\nThe auditors found the harbour accounts in order.\n", Pages: []int{0, 12}}
	s, err := New(Config{Engine: f, Checker: downChecker{}, Collection: "news", Model: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[0].connect(t, s)
	defer cs.Close()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": "auditors harbour", "k": 1}})
	if err != nil || res.IsError {
		t.Fatalf("search: %v %v", err, res)
	}
	out, _ := res.StructuredContent.(map[string]any)
	results, _ := out["results"].([]any)
	if len(results) != 1 {
		t.Fatalf("structured results: %v", res.StructuredContent)
	}
	first := results[0].(map[string]any)
	if first["page_start"] != 2.0 || first["page_end"] != 2.0 || !strings.Contains(first["citation"].(string), "news/report.pdf, page 2") {
		t.Errorf("result %v", first)
	}
}
