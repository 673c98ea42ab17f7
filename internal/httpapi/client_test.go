package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClient runs every call of the Client against the real handler (over
// a fake engine), typed requests and answers both ways.
func TestClient(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.APIKey = "secret" })
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := t.Context()

	cl, err := NewClient(srv.URL+"/", "secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := []map[string]any{
		{"id": "comey.txt", "title": "Comey fired", "text": "President Trump fired FBI director James Comey.", "published": "2017-05-09"},
		{"id": "fruit.txt", "text": "Bananas are yellow.", "source": "notes/fruit.txt"},
	}
	ir, err := cl.AddDocuments(ctx, "", docs)
	if err != nil || ir.New != 2 || ir.Collection != "news" {
		t.Fatalf("AddDocuments = %+v, %v", ir, err)
	}
	k := 1
	sr, err := cl.Search(ctx, SearchRequest{Query: "Comey fired", K: &k, Filter: &Filter{After: "2017-01-01"}})
	if err != nil || len(sr.Results) != 1 || sr.Results[0].DocID != "comey.txt" {
		t.Fatalf("Search = %+v, %v", sr, err)
	}
	cr, err := cl.Context(ctx, ContextRequest{SearchRequest: SearchRequest{Query: "Comey"}})
	if err != nil || cr.Passages == 0 || !strings.Contains(cr.Context, "Comey") {
		t.Fatalf("Context = %+v, %v", cr, err)
	}
	list, err := cl.Documents(ctx, "news", 0, 10)
	if err != nil || list.Total != 2 || list.Documents[0].ID != "comey.txt" {
		t.Fatalf("Documents = %+v, %v", list, err)
	}
	doc, err := cl.Document(ctx, "", "fruit.txt")
	if err != nil || doc.Source != "notes/fruit.txt" || doc.Text != "Bananas are yellow." {
		t.Fatalf("Document = %+v, %v", doc, err)
	}
	if dr, err := cl.Delete(ctx, "", "fruit.txt"); err != nil || dr.Deleted != "fruit.txt" {
		t.Fatalf("Delete = %+v, %v", dr, err)
	}
	cols, err := cl.Collections(ctx)
	if err != nil || cols.Default != "news" || len(cols.Collections) != 1 {
		t.Fatalf("Collections = %+v, %v", cols, err)
	}

	// Errors carry the server's status, code and message.
	for _, tt := range []struct {
		name   string
		call   func(*Client) error
		status int
		code   string
	}{
		{"missing document", func(c *Client) error { _, err := c.Document(ctx, "", "fruit.txt"); return err }, 404, "not_found"},
		{"bad k", func(c *Client) error {
			k := 1001
			_, err := c.Search(ctx, SearchRequest{Query: "x", K: &k})
			return err
		}, 400, "invalid_k"},
		{"bad filter id", func(c *Client) error {
			_, err := c.Search(ctx, SearchRequest{Query: "x", Filter: &Filter{DocIDs: []string{"a\x1b"}}})
			return err
		}, 400, "invalid_filter"},
		{"bad id", func(c *Client) error { _, err := c.Delete(ctx, "", strings.Repeat("x", 1025)); return err }, 400, "invalid_id"},
		{"no key", func(*Client) error {
			c, _ := NewClient(srv.URL, "", nil)
			_, err := c.Collections(ctx)
			return err
		}, 401, "unauthorized"},
	} {
		err := tt.call(cl)
		var e *Error
		if !errors.As(err, &e) || e.Status != tt.status || e.Code != tt.code || e.Message == "" || e.Base != srv.URL {
			t.Errorf("%s: err = %#v, want status %d code %s", tt.name, err, tt.status, tt.code)
		}
	}
	if _, err := cl.Document(ctx, "", "gone"); !IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}

	// The context's deadline applies.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cl.Collections(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled call: %v", err)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://x/?a=b"} {
		if _, err := NewClient(bad, "", http.DefaultClient); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}
