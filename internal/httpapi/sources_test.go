package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// sourcesEngine is the fake engine with recorded sources.
type sourcesEngine struct {
	*fakeEngine
	src map[string]vectorstore.Sources
}

func (e sourcesEngine) Sources(_ context.Context, col string) (vectorstore.Sources, error) {
	if _, ok := e.cols[col]; !ok {
		return vectorstore.Sources{}, notFound(col)
	}
	return e.src[col], nil
}

// TestListFiles: GET /v1/files answers with the collection's sources and
// file report, through httpapi.Client too; a collection without sources
// gets a note, an unknown one 404.
func TestListFiles(t *testing.T) {
	when := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	src := vectorstore.Sources{
		Roots: []vectorstore.SourceRoot{{Path: "/docs", Include: []string{"*.md"}, Added: when}},
		Files: []vectorstore.FileReport{
			{Path: "/docs/a.md", Status: vectorstore.FileIndexed, IDs: []string{"a.md"}, Articles: 1, Passages: 3, When: when},
			{Path: "/docs/b.pdf", Status: vectorstore.FileSkipped, Reason: "scanned: no text layer (4 pages)", When: when},
		},
	}
	base := newFakeEngine("news", "empty", "api")
	// "api" has a file report but no folder: its files came through the API.
	apiOnly := vectorstore.Sources{Files: src.Files[:1]}
	s, _ := newTestServer(t, func(c *Config) {
		c.Engine = sourcesEngine{base, map[string]vectorstore.Sources{"news": src, "api": apiOnly}}
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cl, err := NewClient(srv.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	got, err := cl.Files(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Collection != "news" || len(got.Roots) != 1 || got.Roots[0].Path != "/docs" || len(got.Files) != 2 ||
		got.Files[1].Status != "skipped" || !strings.Contains(got.Files[1].Reason, "no text layer") || got.Files[0].Passages != 3 || !got.Files[0].When.Equal(when) {
		t.Errorf("GET /v1/files = %+v", got)
	}
	empty, err := cl.Files(ctx, "empty")
	if err != nil || len(empty.Files) != 0 || !strings.Contains(empty.Note, "no sources recorded") {
		t.Errorf("a collection without sources: %+v, %v", empty, err)
	}
	// Lists are lists in JSON, never null, so clients can iterate them.
	for _, col := range []string{"api", "empty"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/files?collection="+col, nil))
		if body := rec.Body.String(); !strings.Contains(body, `"roots":[]`) || strings.Contains(body, "null") {
			t.Errorf("%s: GET /v1/files = %s, want \"roots\":[] and no null", col, body)
		}
	}
	if _, err := cl.Files(ctx, "nosuch"); err == nil || !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "not_found") {
		t.Errorf("an unknown collection: %v", err)
	}
	// An engine that keeps no sources (a Weaviate store) says so.
	plain, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/files", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "does not keep") {
		t.Errorf("without sources: %d %s", rec.Code, rec.Body.String())
	}
}
