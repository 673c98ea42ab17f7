package article

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics or fails on any input in any
// format, and that every article it returns keeps the invariants of
// checkArticle: Skip spans ordered, non-overlapping, within Text and on line
// boundaries.
func FuzzParse(f *testing.F) {
	formats := []string{"", "text", "markdown", "html", "json", "jsonl", "pdf", "docx", "epub"}
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for i := range formats {
			f.Add(data, uint8(i))
		}
	}
	for _, s := range []string{
		"Title\n\nBy Jane Doe\nMay 12, 2017\n\nBody\nAdvertisement",
		"---\ntitle: x\n---\n",
		"---\n---\n",
		"\r\n\r\nAdvertisement\r\n",
		"[{\"text\":\"a\"},1,\"x\",{\"id\":2}]",
		"{\"text\":\"a\"}\n[{\"text\":\"b\"}]\n",
		"<pre>\n\n</pre><p>x</p>",
		"\xff\xfe\x00",
	} {
		for i := range formats {
			f.Add([]byte(s), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		arts, probs, err := Parse("src", "id", data, formats[int(format)%len(formats)])
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, a := range arts {
			if msg := articleInvariant(a); msg != "" {
				t.Fatalf("article %q: %s", a.ID, msg)
			}
		}
		for _, p := range probs {
			if p.Source != "src" || (p.Kind != KindSkipped && p.Kind != KindRepaired && p.Kind != KindError) || p.Reason == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}
