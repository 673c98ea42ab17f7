package httpapi

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAddFiles checks POST /v1/files: the server parses files with the
// loaders (Markdown front matter, Latin-1 sent as base64), applies the
// client's ids and title, and refuses what it cannot store as one.
func TestAddFiles(t *testing.T) {
	s, eng := newTestServer(t, func(c *Config) { c.MaxArticles = 3 })
	srv := httptest.NewServer(s)
	defer srv.Close()
	cl, err := NewClient(srv.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := func(s string) *string { return &s }
	md := "---\ntitle: Comey fired\nauthor: A. Reporter\n---\n\nTrump fired Comey.\n"
	resp, err := cl.AddFiles(t.Context(), "", []File{
		{Name: "notes/fired.md", ID: "fired.md", Text: text(md), IDs: []string{"p/fired.md"}},
		{Name: "cafe.txt", ID: "cafe.txt", Format: "text", Base64: base64.StdEncoding.EncodeToString([]byte("Caf\xe9\n\nCoffee.\n")), Title: "Café"},
		{Name: "items.jsonl", ID: "items.jsonl", Text: text(`{"id":"a","text":"One."}` + "\n" + `{"id":"b","text":"Two."}` + "\n"), IDs: []string{"", "b2"}},
	})
	if err != nil || resp.New != 3 {
		t.Fatalf("AddFiles = %+v, %v", resp, err)
	}
	eng.mu.Lock()
	docs := eng.cols["news"]
	fired, cafe, b2 := docs["p/fired.md"], docs["cafe.txt"], docs["b2"]
	_, a := docs["a"]
	eng.mu.Unlock()
	if fired.Format != "markdown" || fired.Title != "Comey fired" || fired.Author != "A. Reporter" || fired.Source != "notes/fired.md" || fired.Text != md {
		t.Errorf("markdown stored as %+v", fired)
	}
	if cafe.Title != "Café" || !strings.HasPrefix(cafe.Text, "Café") || cafe.Format != "text" {
		t.Errorf("base64 file stored as %+v", cafe)
	}
	if b2.Text != "Two." || a {
		t.Errorf("ids not applied: b2 %+v, a stored %t", b2, a)
	}

	for _, tt := range []struct {
		name  string
		files []File
		code  string
	}{
		{"no files", nil, "invalid_document"},
		{"no name", []File{{ID: "x", Text: text("x")}}, "invalid_document"},
		{"control id", []File{{Name: "x.txt", ID: "x\x1b", Text: text("x")}}, "invalid_document"},
		{"long renamed id", []File{{Name: "x.txt", ID: "x", Text: text("x"), IDs: []string{strings.Repeat("y", 1025)}}}, "invalid_document"},
		{"ids miscounted", []File{{Name: "x.txt", ID: "x", Text: text("x"), IDs: []string{"a", "b"}}}, "invalid_document"},
		{"bad base64", []File{{Name: "x.txt", ID: "x", Base64: "%%%"}}, "invalid_document"},
		{"both", []File{{Name: "x.txt", ID: "x", Text: text("x"), Base64: "eA=="}}, "invalid_document"},
		{"unknown format", []File{{Name: "x.txt", ID: "x", Text: text("x"), Format: "pdf"}}, "invalid_document"},
		{"over --max-articles", []File{{Name: "m.jsonl", ID: "m", Text: text("{\"id\":\"1\",\"text\":\"a\"}\n{\"id\":\"2\",\"text\":\"b\"}\n{\"id\":\"3\",\"text\":\"c\"}\n{\"id\":\"4\",\"text\":\"d\"}\n")}}, "too_many_articles"},
	} {
		_, err := cl.AddFiles(t.Context(), "", tt.files)
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code {
			t.Errorf("%s: %v, want code %s", tt.name, err, tt.code)
		}
	}
}
