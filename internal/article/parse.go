package article

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Kinds of [Problem].
const (
	// KindSkipped means the file or object was not loaded on purpose: it is
	// binary, empty, too large, without text, or a duplicate of one already
	// loaded.
	KindSkipped = "skipped"
	// KindRepaired means the article was loaded, but something in it or
	// about it was changed or ignored: invalid UTF-8, a non-UTF-8 encoding,
	// invalid front matter, or an ID renamed because it was taken.
	KindRepaired = "repaired"
	// KindError means part of the input could not be read or parsed and is
	// lost: a file that cannot be read, a JSON syntax error, a broken
	// symlink.
	KindError = "error"
	// KindEmpty means a directory given to load held no file to load.
	KindEmpty = "empty"
)

// Problem is something wrong with one input that did not stop the load.
type Problem struct {
	// Source is the file ([Article.Source] form) or "-" for stdin.
	Source string `json:"source"`
	// Line is the 1-based line the problem is on, 0 when it is about the
	// whole file.
	Line int `json:"line,omitempty"`
	// Kind is KindSkipped, KindRepaired or KindError.
	Kind string `json:"kind"`
	// Reason says what happened, in lower case; it repeats the line number.
	Reason string `json:"reason"`
}

// String formats p as "source: kind: reason".
func (p Problem) String() string {
	return p.Source + ": " + p.Kind + ": " + p.Reason
}

// Formats accepted by [Parse]; Article.Format is one of the first four
// (JSON Lines articles have Format "json").
const (
	// FormatText is plain text, news pages included.
	FormatText = "text"
	// FormatMarkdown is Markdown, with optional YAML or TOML front matter.
	FormatMarkdown = "markdown"
	// FormatHTML is an HTML page.
	FormatHTML = "html"
	// FormatJSON is a JSON object, an array of objects, or a run of them.
	FormatJSON = "json"
	// FormatJSONL is JSON Lines: one object per line.
	FormatJSONL = "jsonl"
	// FormatPDF is a PDF with a text layer; Article.Pages says where its
	// pages start.
	FormatPDF = "pdf"
	// FormatDOCX is a Word document (Office Open XML); Article.Lines maps
	// Text's lines to paragraph numbers.
	FormatDOCX = "docx"
	// FormatEPUB is an e-book; Article.Chapters names its chapters and
	// Article.Lines maps Text's lines to paragraphs within a chapter.
	FormatEPUB = "epub"
)

// formatByExt maps lower-case file extensions to formats.
var formatByExt = map[string]string{
	".txt": FormatText, ".text": FormatText,
	".md": FormatMarkdown, ".markdown": FormatMarkdown, ".mdown": FormatMarkdown, ".mkd": FormatMarkdown,
	".html": FormatHTML, ".htm": FormatHTML, ".xhtml": FormatHTML,
	".json":  FormatJSON,
	".jsonl": FormatJSONL, ".ndjson": FormatJSONL,
	".pdf": FormatPDF, ".docx": FormatDOCX, ".epub": FormatEPUB,
}

// formatAliases maps the names Parse accepts to formats.
var formatAliases = map[string]string{
	"text": FormatText, "txt": FormatText, "plain": FormatText,
	"markdown": FormatMarkdown, "md": FormatMarkdown,
	"html": FormatHTML, "htm": FormatHTML,
	"json":  FormatJSON,
	"jsonl": FormatJSONL, "ndjson": FormatJSONL, "json-lines": FormatJSONL,
	"pdf": FormatPDF, "docx": FormatDOCX, "epub": FormatEPUB,
}

// Parse turns the bytes of one file into articles. source is where the data
// came from (it becomes Article.Source and Problem.Source), id the file's
// article ID: JSON objects without an id get id + "#" + their line (JSON
// Lines) or 0-based index (a JSON file with more than one object). format is
// "text", "markdown", "html", "json" or "jsonl" (aliases: txt, md, htm,
// ndjson), or "" to detect it from the extension of source (or id), then from
// the content.
//
// Bad input is reported as Problems, never as an error: binary, empty and
// text-less inputs give no article and a KindSkipped Problem; invalid UTF-8 is
// repaired with a KindRepaired Problem (see [Article] for what Text holds); a
// JSON syntax error is a KindError Problem with its line. The only error is an
// unknown format. The returned slices are the caller's.
func Parse(source, id string, data []byte, format string) ([]Article, []Problem, error) {
	f, err := resolveFormat(format, source, id, data)
	if err != nil {
		return nil, nil, err
	}
	switch f {
	case FormatPDF, FormatDOCX, FormatEPUB:
		arts, probs := parseDocument(source, id, data, f)
		return arts, probs, nil
	}
	var probs []Problem
	dec := decode(data, f == FormatHTML)
	if dec.skipped != "" {
		return nil, []Problem{{Source: source, Kind: KindSkipped, Reason: dec.skipped}}, nil
	}
	if dec.repaired != "" {
		probs = append(probs, Problem{Source: source, Kind: KindRepaired, Reason: dec.repaired})
	}
	dec.text = macLineEnds(dec.text)
	if strings.TrimSpace(dec.text) == "" {
		reason := "empty file"
		if dec.text != "" {
			reason = "file holds only white space"
		}
		return nil, append(probs, Problem{Source: source, Kind: KindSkipped, Reason: reason}), nil
	}

	var arts []Article
	switch f {
	case FormatJSON, FormatJSONL:
		var p []Problem
		if f == FormatJSON {
			arts, p = parseJSON(source, id, dec.text)
		} else {
			arts, p = parseJSONLines(source, id, dec.text)
		}
		return arts, append(probs, p...), nil
	}
	a := Article{ID: id, Source: source}
	switch f {
	case FormatMarkdown:
		probs = append(probs, parseMarkdown(&a, dec.text)...)
	case FormatHTML:
		parseHTML(&a, dec.text)
	default:
		parseText(&a, dec.text)
		fallbackTitle(&a)
	}
	if a.Title == "" && source != "-" {
		// A page or note without a title is named by its file.
		a.Title = path.Base(strings.ReplaceAll(source, `\`, "/"))
	}
	if !hasContent(a.Text, a.Skip) {
		return nil, append(probs, Problem{Source: source, Kind: KindSkipped, Reason: "no article text"}), nil
	}
	return []Article{a}, probs, nil
}

// DetectFormat returns the format Parse reads data in when given no format:
// from the extension of source (or id), then from the content.
func DetectFormat(source, id string, data []byte) string {
	f, _ := resolveFormat("", source, id, data) // "" is always valid
	return f
}

// parseDocument parses a PDF, DOCX or EPUB file, whose bytes are not text:
// a file that cannot be read (broken, password-protected, without a text
// layer) is skipped with a Problem saying why.
func parseDocument(source, id string, data []byte, f string) ([]Article, []Problem) {
	a := Article{ID: id, Source: source, Format: f}
	var reason string
	switch f {
	case FormatPDF:
		reason = parsePDF(&a, data)
	case FormatDOCX:
		reason = parseDOCX(&a, data)
	case FormatEPUB:
		reason = parseEPUB(&a, data)
	}
	if reason != "" {
		if strings.HasPrefix(reason, "broken ") {
			reason += "; the file is damaged, cut short or written in a way semsearch cannot read: open it in its application, save or export it again, and index it again"
		}
		return nil, []Problem{{Source: source, Kind: KindSkipped, Reason: reason}}
	}
	if a.Title == "" && source != "-" {
		a.Title = path.Base(strings.ReplaceAll(source, `\`, "/"))
	}
	if !hasContent(a.Text, a.Skip) {
		return nil, []Problem{{Source: source, Kind: KindSkipped, Reason: "no article text"}}
	}
	return []Article{a}, nil
}

// resolveFormat returns the canonical format for Parse's format argument.
func resolveFormat(format, source, id string, data []byte) (string, error) {
	if format != "" {
		f, ok := formatAliases[strings.ToLower(format)]
		if !ok {
			return "", fmt.Errorf("parse %s: unknown format %q", source, format)
		}
		return f, nil
	}
	for _, name := range []string{source, id} {
		if f, ok := formatByExt[strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))]; ok {
			return f, nil
		}
	}
	return sniffFormat(data), nil
}

// sniffFormat detects the format of data from its first bytes: JSON when it
// starts with "{" or "[" and parses (as a whole, else line by line: JSON
// Lines), HTML when an HTML tag opens it, Markdown when it opens with front
// matter or a "# " heading, else text.
func sniffFormat(data []byte) string {
	if isPDF(data) {
		return FormatPDF
	}
	if f := sniffZip(data); f != "" {
		return f
	}
	data, _ = stripBOM(data)
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) == 0 {
		return FormatText
	}
	switch t[0] {
	case '{', '[':
		if json.Valid(t) {
			return FormatJSON
		}
		line, _, _ := bytes.Cut(t, []byte("\n"))
		if json.Valid(bytes.TrimSpace(line)) {
			return FormatJSONL
		}
	case '<':
		head := strings.ToLower(string(t[:min(len(t), 1024)]))
		for _, tag := range []string{"<!doctype html", "<html", "<head", "<body", "<meta", "<title", "<article", "<div", "<p>", "<p ", "<h1", "<!--"} {
			if strings.HasPrefix(head, tag) {
				return FormatHTML
			}
		}
	case '-', '+':
		if _, _, _, ok := frontMatter(string(data)); ok {
			return FormatMarkdown
		}
	case '#':
		if bytes.HasPrefix(t, []byte("# ")) {
			return FormatMarkdown
		}
	}
	return FormatText
}
