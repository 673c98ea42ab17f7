package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

// bbcTech loads BBC tech articles from the shared test data, skipping
// when it is not there.
func bbcTech(t *testing.T, names ...string) []article.Article {
	t.Helper()
	var arts []article.Article
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("../../../shared/data/bbc/tech", n))
		if os.IsNotExist(err) {
			t.Skip("the BBC corpus is not in ../shared/data/bbc")
		} else if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		title, _, _ := strings.Cut(text, "\n")
		arts = append(arts, article.Article{ID: "tech/" + n, Source: "tech/" + n, Title: title, Text: text})
	}
	return arts
}

func TestEngine_SearchFoldsDuplicates(t *testing.T) {
	// tech/003.txt and tech/036.txt are the same article under two names.
	arts := bbcTech(t, "003.txt", "036.txt", "001.txt", "002.txt", "010.txt")
	eng := newHybrid(t, t.TempDir(), newTermIndex())
	ctx := t.Context()
	if _, err := eng.Index(ctx, "bbc", arts, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	question := arts[0].Title
	for _, mode := range []engine.Mode{engine.Vector, engine.BM25, engine.Hybrid} {
		resp, err := eng.Search(ctx, "bbc", engine.Query{Text: question, K: 5, Mode: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		seen := map[string]string{}
		for _, r := range resp.Results {
			if prev, ok := seen[r.Text]; ok {
				t.Errorf("%s: %s repeats the text of %s", mode, r.Citation, prev)
			}
			seen[r.Text] = r.Citation
		}
		// Vectors rank every passage; the toy keyword index only those
		// holding a word of the question.
		if mode != engine.BM25 && len(resp.Results) != 5 {
			t.Errorf("%s: %d results, want 5 (k) after folding", mode, len(resp.Results))
		}
		top := resp.Results[0]
		if len(top.Duplicates) != 1 || !strings.Contains(top.Duplicates[0], "tech/0") {
			t.Errorf("%s: top %s lists duplicates %q, want its copy in the other article", mode, top.Citation, top.Duplicates)
		}

		kept, err := eng.Search(ctx, "bbc", engine.Query{Text: question, K: 5, Mode: mode, KeepDuplicates: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(kept.Results) < 2 || kept.Results[0].Text != kept.Results[1].Text || kept.Results[0].DocID == kept.Results[1].DocID || kept.Results[0].Duplicates != nil {
			t.Errorf("%s keeping duplicates: the two copies are not the first two results: %v", mode, citations(kept.Results))
		}
	}
}

func citations(rs []engine.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Citation)
	}
	return out
}
