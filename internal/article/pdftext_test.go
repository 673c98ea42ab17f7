package article

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

// buildPDF writes a PDF whose objects are objs (object i+1 is objs[i]; a
// string holding "stream\n" gets its /Length filled in) with its
// cross-reference table, as a writer would.
func buildPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		if j := strings.Index(o, "stream\n"); j >= 0 {
			body := strings.TrimSuffix(o[j+len("stream\n"):], "\nendstream")
			o = strings.ReplaceAll(o[:j], "/LENGTH", fmt.Sprint(len(body))) + "stream\n" + body + "\nendstream"
		}
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// TestPageGlyphs reads what the library's own reading got wrong: a TeX
// font without a ToUnicode map (its ligature by its glyph name, its
// braces by their names), text inside a form XObject, word spacing, and no
// "\n" glyph after a TJ.
func TestPageGlyphs(t *testing.T) {
	// Fonts without ToUnicode maps: in F1 code 12 is the "fi" ligature by
	// the encoding built into its Type 1 program (pdfTeX's cmr10; the
	// encrypted part after eexec is not read), in F2 codes 102 and 103 are
	// braces by its Differences (as in cmsy10).
	content := "BT /F1 10 Tf 72 700 Td 5 Tw [(a \x0cle)] TJ 0 -20 Td /F2 10 Tf (\x66x\x67) Tj ET /X1 Do"
	form := "BT /F1 10 Tf 72 600 Td (form text) Tj ET"
	data := buildPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 7 0 R >> /XObject << /X1 6 0 R >> >> >>",
		"<< /Length /LENGTH >>\nstream\n"+content+"\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+CMR10 /FirstChar 0 /LastChar 255 /Widths ["+strings.Repeat("500 ", 256)+"] /FontDescriptor 8 0 R >>",
		"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Length /LENGTH >>\nstream\n"+form+"\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /CMSY10 /FirstChar 0 /LastChar 255 /Widths ["+strings.Repeat("500 ", 256)+"] /Encoding << /Differences [102 /braceleft /braceright] >> >>",
		"<< /Type /FontDescriptor /FontName /ABCDEF+CMR10 /FontFile 9 0 R >>",
		"<< /Length1 /LENGTH /Length /LENGTH >>\nstream\n%!PS-AdobeFont-1.0: CMR10\n/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\ndup 12 /fi put\ndup 97 /a put\nreadonly def\ncurrentfile eexec\nbinary dup 12 /fl put\nendstream",
	)
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	gs := pageGlyphs(r.Page(1))
	var text strings.Builder
	for _, g := range gs {
		if g.S == "\n" {
			t.Errorf("a \\n glyph at %.1f,%.1f", g.X, g.Y)
		}
		text.WriteString(g.S)
	}
	if want := "a file{x}form text"; text.String() != want {
		t.Errorf("text %q, want %q", text.String(), want)
	}
	// "a", " " (5 wide + 5 of word spacing), then the ligature at 72+15.
	if len(gs) < 3 || gs[2].S != "fi" || gs[2].X != 87 || gs[2].W != 5 || gs[2].Font != "CMR10" {
		t.Errorf("ligature glyph %+v", gs[min(2, len(gs)-1)])
	}
	var lines []string
	for _, l := range layoutLines(gs) {
		lines = append(lines, l.text)
	}
	if got, want := strings.Join(lines, "|"), "a file|{x}|form text"; got != want {
		t.Errorf("lines %q, want %q", got, want)
	}
}

func TestGlyphText(t *testing.T) {
	for name, want := range map[string]string{
		"a": "a", "fi": "fi", "ffl": "ffl", "endash": "–", "braceleft": "{", "uni00E9": "é",
		"uni00660069": "fi", "u1F600": "😀", "f_f_i": "ffi", "one.oldstyle": "1", "quotedblright": "”",
	} {
		if got, ok := glyphText(name); !ok || got != want {
			t.Errorf("glyphText(%q) = %q, %t; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"g123", "uniZZZZ", "foo_bar"} {
		if got, ok := glyphText(name); ok {
			t.Errorf("glyphText(%q) = %q, want unknown", name, got)
		}
	}
}
