package eval

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BEIR file names inside a dataset directory.
const (
	beirCorpus  = "corpus.jsonl"
	beirQueries = "queries.jsonl"
	beirQrels   = "qrels"
)

// LoadBEIR reads the queries and relevance judgements of one split of a BEIR
// dataset directory:
//
//	dir/queries.jsonl      {"_id": "1", "text": "...", "metadata": {...}} per line
//	dir/qrels/<split>.tsv  header "query-id corpus-id score", then one
//	                       tab-separated judgement per line
//
// The score is the graded relevance; 0 (or less) means not relevant. Only
// queries that appear in the split's qrels with at least one relevant doc
// are kept, in the order they first appear there, so a query judged only
// with score 0 is dropped. A query judged in the qrels but missing from
// queries.jsonl is an error. The corpus is not read: stream it with
// [WalkBEIRCorpus], so Docs is nil. Name is "<base of dir>/<split>".
// Errors name the file and line.
func LoadBEIR(ctx context.Context, dir, split string) (*Dataset, error) {
	if split == "" || strings.ContainsAny(split, `/\`) {
		return nil, fmt.Errorf("load beir: invalid split %q", split)
	}
	qrelsPath := filepath.Join(dir, beirQrels, split+".tsv")
	qrels, order, firstLine, err := readQrelsFile(ctx, qrelsPath)
	if err != nil {
		return nil, err
	}
	queriesPath := filepath.Join(dir, beirQueries)
	texts, err := readBEIRQueriesFile(ctx, queriesPath, qrels)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: filepath.Base(filepath.Clean(dir)) + "/" + split}
	for _, id := range order {
		rel := qrels[id]
		if len(rel) == 0 {
			continue // judged, but nothing relevant
		}
		text, ok := texts[id]
		if !ok {
			return nil, fmt.Errorf("%s:%d: query %q is not in %s", qrelsPath, firstLine[id], id, queriesPath)
		}
		ds.Queries = append(ds.Queries, Query{ID: id, Text: text, Relevant: rel})
	}
	return ds, nil
}

// readQrelsFile reads a BEIR qrels file; see readQrels.
func readQrelsFile(ctx context.Context, path string) (Qrels, []string, map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load beir qrels: %w", err)
	}
	defer f.Close()
	return readQrels(ctx, f, path)
}

// readQrels parses a BEIR qrels TSV. It returns the relevant docs (grade >= 1)
// of every judged query, the judged query ids in order of first appearance
// (including those with no relevant doc) and the line each first appears on.
// The header line is optional. name prefixes error messages.
func readQrels(ctx context.Context, r io.Reader, name string) (Qrels, []string, map[string]int, error) {
	var (
		qrels     = Qrels{}
		order     []string
		firstLine = map[string]int{}
		seen      = map[[2]string]int{} // (query, doc) -> line
		lines     = newLineReader(r)
	)
	for {
		line, err := lines.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		fields := strings.Split(string(line), "\t")
		if lines.n == 1 && fields[0] == "query-id" {
			continue // header
		}
		fail := func(format string, args ...any) (Qrels, []string, map[string]int, error) {
			return nil, nil, nil, fmt.Errorf("%s:%d: %s", name, lines.n, fmt.Sprintf(format, args...))
		}
		if len(fields) != 3 {
			return fail("want 3 tab-separated fields (query-id, corpus-id, score), got %d", len(fields))
		}
		qid, docID := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
		if qid == "" || docID == "" {
			return fail("empty query-id or corpus-id")
		}
		score, err := strconv.Atoi(strings.TrimSpace(fields[2]))
		if err != nil {
			return fail("score %q is not an integer", fields[2])
		}
		pair := [2]string{qid, docID}
		if first, dup := seen[pair]; dup {
			return fail("query %q, doc %q judged twice (first on line %d)", qid, docID, first)
		}
		seen[pair] = lines.n
		if _, ok := firstLine[qid]; !ok {
			firstLine[qid] = lines.n
			order = append(order, qid)
		}
		if score >= 1 {
			if qrels[qid] == nil {
				qrels[qid] = map[string]int{}
			}
			qrels[qid][docID] = score
		}
	}
	return qrels, order, firstLine, nil
}

// beirQuery is one line of queries.jsonl; metadata and other fields are
// ignored.
type beirQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// readBEIRQueriesFile reads queries.jsonl and returns the text of the
// queries that have relevant docs in want.
func readBEIRQueriesFile(ctx context.Context, path string, want Qrels) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load beir queries: %w", err)
	}
	defer f.Close()
	return readBEIRQueries(ctx, f, path, want)
}

// readBEIRQueries parses queries.jsonl; name prefixes error messages. Every
// line is validated; only queries in want are kept.
func readBEIRQueries(ctx context.Context, r io.Reader, name string, want Qrels) (map[string]string, error) {
	texts := map[string]string{}
	firstLine := map[string]int{}
	lines := newLineReader(r)
	for {
		line, err := lines.next(ctx)
		if err == io.EOF {
			return texts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var q beirQuery
		if err := decodeLoose(line, &q); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if q.ID == "" {
			return nil, fmt.Errorf("%s:%d: missing _id", name, lines.n)
		}
		if first, dup := firstLine[q.ID]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate _id %q (first on line %d)", name, lines.n, q.ID, first)
		}
		firstLine[q.ID] = lines.n
		if len(want[q.ID]) == 0 {
			continue
		}
		if strings.TrimSpace(q.Text) == "" {
			return nil, fmt.Errorf("%s:%d: query %q has no text", name, lines.n, q.ID)
		}
		texts[q.ID] = q.Text
	}
}

// beirDoc is one line of corpus.jsonl; metadata and other fields are ignored.
type beirDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// WalkBEIRCorpus streams dir/corpus.jsonl, one {"_id", "title", "text"}
// object per line, calling fn for each doc in file order without holding the
// corpus in memory. A line that is not a JSON object or has no _id is an
// error naming the file and line; so is an error from fn, which stops the
// walk and is wrapped. Docs with empty title and text are passed on as they
// are, and doc ids are not checked for duplicates (that would hold every id
// in memory).
func WalkBEIRCorpus(ctx context.Context, dir string, fn func(Doc) error) error {
	path := filepath.Join(dir, beirCorpus)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load beir corpus: %w", err)
	}
	defer f.Close()
	return walkBEIRCorpus(ctx, f, path, fn)
}

// walkBEIRCorpus implements WalkBEIRCorpus over r; name prefixes errors.
func walkBEIRCorpus(ctx context.Context, r io.Reader, name string, fn func(Doc) error) error {
	lines := newLineReader(r)
	for {
		line, err := lines.next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var d beirDoc
		if err := decodeLoose(line, &d); err != nil {
			return fmt.Errorf("%s:%d: %w", name, lines.n, err)
		}
		if d.ID == "" {
			return fmt.Errorf("%s:%d: missing _id", name, lines.n)
		}
		if err := fn(Doc(d)); err != nil {
			return fmt.Errorf("%s:%d: doc %q: %w", name, lines.n, d.ID, err)
		}
	}
}
