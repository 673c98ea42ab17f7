package httpapi

import (
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func result(doc, text, citation string) engine.Result {
	return engine.Result{Hit: vectorstore.Hit{DocID: doc, Passage: vectorstore.Passage{Text: text}}, Citation: citation}
}

func TestPackContext(t *testing.T) {
	results := []engine.Result{
		result("a", "First passage.\n", "A, line 1"),       // "[1] First passage.\n(Source: A, line 1)" = 38 chars
		result("b", strings.Repeat("x", 100), "B, line 2"), // too big for small budgets
		result("a", "Third – ünïcödé.", "A, line 3"),       // counted in characters, not bytes
	}
	entry1 := "[1] First passage.\n(Source: A, line 1)"
	entry3 := "[2] Third – ünïcödé.\n(Source: A, line 3)"
	both := entry1 + "\n\n" + entry3
	size := func(s string) int { return len([]rune(s)) }

	tests := []struct {
		name    string
		budget  budget
		text    string
		dropped int
	}{
		{"everything fits", budget{maxChars: 10000}, entry1 + "\n\n[2] " + strings.Repeat("x", 100) + "\n(Source: B, line 2)\n\n" + strings.Replace(entry3, "[2]", "[3]", 1), 0},
		{"big one dropped, the next tried", budget{maxChars: size(both)}, both, 1},
		{"one short of both", budget{maxChars: size(both) - 1}, entry1, 2},
		{"nothing fits", budget{maxChars: 10}, "", 3},
		{"tokens", budget{maxTokens: (size(both) + 3) / 4}, both, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := packContext(results, tt.budget)
			if p.text != tt.text || p.dropped != tt.dropped || p.chars != size(p.text) {
				t.Errorf("got %q (%d chars), dropped %d; want %q, dropped %d", p.text, p.chars, p.dropped, tt.text, tt.dropped)
			}
			if len(p.used)+p.dropped != len(results) {
				t.Errorf("%d used + %d dropped != %d", len(p.used), p.dropped, len(results))
			}
		})
	}

	src := sources(packContext(results, budget{maxChars: size(both)}).used)
	if len(src) != 1 || src[0].DocID != "a" || len(src[0].Passages) != 2 || src[0].Passages[1] != 2 {
		t.Errorf("sources = %+v", src)
	}
}

// A budget smaller than the best passage gets its beginning, cut at a
// sentence end where one fits, else at a word, and says so; a budget too
// small for even the citation stays empty.
func TestPackContext_truncated(t *testing.T) {
	best := result("a", "Comey was fired on Tuesday. The White House said so. Lavrov joked about it at length.", "A, lines 1-3")
	results := []engine.Result{best, result("b", strings.Repeat("y ", 200), "B, line 9")}
	entry := func(text string) string { return "[1] " + text + " …\n(Source: A, lines 1-3)" }
	tests := []struct {
		name   string
		budget budget
		text   string
	}{
		{"two sentences fit", budget{maxChars: len([]rune(entry("Comey was fired on Tuesday. The White House said so."))) + 3}, entry("Comey was fired on Tuesday. The White House said so.")},
		{"one sentence fits", budget{maxChars: len([]rune(entry("Comey was fired on Tuesday."))) + 5}, entry("Comey was fired on Tuesday.")},
		{"no sentence fits: words", budget{maxChars: len([]rune(entry("Comey was fired"))) + 2}, entry("Comey was fired")},
		{"tokens", budget{maxTokens: 20}, entry("Comey was fired on Tuesday.")},
		{"not even the citation", budget{maxChars: 20}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := packContext(results, tt.budget)
			if p.text != tt.text || p.truncated != (tt.text != "") || p.chars != len([]rune(p.text)) || !tt.budget.fits(p.chars) {
				t.Errorf("got %q (%d chars, truncated %t), want %q", p.text, p.chars, p.truncated, tt.text)
			}
			if tt.text != "" && (len(p.used) != 1 || p.used[0].DocID != "a" || p.dropped != 1) {
				t.Errorf("used %d (%v), dropped %d; want the best passage and 1 dropped", len(p.used), p.used, p.dropped)
			}
		})
	}
}
