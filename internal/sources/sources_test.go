package sources

import (
	"errors"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func TestReport(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	docs := map[string]vectorstore.Document{
		"a.md":    {ID: "a.md", Passages: 2, Indexed: now},
		"b.md":    {ID: "b.md", Passages: 1, Indexed: t0},
		"r.jsonl": {ID: "r.jsonl", Passages: 1, Indexed: t0},
		"p.pdf":   {ID: "p.pdf", Passages: 5, Pages: []int{0, 10, 20}, Indexed: t0},
		"old.md":  {ID: "old.md", Passages: 1, Indexed: t0},
		"moved":   {ID: "moved", Passages: 1, Indexed: now},
	}
	prev := []vectorstore.FileReport{
		{Path: "/d/r.jsonl", IDs: []string{"r.jsonl"}, Status: vectorstore.FileIndexed},
		{Path: "/other/old.md", IDs: []string{"old.md"}, Status: vectorstore.FileIndexed},
		{Path: "/other/gone.md", IDs: []string{"gone.md"}, Status: vectorstore.FileIndexed},
	}
	run := Run{
		Articles: []article.Article{
			{ID: "a.md", Source: "/d/a.md"}, {ID: "b.md", Source: "/d/b.md"}, {ID: "p.pdf", Source: "/d/p.pdf"},
			{ID: "moved", Source: "/d/new/moved"}, {ID: "c.md", Source: "/d/c.md"},
		},
		Problems: []article.Problem{
			{Source: "/d/r.jsonl", Kind: article.KindError, Reason: "line 2: invalid JSON"},
			{Source: "/d/big.txt", Kind: article.KindSkipped, Reason: "file too large"},
			{Source: "/d", Kind: article.KindEmpty, Reason: "not a file"},
		},
		Results: []engine.DocResult{
			{ID: "a.md", Status: engine.DocUpdated}, {ID: "b.md", Status: engine.DocUnchanged}, {ID: "p.pdf", Status: engine.DocUnchanged},
			{ID: "moved", Status: engine.DocNew}, {ID: "c.md", Status: engine.DocNotStored},
		},
		MovedFrom: map[string]string{"moved": "m"},
		Err:       errors.New("embedding server down"),
	}
	got := Report(prev, run, docs, now, func(f vectorstore.FileReport) bool {
		_, ok := docs[f.IDs[0]]
		return ok
	})
	want := map[string]vectorstore.FileReport{
		"/d/a.md":       {Status: "indexed", Articles: 1, Passages: 2, When: now},
		"/d/b.md":       {Status: "unchanged", Articles: 1, Passages: 1, When: t0},
		"/d/p.pdf":      {Status: "unchanged", Articles: 1, Passages: 5, Pages: 3, When: t0},
		"/d/new/moved":  {Status: "indexed", Reason: "moved from m: vectors kept, nothing embedded", Articles: 1, Passages: 1, When: now},
		"/d/c.md":       {Status: "failed", Reason: "not stored: embedding server down", When: now},
		"/d/r.jsonl":    {Status: "failed", Reason: "line 2: invalid JSON", Articles: 1, Passages: 1, When: t0}, // keeps what it held
		"/d/big.txt":    {Status: "skipped", Reason: "file too large", When: now},
		"/other/old.md": {Status: "indexed"}, // another root's, still stored: kept as it was
	}
	if len(got) != len(want) {
		t.Errorf("%d files, want %d: %+v", len(got), len(want), got)
	}
	for i, f := range got {
		if i > 0 && got[i-1].Path >= f.Path {
			t.Errorf("not sorted by path: %s after %s", f.Path, got[i-1].Path)
		}
		w, ok := want[f.Path]
		if !ok {
			t.Errorf("unexpected %+v", f)
			continue
		}
		if f.Status != w.Status || f.Reason != w.Reason || f.Passages != w.Passages || f.Pages != w.Pages || !f.When.Equal(w.When) || (w.Articles > 0 && f.Articles != w.Articles) {
			t.Errorf("%s: got %+v, want %+v", f.Path, f, w)
		}
	}
}

func TestAddRoots(t *testing.T) {
	a := vectorstore.SourceRoot{Path: "/a"}
	b := vectorstore.SourceRoot{Path: "/b", Include: []string{"*.md"}}
	b2 := vectorstore.SourceRoot{Path: "/b", Exclude: []string{"x"}}
	got := AddRoots([]vectorstore.SourceRoot{a, b}, b2, vectorstore.SourceRoot{Path: "/c"})
	if len(got) != 3 || got[1].Exclude[0] != "x" || got[1].Include != nil || got[2].Path != "/c" {
		t.Errorf("AddRoots = %+v", got)
	}
}
