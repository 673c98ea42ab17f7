package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// jsonTextKeys name the fields an object's text may be in, in order of
// preference; the first with a non-blank string (or list of strings) wins.
var jsonTextKeys = []string{"text", "body", "content"}

// jsonKnownKeys are the fields that map onto Article fields and so do not
// go into Meta.
var jsonKnownKeys = map[string]bool{
	"id": true, "_id": true, "title": true, "text": true, "body": true, "content": true,
	"url": true, "published": true, "date": true, "author": true,
}

// jsonObject is one object read from a JSON or JSON Lines file.
type jsonObject struct {
	raw  []byte
	line int    // 1-based line the object starts on
	ref  string // what follows "#" in the fallback ID: the line (JSONL) or index (JSON)
}

// lineIndex converts byte offsets of a text into 1-based line numbers.
type lineIndex []int // offsets of '\n'

func newLineIndex(text string) lineIndex {
	var idx lineIndex
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			idx = append(idx, i)
		}
	}
	return idx
}

func (idx lineIndex) line(off int) int {
	return sort.SearchInts(idx, off) + 1
}

// parseJSON reads a JSON file: one object, an array of objects, or several
// such values in a row. A syntax error ends the file with an error Problem
// giving its line; the objects before it, in an array too, are kept.
func parseJSON(source, id, text string) ([]Article, []Problem) {
	idx := newLineIndex(text)
	var objs []jsonObject
	var probs []Problem
	syntaxError := func(err error, at int) {
		line := idx.line(errorOffset(err, text, at))
		probs = append(probs, Problem{Source: source, Line: line, Kind: KindError,
			Reason: fmt.Sprintf("line %d: invalid JSON, rest of file not loaded: %v", line, err)})
	}
	notObject := func(at int) {
		line := idx.line(at)
		probs = append(probs, Problem{Source: source, Line: line, Kind: KindSkipped,
			Reason: fmt.Sprintf("line %d: not a JSON object", line)})
	}
	dec := json.NewDecoder(strings.NewReader(text))
values:
	for {
		start := skipSpace(text, int(dec.InputOffset()))
		if start >= len(text) {
			break
		}
		if text[start] != '[' {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				syntaxError(err, start)
				break
			}
			if raw[0] != '{' {
				notObject(start)
				continue
			}
			objs = append(objs, jsonObject{raw: raw, line: idx.line(start)})
			continue
		}
		if _, err := dec.Token(); err != nil { // the '['
			syntaxError(err, start)
			break
		}
		for dec.More() {
			at := skipSpaceComma(text, int(dec.InputOffset()))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				syntaxError(err, at)
				break values
			}
			if raw[0] != '{' {
				notObject(at)
				continue
			}
			objs = append(objs, jsonObject{raw: raw, line: idx.line(at)})
		}
		if _, err := dec.Token(); err != nil { // the ']'
			syntaxError(err, int(dec.InputOffset()))
			break
		}
	}
	first := skipSpace(text, 0)
	single := len(objs) == 1 && first < len(text) && text[first] == '{'
	for i := range objs {
		if !single {
			objs[i].ref = strconv.Itoa(i)
		}
	}
	arts, p := jsonArticles(source, id, objs)
	return arts, append(probs, p...)
}

// parseJSONLines reads a JSON Lines file: one object (or array of objects) per
// line, blank lines ignored. A line that fails to parse is an error Problem
// with its line number; the other lines still load. A file whose first value
// is an array or spans lines (pretty-printed JSON) is read as JSON instead.
func parseJSONLines(source, id, text string) ([]Article, []Problem) {
	var objs []jsonObject
	var probs []Problem
	first := true
	for n, l := range splitLines(text) {
		lineNo := n + 1
		s := strings.TrimSpace(text[l.start:l.end])
		if s == "" {
			continue
		}
		if first {
			first = false
			if (s[0] == '[' || !json.Valid([]byte(s))) && json.Valid([]byte(text)) {
				return parseJSON(source, id, text)
			}
		}
		var raw json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			probs = append(probs, Problem{Source: source, Line: lineNo, Kind: KindError,
				Reason: fmt.Sprintf("line %d: invalid JSON: %v", lineNo, err)})
			continue
		}
		ref := strconv.Itoa(lineNo)
		switch raw[0] {
		case '{':
			objs = append(objs, jsonObject{raw: raw, line: lineNo, ref: ref})
		case '[':
			elems, _ := arrayElements(raw)
			for i, e := range elems {
				objs = append(objs, jsonObject{raw: e, line: lineNo, ref: ref + "." + strconv.Itoa(i)})
			}
		default:
			probs = append(probs, Problem{Source: source, Line: lineNo, Kind: KindSkipped,
				Reason: fmt.Sprintf("line %d: not a JSON object", lineNo)})
		}
	}
	arts, p := jsonArticles(source, id, objs)
	return arts, append(probs, p...)
}

// errorOffset returns the offset in text of the byte a JSON decoding error
// is about.
func errorOffset(err error, text string, fallback int) int {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		return min(int(se.Offset)-1, len(text))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return len(text)
	}
	return fallback
}

// skipSpace returns the offset of the first non-space byte of text at or
// after i, len(text) if there is none.
func skipSpace(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// skipSpaceComma is skipSpace that skips commas too.
func skipSpaceComma(text string, i int) int {
	for i < len(text) && (text[i] == ',' || text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// arrayElements splits a valid JSON array into its elements.
func arrayElements(raw []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("read array: %w", err)
	}
	return out, nil
}

// jsonArticles turns objects into articles; objects that are not objects or
// have no text become skipped Problems.
func jsonArticles(source, id string, objs []jsonObject) ([]Article, []Problem) {
	var arts []Article
	var probs []Problem
	for _, o := range objs {
		a, reason := jsonArticle(o.raw)
		if reason != "" {
			probs = append(probs, Problem{Source: source, Line: o.line, Kind: KindSkipped,
				Reason: fmt.Sprintf("line %d: %s", o.line, reason)})
			continue
		}
		a.Source = source
		a.Lines = sameLines(a.Text, LineRange{o.line, o.line + strings.Count(string(o.raw), "\n")})
		if a.ID == "" {
			a.ID = id
			if o.ref != "" {
				a.ID = id + "#" + o.ref
			}
		}
		arts = append(arts, a)
	}
	return arts, probs
}

// jsonArticle maps one JSON object onto an Article (ID left empty when the
// object has none). It returns a reason instead when raw is not an object or
// has no text.
func jsonArticle(raw []byte) (Article, string) {
	if len(raw) == 0 || raw[0] != '{' {
		return Article{}, "not a JSON object"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Article{}, fmt.Sprintf("invalid JSON object: %v", err)
	}
	a := Article{Format: "json"}
	for _, k := range jsonTextKeys {
		if t := jsonText(fields[k]); strings.TrimSpace(t) != "" {
			a.Text = t
			break
		}
	}
	if a.Text == "" {
		return Article{}, "object has no text, body or content"
	}
	for _, k := range []string{"id", "_id"} {
		if s := jsonScalar(fields[k]); strings.TrimSpace(s) != "" {
			a.ID = strings.TrimSpace(s)
			break
		}
	}
	a.Title = collapseSpace(jsonScalar(fields["title"]))
	a.URL = strings.TrimSpace(jsonScalar(fields["url"]))
	a.Author = jsonAuthor(fields["author"])
	for _, k := range []string{"published", "date"} {
		v, ok := fields[k]
		if !ok || isNull(v) {
			continue
		}
		s := jsonScalar(v)
		if t, ok := parseDate(s); ok {
			a.Published = t
		} else if t, ok := parseUnixTime(s); ok && v[0] != '"' {
			a.Published = t
		} else {
			a.setMeta("published", s)
		}
		break
	}
	for k, v := range fields {
		if jsonKnownKeys[k] || isNull(v) {
			continue
		}
		if a.Meta == nil {
			a.Meta = map[string]string{}
		}
		a.Meta[k] = jsonScalar(v)
	}
	return a, ""
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || string(v) == "null"
}

// jsonScalar renders a JSON value as a string: strings unquoted, anything
// else as compact JSON. It returns "" for a missing value or null.
func jsonScalar(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// jsonText reads a text field: a string, or a list of strings joined as
// paragraphs. Anything else is no text.
func jsonText(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, "\n\n")
	}
	return ""
}

// jsonAuthor reads an author given as a string, a list of strings or of
// objects with a name, or an object with a name.
func jsonAuthor(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	type named struct {
		Name string `json:"name"`
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n named
	if v[0] == '{' && json.Unmarshal(v, &n) == nil {
		return strings.TrimSpace(n.Name)
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		var names []string
		for _, e := range list {
			if name := jsonAuthor(e); name != "" {
				names = append(names, name)
			}
		}
		return strings.Join(names, ", ")
	}
	return jsonScalar(v)
}
