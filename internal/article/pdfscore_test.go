package article

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// Debian documentation PDFs the extraction score is measured on (`make
// pdf-score` installs their packages and poppler-utils); their text layers
// were made by versions of pdfTeX from 0.13 on. (debian-refcard is left
// out: its boxes of two-column tables in four columns are read in an order
// of their own by each tool.)
var debianPDFs = []string{
	"/usr/share/doc/camlidl/camlidl-1.04.doc.pdf",
	"/usr/share/doc/docbook-xsl-doc-pdf/doc/reference.pdf.gz",
	"/usr/share/doc/gri/gri.pdf.gz",
}

// scorePages bounds the pages of a long manual that are compared.
const scorePages = 60

// TestPDFExtractionScore measures how many words, in order, semsearch's
// PDF extraction recovers next to poppler's pdftotext: on PDFs Chromium
// printed from the sample articles (whose words are known: both are scored
// against them) and on Debian documentation PDFs (scored against
// pdftotext's words, page by page). A score is the longest common
// subsequence of words over the reference's words. It fails when
// semsearch recovers less than 98% of what pdftotext does. Run with
// SEMSEARCH_PDF_SCORE=1 (make pdf-score prints the table); it needs
// pdftotext, and Chromium for the printed articles.
func TestPDFExtractionScore(t *testing.T) {
	if os.Getenv("SEMSEARCH_PDF_SCORE") == "" {
		t.Skip("set SEMSEARCH_PDF_SCORE=1 (or run make pdf-score) to measure PDF extraction against pdftotext")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is missing: make pdf-score installs poppler-utils")
	}
	dir := t.TempDir()
	type row struct {
		name          string
		pages, words  int
		ours, poppler float64 // poppler < 0: the reference is pdftotext itself
	}
	var rows []row
	chromium := os.Getenv("SEMSEARCH_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	articles, _ := filepath.Glob("../../examples/articles/*.txt")
	if _, err := os.Stat(chromium); err != nil || len(articles) == 0 {
		t.Errorf("no Chromium at %s (SEMSEARCH_CHROMIUM) or no examples/articles: the printed PDFs are not measured", chromium)
	}
	// Each article is printed three times: in one column, and in two and
	// three columns under a full-width heading (a paper's, a newspaper's
	// or a newsletter's layout).
	type layout struct{ name, style string }
	layouts := []layout{{"", "font-family:serif"}, {" (2 columns)", "font-family:serif;column-count:2;column-gap:2em"},
		{" (3 columns)", "font-family:serif;column-count:3;column-gap:2em"}}
	for _, src := range articles {
		for _, lay := range layouts {
			if _, err := os.Stat(chromium); err != nil {
				break
			}
			text, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimSuffix(filepath.Base(src), ".txt")
			page := filepath.Join(dir, name+".html")
			var b strings.Builder
			b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + name + `</title></head><body style="` + lay.style + `">`)
			for _, l := range strings.Split(string(text), "\n") {
				if strings.TrimSpace(l) != "" {
					b.WriteString("<p>" + html.EscapeString(l) + "</p>\n")
				}
			}
			if err := os.WriteFile(page, []byte(b.String()+"</body></html>"), 0o644); err != nil {
				t.Fatal(err)
			}
			pdfPath := filepath.Join(dir, name+".pdf")
			// With Chromium's header and footer: running lines to drop.
			cmd := exec.CommandContext(t.Context(), chromium, "--headless", "--no-sandbox", "--disable-gpu", "--print-to-pdf="+pdfPath, "file://"+page)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			ours, pages := ourText(t, pdfPath)
			truth := words(string(text))
			pt := words(strings.Join(pdftotext(t, pdfPath), " "))
			rows = append(rows, row{"chromium: " + name + lay.name, pages, len(truth), lcsShare(words(strings.Join(ours, " ")), truth), lcsShare(pt, truth)})
		}
	}
	for _, p := range debianPDFs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%v: make pdf-score installs it", err)
			continue
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".gz"))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ours, pages := ourText(t, path)
		ref := pdftotext(t, path)
		var common, total int
		for i := 0; i < min(len(ours), len(ref), scorePages); i++ {
			r := words(ref[i])
			common += lcs(words(ours[i]), r)
			total += len(r)
		}
		rows = append(rows, row{"debian: " + strings.TrimSuffix(filepath.Base(p), ".gz"), min(pages, scorePages), total, float64(common) / float64(max(total, 1)), -1})
	}
	var tb strings.Builder
	fmt.Fprintf(&tb, "| PDF | pages | reference words | semsearch | pdftotext | semsearch / pdftotext |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ratio, pop := r.ours, "(reference)"
		if r.poppler >= 0 {
			ratio = r.ours / r.poppler
			pop = fmt.Sprintf("%.1f%%", 100*r.poppler)
		}
		fmt.Fprintf(&tb, "| %s | %d | %d | %.1f%% | %s | %.1f%% |\n", r.name, r.pages, r.words, 100*r.ours, pop, 100*ratio)
		if ratio < 0.98 {
			t.Errorf("%s: semsearch recovers %.1f%% of what pdftotext does, below 98%%", r.name, 100*ratio)
		}
	}
	t.Log("words recovered in order (longest common subsequence / reference words):\n" + tb.String())
}

// ourText returns semsearch's text of each page of a PDF.
func ourText(t *testing.T, path string) ([]string, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	arts, probs, err := Parse(path, filepath.Base(path), data, "")
	if err != nil || len(arts) != 1 {
		t.Fatalf("%s: %v %v", path, probs, err)
	}
	a := arts[0]
	pages := make([]string, len(a.Pages))
	for i, s := range a.Pages {
		e := len(a.Text)
		if i+1 < len(a.Pages) {
			e = a.Pages[i+1]
		}
		pages[i] = a.Text[s:e]
	}
	return pages, len(pages)
}

// pdftotext returns poppler's text of each page.
func pdftotext(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return strings.Split(string(out), "\f")
}

// words lower-cases s and splits it into runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(ligatures.Replace(s)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func lcsShare(got, ref []string) float64 {
	return float64(lcs(got, ref)) / float64(max(len(ref), 1))
}

// lcs is the length of the longest common subsequence of a and b.
func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
