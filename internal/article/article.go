// Package article defines the Article that semsearch indexes and loads
// articles from files, directories and streams in the formats users keep them
// in: plain text, Markdown, HTML, JSON and JSON Lines.
package article

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Span is a half-open byte range [Start, End) into an article's Text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Article is one source document. Text is the text that passage offsets and
// line numbers refer to: for plain text and Markdown it is the file's content
// exactly as read (after UTF-8 repair, and with old Mac line ends, a lone
// CR, read as LF byte for byte), so a citation's line range is a line
// range of the file; for HTML it is the extracted main text; for JSON it is
// the text field.
type Article struct {
	// ID is stable across runs: the path relative to the indexed root for
	// files, or the id an object carries (JSON), or "stdin" for a stream.
	ID string `json:"id"`
	// Source names where the article came from: a file path (as given on the
	// command line, joined with the relative path), or "-" for stdin.
	Source    string            `json:"source"`
	Format    string            `json:"format"` // "text", "markdown", "html", "json"
	Title     string            `json:"title,omitempty"`
	Author    string            `json:"author,omitempty"`
	URL       string            `json:"url,omitempty"`
	Published time.Time         `json:"published,omitzero"`
	Meta      map[string]string `json:"meta,omitempty"`
	Text      string            `json:"text"`
	// Skip lists spans of Text that are not article content: front matter,
	// the title/byline/date header lines of a news page, and noise lines such
	// as "Advertisement". The chunker treats them as boundaries and never puts
	// them in a passage; they stay in Text so offsets remain exact.
	Skip []Span `json:"skip,omitempty"`
	// Lines maps the lines of Text to the lines of the source file where
	// they differ: Lines[i] holds the file lines of Text's line i+1 (the
	// source lines an HTML paragraph was extracted from, or the lines of a
	// JSON record). Nil means Text's lines are the file's (plain text,
	// Markdown). See [Article.SourceLine].
	Lines []LineRange `json:"lines,omitempty"`
	// Pages holds, for a PDF, the byte offset in Text where each page
	// starts: page n is Text[Pages[n-1]:Pages[n]] (the last runs to the
	// end). Lines then maps Text's lines to lines within their page. Nil
	// for formats without pages. See [PageOf].
	Pages []int `json:"pages,omitempty"`
	// Chapters are the chapters of an EPUB (or the sections a DOCX's
	// headings open), in order: where each starts in Text and its title.
	Chapters []Chapter `json:"chapters,omitempty"`
}

// Chapter is a titled part of a document, from Start (a byte offset in
// Text) to the next chapter's Start.
type Chapter struct {
	Start int    `json:"start"`
	Title string `json:"title,omitempty"`
}

// PageOf returns the 1-based page holding byte offset off of a text whose
// pages start at pages, or 0 when the text has no pages.
func PageOf(pages []int, off int) int {
	if len(pages) == 0 {
		return 0
	}
	// The last page starting at or before off; empty pages share a start
	// with the next and are never cited.
	return max(1, sort.SearchInts(pages, off+1))
}

// ChapterOf returns the title of the chapter holding byte offset off, or "".
func ChapterOf(chapters []Chapter, off int) string {
	i := sort.Search(len(chapters), func(i int) bool { return chapters[i].Start > off })
	if i == 0 {
		return ""
	}
	return chapters[i-1].Title
}

// Hash returns a hex SHA-256 over everything that affects how the article is
// indexed and shown: text, skip spans and metadata. Two articles with the same
// hash need no re-embedding.
func (a *Article) Hash() string {
	h := sha256.New()
	write := func(s string) {
		var n [8]byte
		l := len(s)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(a.ID)
	write(a.Format)
	write(a.Title)
	write(a.Author)
	write(a.URL)
	if !a.Published.IsZero() {
		write(a.Published.UTC().Format(time.RFC3339Nano))
	} else {
		write("")
	}
	keys := make([]string, 0, len(a.Meta))
	for k := range a.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		write(k)
		write(a.Meta[k])
	}
	for _, s := range a.Skip {
		write(strconv.Itoa(s.Start) + ":" + strconv.Itoa(s.End))
	}
	if a.Lines != nil {
		// Citations carry the file lines: a record that moved in its file
		// is cited anew.
		var b strings.Builder
		for _, r := range a.Lines {
			b.WriteString(strconv.Itoa(r.First) + "-" + strconv.Itoa(r.Last) + ",")
		}
		write(b.String())
	}
	if a.Pages != nil || a.Chapters != nil {
		// Citations carry pages and chapters.
		var b strings.Builder
		for _, p := range a.Pages {
			b.WriteString(strconv.Itoa(p) + ",")
		}
		for _, c := range a.Chapters {
			b.WriteString(";" + strconv.Itoa(c.Start) + ":" + c.Title)
		}
		write(b.String())
	}
	write(a.Text)
	return hex.EncodeToString(h.Sum(nil))
}
