package article

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"
)

// zipFiles writes an archive of name/content pairs, in order, the first
// stored uncompressed (an EPUB's mimetype must be).
func zipFiles(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		method := zip.Deflate
		if i == 0 {
			method = zip.Store
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: files[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

// wpara is a Word paragraph with an optional style; runs split the text
// as Word does.
func wpara(style, text string) string {
	ppr := ""
	if style != "" {
		ppr = `<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`
	}
	half := len(text) / 2
	return `<w:p>` + ppr + `<w:r><w:t xml:space="preserve">` + text[:half] + `</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>` + text[half:] + `</w:t></w:r></w:p>`
}

func docx(t *testing.T, body string) []byte {
	return zipFiles(t,
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document `+wordNS+`><w:body>`+body+`</w:body></w:document>`,
		"docProps/core.xml", `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><dc:title>Harbour plan</dc:title><dc:creator>Ana Silva</dc:creator><dcterms:created>2026-03-04T10:00:00Z</dcterms:created></cp:coreProperties>`,
	)
}

// TestParseDOCX reads a Word file the test wrote: paragraphs one a line,
// numbered for citations; headings start a passage (a skip span before
// them); list items and table rows as text; title, author and date from
// docProps/core.xml.
func TestParseDOCX(t *testing.T) {
	body := wpara("Title", "Harbour plan 2026") +
		wpara("", "The harbour wall needs repair before the storm season.") +
		wpara("Heading1", "Costs") +
		`<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Concrete for the outer wall</w:t></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Item</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cost</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Wall</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12000</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		wpara("", "Engineers start in May.")
	arts, probs, err := Parse("plans/harbour.docx", "harbour.docx", docx(t, body), "")
	if err != nil || len(probs) != 0 || len(arts) != 1 {
		t.Fatalf("Parse = %+v, %v, %v", arts, probs, err)
	}
	a := arts[0]
	want := "Harbour plan 2026\n\nThe harbour wall needs repair before the storm season.\n\nCosts\n\n- Concrete for the outer wall\n\nItem | Cost\n\nWall | 12000\n\nEngineers start in May."
	if a.Text != want {
		t.Errorf("text\n%q\nwant\n%q", a.Text, want)
	}
	if a.Format != FormatDOCX || a.Title != "Harbour plan" || a.Author != "Ana Silva" || !a.Published.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("format %q title %q author %q published %v", a.Format, a.Title, a.Author, a.Published)
	}
	// "Engineers start in May." is paragraph 7, cited so.
	last := strings.Count(a.Text, "\n") + 1
	if r := a.SourceLine(last); r.First != 7 {
		t.Errorf("last paragraph numbered %d, want 7", r.First)
	}
	heading := strings.Index(a.Text, "Costs")
	if len(a.Skip) != 1 || a.Skip[0].End != heading {
		t.Errorf("skip %v: want a span ending at the heading after the first (%d)", a.Skip, heading)
	}
}

// TestParseDOCX_problems: protected and broken Word files are skipped with
// the reason.
func TestParseDOCX_problems(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"password-protected", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), "password-protected"},
		{"not a zip", []byte("PK\x03\x04 and then nothing"), "broken Word file"},
		{"no document", zipFiles(t, "docProps/core.xml", "<x/>"), "no word/document.xml"},
		{"bad xml", zipFiles(t, "word/document.xml", "<w:document><w:body><w:p>"), "broken Word file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			arts, probs, err := Parse("memo.docx", "memo.docx", c.data, "")
			if err != nil || len(arts) != 0 || len(probs) != 1 || probs[0].Kind != KindSkipped || !strings.Contains(probs[0].Reason, c.want) {
				t.Fatalf("got %d articles, %v, %v; want a skip saying %q", len(arts), probs, err, c.want)
			}
		})
	}
}

func epub(t *testing.T, extra ...string) []byte {
	chapter := func(title, body string) string {
		return `<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>` + title + `</title></head><body><h1>` + title + `</h1>` + body + `</body></html>`
	}
	files := []string{
		"mimetype", "application/epub+zip",
		"META-INF/container.xml", `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
		"OEBPS/content.opf", `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Lighthouse Keeper</dc:title><dc:creator>M. Byrne</dc:creator><dc:date>2019-05-01</dc:date><dc:language>en</dc:language></metadata>` +
			`<manifest><item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c2"/><itemref idref="c1"/></spine></package>`,
		"OEBPS/text/one.xhtml", chapter("Storm", `<p>The storm came at night.</p><p>Waves broke over the wall.</p>`),
		"OEBPS/text/two.xhtml", chapter("Arrival", `<p>She arrived in spring.</p><ul><li>a lamp</li><li>a logbook</li></ul>`),
	}
	return zipFiles(t, append(files, extra...)...)
}

// TestParseEPUB reads an e-book the test built: chapters in spine order
// (not manifest order), each titled and with paragraphs numbered from 1;
// metadata from the OPF.
func TestParseEPUB(t *testing.T) {
	arts, probs, err := Parse("books/keeper.epub", "keeper.epub", epub(t), "")
	if err != nil || len(probs) != 0 || len(arts) != 1 {
		t.Fatalf("Parse = %+v, %v, %v", arts, probs, err)
	}
	a := arts[0]
	if a.Format != FormatEPUB || a.Title != "The Lighthouse Keeper" || a.Author != "M. Byrne" || a.Published.Year() != 2019 || a.Meta["language"] != "en" {
		t.Errorf("format %q title %q author %q published %v meta %v", a.Format, a.Title, a.Author, a.Published, a.Meta)
	}
	if len(a.Chapters) != 2 || a.Chapters[0].Title != "Arrival" || a.Chapters[1].Title != "Storm" {
		t.Fatalf("chapters %+v", a.Chapters)
	}
	i := strings.Index(a.Text, "Waves broke over the wall.")
	if i < a.Chapters[1].Start || ChapterOf(a.Chapters, i) != "Storm" {
		t.Errorf("sentence at %d, chapters %+v", i, a.Chapters)
	}
	// Paragraphs count within the chapter: Storm's heading is 1, the
	// waves 3.
	line := strings.Count(a.Text[:i], "\n") + 1
	if r := a.SourceLine(line); r.First != 3 {
		t.Errorf("waves are paragraph %d of their chapter, want 3\n%s", r.First, a.Text)
	}
	for _, s := range []string{"a lamp", "a logbook", "She arrived in spring."} {
		if !strings.Contains(a.Text, s) {
			t.Errorf("%q missing", s)
		}
	}
	if len(a.Skip) == 0 || a.Skip[len(a.Skip)-1].End != a.Chapters[1].Start {
		t.Errorf("no skip span before chapter 2: %v", a.Skip)
	}
}

// TestParseEPUB_problems: DRM and broken e-books are skipped with the
// reason.
func TestParseEPUB_problems(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"drm", epub(t, "META-INF/encryption.xml", `<encryption><EncryptedData><CipherData><CipherReference URI="OEBPS/text/one.xhtml"/></CipherData></EncryptedData></encryption>`), "DRM-protected"},
		{"no container", zipFiles(t, "mimetype", "application/epub+zip", "OEBPS/content.opf", "<package/>"), "META-INF/container.xml"},
		{"missing chapter", zipFiles(t, "mimetype", "application/epub+zip",
			"META-INF/container.xml", `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`,
			"c.opf", `<package><manifest><item id="x" href="gone.xhtml"/></manifest><spine><itemref idref="x"/></spine></package>`), "no gone.xhtml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			arts, probs, err := Parse("b.epub", "b.epub", c.data, "")
			if err != nil || len(arts) != 0 || len(probs) != 1 || probs[0].Kind != KindSkipped || !strings.Contains(probs[0].Reason, c.want) {
				t.Fatalf("got %d articles, %v, %v; want a skip saying %q", len(arts), probs, err, c.want)
			}
		})
	}
}
