package eval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// BBCStats counts what [LoadBBC] read, merged and dropped.
type BBCStats struct {
	// Files is the number of article files read.
	Files int
	// Latin1 lists the ids of files that were not valid UTF-8 and were
	// decoded as Latin-1.
	Latin1 []string
	// DuplicateBodies counts files whose body repeats an earlier file's body
	// (after whitespace normalisation); they are not kept as docs.
	DuplicateBodies int
	// Docs is the number of docs kept: Files - DuplicateBodies.
	Docs int
	// RepeatedHeadlines counts files whose headline repeats an earlier file's
	// headline; they add no query of their own.
	RepeatedHeadlines int
	// AmbiguousHeadlines counts distinct headlines shared by files whose
	// bodies differ; their queries are dropped.
	AmbiguousHeadlines int
	// DroppedFiles counts the files carrying an ambiguous headline.
	DroppedFiles int
	// Queries is the number of queries kept: one per distinct headline that
	// names exactly one doc.
	Queries int
}

// String reports the counts on one line.
func (s BBCStats) String() string {
	return fmt.Sprintf("files=%d latin1=%d duplicate_bodies=%d docs=%d repeated_headlines=%d ambiguous_headlines=%d dropped_files=%d queries=%d",
		s.Files, len(s.Latin1), s.DuplicateBodies, s.Docs, s.RepeatedHeadlines, s.AmbiguousHeadlines, s.DroppedFiles, s.Queries)
}

// bbcFile is one parsed BBC article.
type bbcFile struct {
	id, headline, body string
}

// LoadBBC builds a headline-retrieval task from the BBC News dataset in dir
// (topic folders of NNN.txt files: the headline on the first line, then a
// blank line, then the body). It reads the files in place and copies nothing.
//
// The corpus holds one doc per distinct body: ID "topic/NNN.txt", Text the
// body without its headline, Title empty (the headline is the query).
// Each query is a headline, and its one relevant doc (grade 1) is the doc
// holding the body it was published with. Duplicates are removed as follows,
// comparing texts after collapsing runs of Unicode whitespace and trimming:
//
//   - Files with identical bodies become one doc, the first in sorted path
//     order; the others' headlines point at that doc.
//   - Files with the same headline give one query, whose ID is the first such
//     file's id.
//   - A headline carried by files whose bodies differ names several docs, so
//     its relevance is ambiguous and its query is dropped. (A headline
//     repeated only by exact duplicates of one article is kept.)
//
// Files that are not valid UTF-8 are decoded as Latin-1. Docs and queries
// come in sorted path order. The stats say what was merged and dropped.
func LoadBBC(ctx context.Context, dir string) (*Dataset, BBCStats, error) {
	var stats BBCStats
	files, err := readBBCFiles(ctx, dir, &stats)
	if err != nil {
		return nil, stats, err
	}

	ds := &Dataset{Name: "bbc-headlines"}
	canonical := map[string]string{} // normalised body -> doc id
	docOf := make([]string, len(files))
	for i, f := range files {
		key := normalizeSpace(f.body)
		if id, dup := canonical[key]; dup {
			docOf[i] = id
			stats.DuplicateBodies++
			continue
		}
		canonical[key] = f.id
		docOf[i] = f.id
		ds.Docs = append(ds.Docs, Doc{ID: f.id, Text: f.body})
	}
	stats.Docs = len(ds.Docs)

	type headline struct {
		first int             // index of the first file carrying it
		docs  map[string]bool // docs it names
		files int
	}
	var order []string
	headlines := map[string]*headline{}
	for i, f := range files {
		key := normalizeSpace(f.headline)
		h, ok := headlines[key]
		if !ok {
			h = &headline{first: i, docs: map[string]bool{}}
			headlines[key] = h
			order = append(order, key)
		} else {
			stats.RepeatedHeadlines++
		}
		h.docs[docOf[i]] = true
		h.files++
	}
	for _, key := range order {
		h := headlines[key]
		if len(h.docs) > 1 {
			stats.AmbiguousHeadlines++
			stats.DroppedFiles += h.files
			continue
		}
		f := files[h.first]
		ds.Queries = append(ds.Queries, Query{
			ID:       f.id,
			Text:     f.headline,
			Relevant: map[string]int{docOf[h.first]: 1},
		})
	}
	stats.Queries = len(ds.Queries)
	return ds, stats, nil
}

// readBBCFiles reads every topic/*.txt file under dir in sorted path order.
func readBBCFiles(ctx context.Context, dir string, stats *BBCStats) ([]bbcFile, error) {
	topics, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load bbc: %w", err)
	}
	var files []bbcFile
	for _, topic := range topics { // os.ReadDir sorts by name
		if !topic.IsDir() {
			continue // README.TXT
		}
		entries, err := os.ReadDir(filepath.Join(dir, topic.Name()))
		if err != nil {
			return nil, fmt.Errorf("load bbc: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("load bbc: %w", err)
			}
			id := path.Join(topic.Name(), e.Name())
			raw, err := os.ReadFile(filepath.Join(dir, topic.Name(), e.Name()))
			if err != nil {
				return nil, fmt.Errorf("load bbc: %w", err)
			}
			if !utf8.Valid(raw) {
				raw = []byte(decodeLatin1(raw))
				stats.Latin1 = append(stats.Latin1, id)
			}
			f, err := parseBBCFile(id, string(raw))
			if err != nil {
				return nil, fmt.Errorf("load bbc: %s: %w", filepath.Join(dir, id), err)
			}
			files = append(files, f)
		}
	}
	stats.Files = len(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("load bbc: no topic/*.txt files in %s", dir)
	}
	return files, nil
}

// parseBBCFile splits a BBC article into headline (first line) and body
// (the rest), both trimmed.
func parseBBCFile(id, text string) (bbcFile, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	headline, body, _ := strings.Cut(text, "\n")
	f := bbcFile{id: id, headline: strings.TrimSpace(headline), body: strings.TrimSpace(body)}
	switch {
	case f.headline == "":
		return f, errors.New("empty headline")
	case f.body == "":
		return f, errors.New("empty body")
	}
	return f, nil
}

// decodeLatin1 decodes ISO-8859-1: every byte is the code point of the same
// value.
func decodeLatin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// normalizeSpace collapses each run of Unicode white space (unicode.IsSpace)
// to one ASCII space and trims both ends.
func normalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
