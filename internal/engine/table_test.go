package engine_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
)

// tableDoc writes an article with a 12-row table in format: Markdown,
// HTML or Word (a .docx the test zips itself).
func tableDoc(t *testing.T, format string) (name string, data []byte) {
	t.Helper()
	header := []string{"Item", "Contractor", "Cost in pounds"}
	var rows [][]string
	for i := 1; i <= 12; i++ {
		rows = append(rows, []string{fmt.Sprintf("Section %d", i), fmt.Sprintf("outer wall section %d repaired with new concrete blocks", i), fmt.Sprintf("%d000", i)})
	}
	intro := "The council published the costs of the harbour works this week."
	var b strings.Builder
	switch format {
	case "md":
		b.WriteString("# Harbour costs\n\n" + intro + "\n\n| " + strings.Join(header, " | ") + " |\n|---|---|---:|\n")
		for _, r := range rows {
			b.WriteString("| " + strings.Join(r, " | ") + " |\n")
		}
		return "costs.md", []byte(b.String())
	case "html":
		cells := func(tag string, r []string) string {
			return "<tr><" + tag + ">" + strings.Join(r, "</"+tag+"><"+tag+">") + "</" + tag + "></tr>\n"
		}
		b.WriteString("<html><head><title>Harbour costs</title></head><body>\n<p>" + intro + "</p>\n<table>\n" + cells("th", header))
		for _, r := range rows {
			b.WriteString(cells("td", r))
		}
		b.WriteString("</table>\n</body></html>\n")
		return "costs.html", []byte(b.String())
	}
	para := func(s string) string { return "<w:p><w:r><w:t>" + s + "</w:t></w:r></w:p>" }
	row := func(r []string) string {
		var s strings.Builder
		s.WriteString("<w:tr>")
		for _, c := range r {
			s.WriteString("<w:tc>" + para(c) + "</w:tc>")
		}
		return s.String() + "</w:tr>"
	}
	b.WriteString(para("Harbour costs") + para(intro) + "<w:tbl>" + row(header))
	for _, r := range rows {
		b.WriteString(row(r))
	}
	b.WriteString("</w:tbl>")
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + b.String() + `</w:body></w:document>`},
	} {
		w, err := z.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return "costs.docx", buf.Bytes()
}

// Issue 22 item 3: in Markdown, HTML and Word alike, a passage of table
// rows without the header is embedded and keyword-indexed after the
// header row, while the stored passage, its bytes and its lines stay the
// cited span of the source.
func TestEngine_IndexTablesRepeatHeader(t *testing.T) {
	for _, format := range []string{"md", "html", "docx"} {
		t.Run(format, func(t *testing.T) {
			name, data := tableDoc(t, format)
			arts, probs, err := article.Parse(name, name, data, "")
			if err != nil || len(probs) > 0 || len(arts) != 1 {
				t.Fatalf("parse: %v %v %v", arts, probs, err)
			}
			emb, kw := &bagEmbedder{}, newTermIndex()
			eng, _ := openEngine(t, t.TempDir(), emb, engine.Config{Model: "bag", Keywords: kw,
				Chunk: chunk.Options{Unit: chunk.Words, Size: 30, Overlap: 8, Max: 40}})
			ctx := t.Context()
			if _, err := eng.Index(ctx, "docs", arts, engine.IndexOptions{}); err != nil {
				t.Fatal(err)
			}
			doc, err := eng.Document(ctx, "docs", name)
			if err != nil {
				t.Fatal(err)
			}
			header := "Item | Contractor | Cost in pounds"
			repeated := 0
			for i, in := range emb.inputs {
				if strings.Contains(in, "Section 12") && !strings.Contains(in, header) {
					t.Errorf("passage %d holds the last rows without the header:\n%s", i, in)
				}
				if strings.Contains(in, header) && !strings.Contains(in, "Section 1 ") {
					repeated++
				}
			}
			if repeated < 2 {
				t.Errorf("the header is repeated in %d passages, want it in each after the first:\n%s", repeated, strings.Join(emb.inputs, "\n---\n"))
			}
			if kp := kw.docs[name].Passages; len(kp) < 3 || !strings.Contains(kp[len(kp)-1].Text, header) {
				t.Errorf("BM25 passages lack the header: %+v", kp)
			}
			resp, err := eng.Search(ctx, "docs", engine.Query{Text: "cost of section 11", K: 3, Mode: engine.BM25})
			if err != nil || len(resp.Results) == 0 {
				t.Fatalf("search: %v %v", resp, err)
			}
			for _, r := range resp.Results {
				if doc.Text[r.Start:r.End] != r.Text {
					t.Errorf("passage %d text is not its span: %q", r.Chunk, r.Text)
				}
				// Shown with its header, which is not in its span.
				if strings.Contains(r.Text, "Section 11") && (!strings.Contains(r.TableHeader, header) || !strings.HasPrefix(engine.ResultBody(r), r.TableHeader+"\n")) {
					t.Errorf("passage %d shown without its header %q: %q", r.Chunk, r.TableHeader, engine.ResultBody(r))
				}
			}
		})
	}
}
