package mcpserver

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Issue 21 item 10: each passage carries its confidence and evidence, and
// the text answer says when the best one is a weak match.
func TestServer_searchConfidence(t *testing.T) {
	cs := transports[0].connect(t, newServer(t, false))
	defer cs.Close()
	for _, tt := range []struct {
		query, confidence string
		note              bool
	}{
		{"Who fired Comey in Qatar?", "low", true},
		{"Who fired Comey?", "high", false},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "search", Arguments: map[string]any{"query": tt.query, "k": 1}})
		if err != nil || res.IsError {
			t.Fatalf("search: %v %v", err, res)
		}
		first := res.StructuredContent.(map[string]any)["results"].([]any)[0].(map[string]any)
		ev, _ := first["evidence"].(map[string]any)
		if first["confidence"] != tt.confidence || ev == nil || ev["bm25_rank"] != 1.0 || ev["vector_rank"] != 1.0 {
			t.Errorf("%q: confidence %v, evidence %v", tt.query, first["confidence"], ev)
		}
		text := res.Content[0].(*mcp.TextContent).Text
		if got := strings.Contains(text, "Note: the best passage is a weak match (low confidence: it holds 60% of the question's words; missing: qatar)"); got != tt.note {
			t.Errorf("%q: note %v in\n%s", tt.query, got, text)
		}
	}
}
