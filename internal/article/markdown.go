package article

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	atxHeadingRE    = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextH1RE      = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	codeFenceOpenRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
)

// frontMatter locates a front matter block at the start of text: YAML between
// "---" lines (closed by "---" or "..."), or TOML between "+++" lines. It
// returns the block's body and the span of the whole block including its
// delimiter lines; ok is false when text has no closed block.
func frontMatter(text string) (body string, span Span, yamlBlock bool, ok bool) {
	lines := splitLines(text)
	if len(lines) < 2 {
		return "", Span{}, false, false
	}
	open := strings.TrimRight(text[lines[0].start:lines[0].end], " \t")
	if open != "---" && open != "+++" {
		return "", Span{}, false, false
	}
	for _, l := range lines[1:] {
		c := strings.TrimRight(text[l.start:l.end], " \t")
		if c == open || (open == "---" && c == "...") {
			return text[lines[0].next:l.start], Span{Start: 0, End: l.next}, open == "---", true
		}
	}
	return "", Span{}, false, false
}

// parseMarkdown fills a Markdown article. Text is the raw file. YAML front
// matter sets Title, Published (key date or published), Author (a string or a
// list) and URL; other keys go to Meta as strings (lists and maps as compact
// JSON). The front matter block goes into Skip. Without a front matter title
// the title is the first level-1 heading (ATX or setext) outside code blocks,
// else the first heading of any level. Invalid front matter is ignored with a
// repaired Problem; the block is still skipped.
func parseMarkdown(a *Article, text string) []Problem {
	a.Format = "markdown"
	a.Text = text
	var probs []Problem
	body, span, isYAML, ok := frontMatter(text)
	if !ok && (strings.HasPrefix(text, "---\n") || strings.HasPrefix(text, "---\r\n") || strings.HasPrefix(text, "+++")) {
		probs = append(probs, Problem{
			Source: a.Source, Line: 1, Kind: KindRepaired,
			Reason: "front matter has no closing line: read as text",
		})
	}
	if ok {
		a.Skip = []Span{span}
		if isYAML {
			if err := applyFrontMatter(a, body); err != nil {
				probs = append(probs, Problem{
					Source: a.Source, Line: 1, Kind: KindRepaired,
					Reason: fmt.Sprintf("front matter ignored: %v", err),
				})
			}
		}
	}
	if a.Title == "" {
		a.Title = markdownTitle(text, span.End)
	}
	return probs
}

// applyFrontMatter decodes YAML front matter into a's fields and Meta.
func applyFrontMatter(a *Article, body string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	if doc.Kind == 0 {
		return nil // empty block
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("not a mapping")
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i].Value, m.Content[i+1]
		if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			continue
		}
		s := yamlString(val)
		switch strings.ToLower(key) {
		case "title":
			if a.Title == "" {
				a.Title = strings.TrimSpace(s)
			}
			continue
		case "date", "published":
			if a.Published.IsZero() {
				if t, ok := parseDate(s); ok {
					a.Published = t
					continue
				}
			}
		case "author", "authors":
			if a.Author == "" {
				a.Author = yamlList(val)
				continue
			}
		case "url":
			if a.URL == "" {
				a.URL = strings.TrimSpace(s)
				continue
			}
		}
		if a.Meta == nil {
			a.Meta = map[string]string{}
		}
		if k := strings.ToLower(key); (k == "date" || k == "published") && a.Published.IsZero() {
			key = "published"
		}
		a.Meta[key] = s
	}
	return nil
}

// yamlString renders a YAML value for Meta: scalars as written, everything
// else as compact JSON.
func yamlString(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return yamlString(n.Alias)
	}
	var v any
	if err := n.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
		return fmt.Sprint(v)
	}
	return ""
}

// yamlList renders a scalar as is and a sequence of scalars joined by ", ".
func yamlList(n *yaml.Node) string {
	if n.Kind != yaml.SequenceNode {
		return strings.TrimSpace(yamlString(n))
	}
	var parts []string
	for _, c := range n.Content {
		if s := strings.TrimSpace(yamlString(c)); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// markdownTitle returns the first level-1 heading of text after byte from,
// skipping fenced code blocks, or the first heading of any level if there is
// no level-1 heading.
func markdownTitle(text string, from int) string {
	lines := splitLines(text[from:])
	var fence, anyHeading string
	prev := ""
	for _, l := range lines {
		raw := text[from+l.start : from+l.end]
		if fence != "" {
			if strings.HasPrefix(strings.TrimSpace(raw), fence) {
				fence = ""
			}
			prev = ""
			continue
		}
		if m := codeFenceOpenRE.FindStringSubmatch(raw); m != nil {
			fence = m[1]
			prev = ""
			continue
		}
		if m := atxHeadingRE.FindStringSubmatch(raw); m != nil {
			h := strings.TrimSpace(m[2])
			if len(m[1]) == 1 && h != "" {
				return h
			}
			if anyHeading == "" {
				anyHeading = h
			}
			prev = ""
			continue
		}
		if setextH1RE.MatchString(raw) && prev != "" {
			return prev
		}
		prev = strings.TrimSpace(raw)
		if strings.HasPrefix(raw, "    ") || strings.HasPrefix(raw, "\t") {
			prev = "" // indented code
		}
	}
	return anyHeading
}
