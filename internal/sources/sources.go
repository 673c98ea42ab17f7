// Package sources keeps a collection in step with the folders and files it
// was indexed from (vectorstore.Sources): it records them after `index`,
// and [Syncer.Sync] indexes them all again for `sync`, or the paths that
// changed for `watch`, removing
// the articles of files that are gone and recording, file by file, what the
// run did. All writes go through engine.Index, the path `index` takes.
package sources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// ErrNone reports a collection that has no recorded sources.
var ErrNone = errors.New("no sources recorded")

// Root returns the source root for path p as given to `index` with opt and
// idPrefix: its absolute path and the options that select its files.
func Root(p string, opt article.LoadOptions, idPrefix string, now time.Time) (vectorstore.SourceRoot, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return vectorstore.SourceRoot{}, fmt.Errorf("source %s: %w", p, err)
	}
	return vectorstore.SourceRoot{Path: abs, Include: opt.Include, Exclude: opt.Exclude, MaxFileBytes: opt.MaxFileBytes, IDPrefix: idPrefix, Added: now}, nil
}

// AddRoots returns roots with add merged in: a root of the same path takes
// the new options, others are appended in order.
func AddRoots(roots []vectorstore.SourceRoot, add ...vectorstore.SourceRoot) []vectorstore.SourceRoot {
	out := slices.Clone(roots)
	for _, r := range add {
		if i := slices.IndexFunc(out, func(o vectorstore.SourceRoot) bool { return o.Path == r.Path }); i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}

// Run is what one index run over some files did: the articles loaded
// (their Source the file's path), the problems met, and the run's results
// in the order of Articles.
type Run struct {
	Articles []article.Article
	Problems []article.Problem
	Results  []engine.DocResult
	// MovedFrom names the removed article each moved one took its
	// vectors from (engine.IndexStats.MovedFrom).
	MovedFrom map[string]string
	// Err is the run's error: articles it did not store are reported
	// failed with it.
	Err error
}

// Report returns the file reports of prev with those of run's files
// replaced (and added): each file's status in run, its articles, and its
// passages, pages and indexing time as stored now (docs, by id). Paths are
// made absolute. keep, when set, says which of prev's files stay without
// being in run (files of other roots).
func Report(prev []vectorstore.FileReport, run Run, docs map[string]vectorstore.Document, now time.Time, keep func(vectorstore.FileReport) bool) []vectorstore.FileReport {
	byPath := map[string]*vectorstore.FileReport{}
	var order []string
	file := func(source string) *vectorstore.FileReport {
		p := absPath(source)
		if f, ok := byPath[p]; ok {
			return f
		}
		f := &vectorstore.FileReport{Path: p}
		byPath[p] = f
		order = append(order, p)
		return f
	}
	status := map[string]engine.DocResult{}
	for _, r := range run.Results {
		status[r.ID] = r
	}
	for _, a := range run.Articles {
		if a.Source == "-" || a.Source == "" {
			continue
		}
		f := file(a.Source)
		f.IDs = append(f.IDs, a.ID)
		r, ok := status[a.ID]
		st := vectorstore.FileUnchanged
		switch {
		case !ok || r.Status == engine.DocNotStored || r.Status == engine.DocIDConflict:
			st = vectorstore.FileFailed
			if run.Err != nil && f.Reason == "" {
				f.Reason = "not stored: " + run.Err.Error()
			} else if r.Status == engine.DocIDConflict {
				f.Reason = "not stored: its id is another file's"
			}
		case r.Status == engine.DocNew || r.Status == engine.DocUpdated:
			st = vectorstore.FileIndexed
			if from := run.MovedFrom[a.ID]; from != "" && f.Reason == "" {
				f.Reason = "moved from " + from + ": vectors kept, nothing embedded"
			}
		case r.Status == engine.DocDuplicate:
			st = vectorstore.FileSkipped
			f.Reason = "its id " + a.ID + " is an earlier article's"
		}
		f.Status = worse(f.Status, st)
	}
	prevByPath := map[string]vectorstore.FileReport{}
	for _, f := range prev {
		prevByPath[f.Path] = f
	}
	for _, p := range run.Problems {
		if p.Source == "-" || p.Source == "" || p.Kind == article.KindEmpty {
			continue
		}
		f := file(p.Source)
		switch p.Kind {
		case article.KindSkipped:
			f.Status = worse(f.Status, vectorstore.FileSkipped)
		case article.KindError:
			f.Status = worse(f.Status, vectorstore.FileFailed)
		}
		if f.Reason == "" {
			f.Reason = p.Reason
		} else {
			f.Reason += "; " + p.Reason
		}
		if f.Status == "" {
			f.Status = vectorstore.FileUnchanged // repaired, and its articles say the rest
		}
	}
	out := make([]vectorstore.FileReport, 0, len(order)+len(prev))
	for _, p := range order {
		f := byPath[p]
		if len(f.IDs) == 0 {
			// Nothing loaded (a file that failed): what it held before
			// stays stored, and stays its.
			f.IDs = prevByPath[p].IDs
		}
		f.Articles = 0
		for _, id := range f.IDs {
			d, ok := docs[id]
			if !ok {
				continue
			}
			f.Articles++
			f.Passages += d.Passages
			f.Pages += len(d.Pages)
			if d.Indexed.After(f.When) {
				f.When = d.Indexed
			}
		}
		if f.When.IsZero() {
			f.When = now
		}
		out = append(out, *f)
	}
	for _, f := range prev {
		if _, ok := byPath[f.Path]; !ok && keep != nil && keep(f) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b vectorstore.FileReport) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return out
}

var statusRank = map[string]int{"": 0, vectorstore.FileUnchanged: 1, vectorstore.FileIndexed: 2, vectorstore.FileSkipped: 3, vectorstore.FileFailed: 4}

// worse returns the status that says more is wrong: failed over skipped
// over indexed over unchanged.
func worse(a, b string) string {
	if statusRank[b] > statusRank[a] {
		return b
	}
	return a
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// StoredDocs returns the documents of collection (without their text) by id.
func StoredDocs(ctx context.Context, eng *engine.Engine, collection string) (map[string]vectorstore.Document, error) {
	docs, _, err := eng.Documents(ctx, collection, 0, 0)
	if errors.Is(err, engine.ErrNotFound) {
		return map[string]vectorstore.Document{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out := make(map[string]vectorstore.Document, len(docs))
	for _, d := range docs {
		out[d.ID] = d
	}
	return out, nil
}

// exists reports whether p is there (a file that failed to load but is
// there keeps its articles).
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
