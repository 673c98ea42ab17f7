package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Query is one evaluation query and its relevance judgements.
type Query struct {
	ID   string
	Text string
	// Relevant maps each relevant doc id to its grade, always >= 1. Docs
	// judged not relevant (grade 0) are left out at load time.
	Relevant map[string]int
	// Answers are strings that a passage answering the query contains,
	// exact substrings of the relevant text (see [ContainsAnswer]). Empty
	// when the dataset has none.
	Answers []string
}

// Doc is one document of a corpus.
type Doc struct {
	ID    string
	Title string
	Text  string
}

// Dataset is a set of queries, with the corpus they search when the dataset
// carries one.
type Dataset struct {
	Name string
	// Docs is the corpus. It is nil for the project's own query sets, whose
	// articles are indexed separately, and for BEIR, whose corpus is streamed
	// with [WalkBEIRCorpus].
	Docs []Doc
	// Queries holds only queries with at least one relevant doc.
	Queries []Query
}

// Qrels maps a query id to its judged docs: doc id -> grade. Grades below 1
// mean not relevant.
type Qrels map[string]map[string]int

// Qrels returns the relevance judgements of d's queries. The inner maps are
// the queries' own Relevant maps, not copies.
func (d *Dataset) Qrels() Qrels {
	q := make(Qrels, len(d.Queries))
	for _, query := range d.Queries {
		q[query.ID] = query.Relevant
	}
	return q
}

// maxLineErrors caps how many line errors LoadQueries collects before it
// gives up on a file.
const maxLineErrors = 20

// queryLine is one line of the project's own query set format.
type queryLine struct {
	ID       string         `json:"id"`
	Query    string         `json:"query"`
	Relevant []string       `json:"relevant"`
	Answers  []string       `json:"answers"`
	Grades   map[string]int `json:"grades"`
}

// LoadQueries reads the project's own JSON Lines query set from path. Each
// non-blank line is one object:
//
//	{"id": "q1", "query": "...", "relevant": ["doc-a", "doc-b"],
//	 "answers": ["exact substring"], "grades": {"doc-a": 2}}
//
// id, query and at least one relevant doc id are required; answers and
// grades are optional. A relevant doc has grade 1 unless grades says
// otherwise; grades may only name docs listed in relevant, with grades >= 1.
// Unknown fields are errors, so a misspelt key does not silently drop data.
// LoadQueries checks the whole file and returns every problem it finds (up
// to 20), each prefixed with path:line. The dataset's Name is the file name
// without its extension, and its Docs are nil.
func LoadQueries(ctx context.Context, path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load queries: %w", err)
	}
	defer f.Close()
	queries, err := readQueries(ctx, f, path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &Dataset{Name: name, Queries: queries}, nil
}

// readQueries parses the query set format; name prefixes error messages.
func readQueries(ctx context.Context, r io.Reader, name string) ([]Query, error) {
	var (
		queries []Query
		errs    []error
		firstID = map[string]int{} // query id -> line it first appeared on
		lines   = newLineReader(r)
	)
	for {
		line, err := lines.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		q, err := parseQueryLine(line)
		if err == nil {
			if first, dup := firstID[q.ID]; dup {
				err = fmt.Errorf("duplicate id %q (first on line %d)", q.ID, first)
			} else {
				firstID[q.ID] = lines.n
				queries = append(queries, q)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, lines.n, err))
			if len(errs) == maxLineErrors {
				errs = append(errs, fmt.Errorf("%s: too many errors, stopped at line %d", name, lines.n))
				break
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return queries, nil
}

// parseQueryLine decodes and validates one line of a query set.
func parseQueryLine(line []byte) (Query, error) {
	var ql queryLine
	if err := decodeStrict(line, &ql); err != nil {
		return Query{}, err
	}
	switch {
	case strings.TrimSpace(ql.ID) == "":
		return Query{}, errors.New("missing id")
	case strings.TrimSpace(ql.Query) == "":
		return Query{}, fmt.Errorf("query %q: missing query", ql.ID)
	case len(ql.Relevant) == 0:
		return Query{}, fmt.Errorf("query %q: no relevant documents", ql.ID)
	}
	q := Query{ID: ql.ID, Text: ql.Query, Relevant: make(map[string]int, len(ql.Relevant))}
	for _, doc := range ql.Relevant {
		if strings.TrimSpace(doc) == "" {
			return Query{}, fmt.Errorf("query %q: empty doc id in relevant", ql.ID)
		}
		if _, dup := q.Relevant[doc]; dup {
			return Query{}, fmt.Errorf("query %q: doc %q listed twice in relevant", ql.ID, doc)
		}
		q.Relevant[doc] = 1
	}
	for doc, grade := range ql.Grades {
		if _, ok := q.Relevant[doc]; !ok {
			return Query{}, fmt.Errorf("query %q: grade for doc %q, which is not in relevant", ql.ID, doc)
		}
		if grade < 1 {
			return Query{}, fmt.Errorf("query %q: grade %d for doc %q, want >= 1 (list only relevant docs)", ql.ID, grade, doc)
		}
		q.Relevant[doc] = grade
	}
	for _, a := range ql.Answers {
		if strings.TrimSpace(a) == "" {
			return Query{}, fmt.Errorf("query %q: empty answer", ql.ID)
		}
	}
	if len(ql.Answers) > 0 {
		q.Answers = ql.Answers
	}
	return q, nil
}

// decodeStrict decodes one JSON value from line into v, rejecting unknown
// fields and anything after the value.
func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: data after the object")
	}
	return nil
}

// decodeLoose decodes one JSON value from line into v, ignoring unknown
// fields but rejecting anything after the value.
func decodeLoose(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: data after the object")
	}
	return nil
}

// ctxCheckEvery is how many lines a lineReader reads between checks of its
// context.
const ctxCheckEvery = 1024

// lineReader reads lines of any length, without their "\n" or "\r\n", and
// drops a UTF-8 byte order mark at the start of the input.
type lineReader struct {
	r *bufio.Reader
	n int // 1-based number of the line last returned
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, or io.EOF after the last one. The slice is
// valid until the next call. Every ctxCheckEvery lines it returns ctx's error
// if ctx is done.
func (l *lineReader) next(ctx context.Context) ([]byte, error) {
	if l.n%ctxCheckEvery == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	line, err := l.r.ReadBytes('\n')
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	l.n++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if l.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\ufeff"))
	}
	return line, nil
}
