package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Issue 21 item 11: a filter that matches nothing says which part and why,
// in the response's warnings, instead of an empty answer alone.
func TestEngine_SearchExplainsEmptyFilter(t *testing.T) {
	eng := newHybrid(t, t.TempDir(), newTermIndex())
	ctx := t.Context()
	arts := []article.Article{
		{ID: "sport/001.txt", Source: "sport/001.txt", Title: "Match", Text: "Match\n\nThe team won the match."},
		{ID: "sport/002.txt", Source: "sport/002.txt", Title: "Cup", Text: "Cup\n\nThe cup final was played.", Meta: map[string]string{"league": "premier"}},
		{ID: "tech/001.txt", Source: "tech/001.txt", Title: "Chips", Text: "Chips\n\nThe team built faster chips.",
			Published: time.Date(2017, 5, 10, 0, 0, 0, 0, time.UTC), Meta: map[string]string{"league": "none"}},
	}
	if _, err := eng.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	day := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		filter vectorstore.Filter
		want   []string // in the one warning
	}{
		{"unknown field", vectorstore.Filter{Meta: map[string]string{"category": "sport"}}, []string{`no document of "news" has a field "category"`, "fields: author, league, source, title, url"}},
		{"no such value", vectorstore.Filter{Meta: map[string]string{"league": "Premier"}}, []string{`has league = "Premier"`, "case-sensitive"}},
		{"unknown id", vectorstore.Filter{DocIDs: []string{"sport/999.txt"}}, []string{`has the id "sport/999.txt"`}},
		{"undated", vectorstore.Filter{After: day(2018)}, []string{"dated in the range", "2 of its 3 documents have no date"}},
		{"together", vectorstore.Filter{DocIDs: []string{"sport/001.txt"}, Meta: map[string]string{"league": "none"}}, []string{"no document matches all of them"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := eng.Search(ctx, "news", engine.Query{Text: "team", K: 3, Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Results) != 0 || len(resp.Warnings) != 1 {
				t.Fatalf("%d results, warnings %q", len(resp.Results), resp.Warnings)
			}
			for _, w := range tt.want {
				if !strings.Contains(resp.Warnings[0], w) {
					t.Errorf("warning %q lacks %q", resp.Warnings[0], w)
				}
			}
		})
	}
	// A filter that matches gives no such warning.
	resp, err := eng.Search(ctx, "news", engine.Query{Text: "team", K: 3, Filter: vectorstore.Filter{After: day(2017)}})
	if err != nil || len(resp.Results) == 0 || len(resp.Warnings) != 0 {
		t.Errorf("matching filter: %v, %d results, warnings %q", err, len(resp.Results), resp.Warnings)
	}
}

// Issue 21 item 11: a prefix of ids or sources (a folder) filters before
// ranking in every mode, and a prefix of nothing says so.
func TestEngine_SearchDocPrefix(t *testing.T) {
	eng := newHybrid(t, t.TempDir(), newTermIndex())
	ctx := t.Context()
	arts := []article.Article{
		{ID: "sport/001.txt", Source: "/data/bbc/sport/001.txt", Title: "Match", Text: "Match\n\nThe team won the match."},
		{ID: "sport/002.txt", Source: "/data/bbc/sport/002.txt", Title: "Cup", Text: "Cup\n\nThe team lifted the cup."},
		{ID: "tech/001.txt", Source: "/data/bbc/tech/001.txt", Title: "Chips", Text: "Chips\n\nThe team won a prize for the team's team chips, team."},
	}
	if _, err := eng.Index(ctx, "news", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []engine.Mode{engine.Vector, engine.BM25, engine.Hybrid} {
		for _, prefix := range []string{"sport/", "/data/bbc/sport/"} {
			resp, err := eng.Search(ctx, "news", engine.Query{Text: "team", K: 2, Mode: mode, Filter: vectorstore.Filter{DocPrefix: prefix}})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Results) != 2 || !strings.HasPrefix(resp.Results[0].DocID, "sport/") || !strings.HasPrefix(resp.Results[1].DocID, "sport/") {
				t.Errorf("%s, prefix %q: %v", mode, prefix, citations(resp.Results))
			}
		}
		resp, err := eng.Search(ctx, "news", engine.Query{Text: "team", K: 2, Mode: mode, Filter: vectorstore.Filter{DocPrefix: "Sport/"}})
		if err != nil || len(resp.Results) != 0 || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], `starting with "Sport/"`) {
			t.Errorf("%s, prefix of nothing: %v, %v, warnings %q", mode, err, citations(resp.Results), resp.Warnings)
		}
	}
	if _, err := (engine.FilterSpec{DocPrefix: "a\x1bb"}).Filter(); err == nil || !strings.Contains(err.Error(), "doc_prefix") {
		t.Errorf("control characters in a prefix: %v", err)
	}
}
