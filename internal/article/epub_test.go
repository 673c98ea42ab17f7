package article

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestParseEPUB_tocAndFragments: as SiSU writes e-books, the spine names
// one file many times through manifest items with #fragments, and the
// chapters' own <title>s are file names; the file is read once and its
// chapter is titled as the table of contents (toc.ncx or the EPUB 3 nav)
// names it.
func TestParseEPUB_tocAndFragments(t *testing.T) {
	page := func(title, body string) string {
		return `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>` + title + `</title></head><body>` + body + `</body></html>`
	}
	for _, c := range []struct{ name, tocItem, tocFile, toc string }{
		{"ncx", `<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>`, "OEBPS/toc.ncx",
			// Unclosed navPoints, as that writer leaves them.
			`<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>` +
				`<navPoint><navLabel><text>About this manual</text></navLabel><content src="about.xhtml"/>` +
				`<navPoint><navLabel><text>Terms</text></navLabel><content src="about.xhtml#o8"/>` +
				`<navPoint><navLabel><text>The basics</text></navLabel><content src="basics.xhtml"/></navMap></ncx>`},
		{"nav", `<item id="nav" href="nav.xhtml" properties="nav" media-type="application/xhtml+xml"/>`, "OEBPS/nav.xhtml",
			`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><ol>` +
				`<li><a href="about.xhtml">About this manual</a><ol><li><a href="about.xhtml#o8">Terms</a></li></ol></li>` +
				`<li><a href="basics.xhtml">The basics</a></li></ol></nav></body></html>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := zipFiles(t,
				"mimetype", "application/epub+zip",
				"META-INF/container.xml", `<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>`,
				"OEBPS/content.opf", `<package><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Live Manual</dc:title></metadata><manifest>`+c.tocItem+
					`<item id="a" href="about.xhtml"/><item id="a8" href="about.xhtml#o8"/><item id="b" href="basics.xhtml"/></manifest>`+
					`<spine toc="ncx"><itemref idref="a"/><itemref idref="a8"/><itemref idref="b"/></spine></package>`,
				c.tocFile, c.toc,
				"OEBPS/about.xhtml", page("about -", `<h1>1. About this manual</h1><p>This manual serves as a single access point.</p><h2 id="o8">1.1 Terms</h2><p>Live system: an operating system.</p>`),
				"OEBPS/basics.xhtml", page("basics -", `<h1>2. The basics</h1><p>Download a prebuilt image.</p>`),
			)
			arts, probs, err := Parse("live.epub", "live.epub", data, "")
			if err != nil || len(probs) != 0 || len(arts) != 1 {
				t.Fatalf("Parse = %d articles, %v, %v", len(arts), probs, err)
			}
			a := arts[0]
			if n := strings.Count(a.Text, "single access point"); n != 1 {
				t.Errorf("the first file's text is there %d times, want once:\n%s", n, a.Text)
			}
			var titles []string
			for _, ch := range a.Chapters {
				titles = append(titles, ch.Title)
			}
			if got, want := strings.Join(titles, "|"), "About this manual|The basics"; got != want {
				t.Errorf("chapters %q, want %q", got, want)
			}
			if i := strings.Index(a.Text, "prebuilt"); ChapterOf(a.Chapters, i) != "The basics" {
				t.Errorf("prebuilt is in chapter %q", ChapterOf(a.Chapters, i))
			}
		})
	}
}

// debianEPUB is an e-book from a Debian documentation package
// (live-manual-epub; `make doc-samples` installs it), written by SiSU.
const debianEPUB = "/usr/share/doc/live-manual/epub/live-manual.en.epub"

// TestParseEPUB_debianLiveManual reads a real e-book: its metadata, its
// chapters titled as its table of contents names them, and its words,
// every one of the spine's XHTML files' and in their order.
func TestParseEPUB_debianLiveManual(t *testing.T) {
	data, err := os.ReadFile(debianEPUB)
	if err != nil {
		t.Skipf("%v: Debian's live-manual-epub package has it (make doc-samples installs it)", err)
	}
	arts, probs, err := Parse("live-manual.en.epub", "live-manual.en.epub", data, "")
	if err != nil || len(probs) != 0 || len(arts) != 1 {
		t.Fatalf("Parse = %d articles, %v, %v", len(arts), probs, err)
	}
	a := arts[0]
	if a.Title != "Live Systems Manual" || a.Format != FormatEPUB || a.Published.IsZero() {
		t.Errorf("title %q format %q published %v", a.Title, a.Format, a.Published)
	}
	titles := map[string]bool{}
	for _, ch := range a.Chapters {
		titles[ch.Title] = true
		if strings.HasSuffix(ch.Title, " -") {
			t.Errorf("chapter titled by its file's <title>: %q", ch.Title)
		}
	}
	for _, want := range []string{"1. About this manual", "3. Installation", "4. The basics"} {
		if !titles[want] {
			t.Errorf("no chapter %q among %d", want, len(a.Chapters))
		}
	}
	if i := strings.Index(a.Text, "single access point to all documentation"); i < 0 || ChapterOf(a.Chapters, i) != "1. About this manual" {
		t.Errorf("the manual's first sentence at %d, chapter %q", i, ChapterOf(a.Chapters, i))
	}

	// The reference: each spine file once, in spine order, tags stripped.
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		f, err := z.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	opf := read("OEBPS/content.opf")
	hrefs := map[string]string{}
	for _, m := range regexp.MustCompile(`<item id="([^"]+)" href="([^"#]+)`).FindAllStringSubmatch(opf, -1) {
		hrefs[m[1]] = m[2]
	}
	tags := regexp.MustCompile(`(?s)<head.*?</head>|<[^>]*>`)
	var ref []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`<itemref idref="([^"]+)"`).FindAllStringSubmatch(opf, -1) {
		if h := hrefs[m[1]]; h != "" && !seen[h] {
			seen[h] = true
			ref = append(ref, words(html.UnescapeString(tags.ReplaceAllString(read(path.Join("OEBPS", h)), " ")))...)
		}
	}
	ours := words(a.Text)
	// Every word, counted: at most 1% missing.
	have := map[string]int{}
	for _, w := range ours {
		have[w]++
	}
	missing := 0
	for _, w := range ref {
		if have[w] > 0 {
			have[w]--
		} else {
			missing++
		}
	}
	// In order: every 50th run of six reference words is found after the
	// one before it.
	at := map[string][]int{}
	for i := 0; i+6 <= len(ours); i++ {
		k := strings.Join(ours[i:i+6], " ")
		at[k] = append(at[k], i)
	}
	pos, checked, outOfOrder := -1, 0, 0
	for i := 0; i+6 <= len(ref); i += 50 {
		checked++
		found := false
		for _, p := range at[strings.Join(ref[i:i+6], " ")] {
			if p > pos {
				pos, found = p, true
				break
			}
		}
		if !found {
			outOfOrder++
		}
	}
	t.Logf("%d reference words, %d ours, %d missing; %d of %d runs not found in order; %d chapters",
		len(ref), len(ours), missing, outOfOrder, checked, len(a.Chapters))
	if float64(missing) > 0.01*float64(len(ref)) || float64(outOfOrder) > 0.02*float64(checked) {
		t.Errorf("words missing %d of %d, runs out of order %d of %d", missing, len(ref), outOfOrder, checked)
	}
	if len(ours) > len(ref)*11/10 {
		t.Errorf("%d words for the reference's %d: text read twice?", len(ours), len(ref))
	}
}
