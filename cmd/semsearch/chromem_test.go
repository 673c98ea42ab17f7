package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/philippgille/chromem-go"
)

// chromemArticles are short articles whose passages the fake model spreads
// over its 8 dimensions.
func chromemArticles() map[string]string {
	topics := []string{"bees pollinate city gardens", "the river floods the old town", "chip makers double laptop speed",
		"a comet passes close to earth", "bakers rise before dawn for bread", "the orchestra tunes its violins",
		"glaciers retreat in the warm summer", "trains run late after the storm", "a chess player wins the final",
		"farmers sell apples at the market", "the museum opens a new wing", "sailors cross the stormy sea"}
	articles := map[string]string{}
	for i, t := range topics {
		articles[fmt.Sprintf("a%02d.md", i)] = fmt.Sprintf("# Story %d\n\n%s.\n\nPeople say %s again.\n\nNews of %s travels far.\n", i, t, t, strings.Fields(t)[1])
	}
	return articles
}

// TestExport_chromemQueriedByChromemAlone: `export --format chromem -o
// FILE` writes a file that a Go program loads with
// chromem.NewDB().ImportFromFile and queries with chromem-go alone, the
// query embedded by the same model, getting the top 10 of `search --mode
// vector`; `import FILE` reads it back into a collection that searches the
// same.
func TestExport_chromemQueriedByChromemAlone(t *testing.T) {
	f := newFakeOllama(t, "fake")
	g := indexed(t, f, chromemArticles())
	file := filepath.Join(t.TempDir(), "mine.chromem.gz")
	if _, errOut, code := runExit(t, "", append([]string{"export", "--format", "chromem", "-o", file}, g...)...); code != 0 {
		t.Fatalf("export --format chromem: %d %s", code, errOut)
	}
	db := chromem.NewDB()
	if err := db.ImportFromFile(file, ""); err != nil {
		t.Fatal(err)
	}
	col := db.GetCollection("mine", func(_ context.Context, text string) ([]float32, error) {
		return fakeVector(text), nil // the model the collection was indexed with
	})
	if col == nil {
		t.Fatalf("no collection mine in %v", db.ListCollections())
	}
	other := t.TempDir()
	if _, errOut, code := runExit(t, "", append([]string{"import", file}, append(f.flags(other), "-c", "copy")...)...); code != 0 {
		t.Fatalf("import of the chromem-go export: %d %s", code, errOut)
	}
	for _, q := range []string{"bees in the city", "storm at sea", "laptop chips", "bread at dawn"} {
		want := searchRanking(t, append([]string{"--mode", "vector", q}, g...)...)
		got, err := col.Query(t.Context(), q, 10, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want.Results) || len(got) != 10 {
			t.Fatalf("%q: chromem-go gave %d results, search %d (want 10)", q, len(got), len(want.Results))
		}
		for i, w := range want.Results {
			g := got[i]
			if g.ID != fmt.Sprintf("%s#%d", w.DocID, w.Chunk) || g.Content != w.Text || abs(float64(g.Similarity)-w.Score) > 1e-4 {
				t.Errorf("%q result %d: chromem-go %s %.6f %q, search %s#%d %.6f %q", q, i, g.ID, g.Similarity, g.Content, w.DocID, w.Chunk, w.Score, w.Text)
			}
		}
		sameResults(t, "imported from chromem-go, "+q, searchRanking(t, append([]string{"--mode", "vector", q}, append(f.flags(other), "-c", "copy")...)...), want)
	}
}

// TestImport_chromemBuiltWithChromem: `import` reads a database made with
// chromem-go's own API into a collection embedded by --model, with the
// vectors' dimension, found by vector and BM25 search; without --model it
// refuses, saying to give it.
func TestImport_chromemBuiltWithChromem(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL") // the runtime's, in `make test`: it would be a --model
	db := chromem.NewDB()
	col, err := db.CreateCollection("notes", nil, func(_ context.Context, text string) ([]float32, error) { return fakeVector(text), nil })
	if err != nil {
		t.Fatal(err)
	}
	notes := []string{"bees pollinate city gardens", "the river floods the old town", "chip makers double laptop speed"}
	for i, n := range notes {
		if err := col.AddDocument(t.Context(), chromem.Document{ID: fmt.Sprint("n", i), Content: n, Metadata: map[string]string{"title": "Note " + fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "notes.gob.gz")
	if err := db.ExportToFile(file, true, ""); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	flags := append(f.flags(data), "-c", "notes")
	noModel := []string{"--ollama", f.URL, "--data", data, "-c", "notes"}
	if _, errOut, code := runExit(t, "", append([]string{"import", file}, noModel...)...); code == 0 || !strings.Contains(errOut, "--model") {
		t.Errorf("import without --model: %d %s; want a refusal asking for --model", code, errOut)
	}
	_, errOut, code := runExit(t, "", append([]string{"import", file}, flags...)...)
	if code != 0 || !strings.Contains(errOut, "3 documents, 3 passages (model fake)") {
		t.Fatalf("import: %d %s", code, errOut)
	}
	for _, mode := range []string{"vector", "bm25"} {
		r := searchRanking(t, append([]string{"--mode", mode, "chip makers double laptop speed"}, flags...)...)
		if len(r.Results) == 0 || r.Results[0].DocID != "n2" || r.Results[0].Text != notes[2] {
			t.Errorf("--mode %s: %+v, want n2 first", mode, r.Results)
		}
	}
}
