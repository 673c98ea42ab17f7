package sources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Syncer indexes a collection's recorded sources again.
type Syncer struct {
	Engine     *engine.Engine
	Collection string
	// SameFile is the id guard's file comparison (see
	// engine.IndexOptions.SameFile).
	SameFile func(stored, given string) (same, known bool)
	Now      func() time.Time // time.Now when nil
}

// Result is what one [Syncer.Sync] did.
type Result struct {
	Stats    engine.IndexStats
	Problems []article.Problem
	// Missing are the roots that are gone: their articles were removed.
	Missing []string
	Files   []vectorstore.FileReport
}

// Sync loads every recorded root (with the options it was indexed with)
// and indexes what it holds through engine.Index: new and changed files
// are embedded, unchanged ones cost a read and a hash, a renamed file
// keeps its vectors (a move), and the articles of files that are gone are
// removed. A file that is there but fails to load keeps what it held. The
// file report is recorded with the sources afterwards. It returns ErrNone
// when the collection has no recorded sources.
//
// changed, when not nil, are the paths that changed since the last sync
// (watch's batch): only they are read again, with the IDs and options of
// their root, and only the articles of the files under them can be
// removed. A folder of large PDFs is then not parsed again because one
// note changed beside it.
func (s *Syncer) Sync(ctx context.Context, changed []string) (Result, error) {
	var res Result
	src, err := s.Engine.Sources(ctx, s.Collection)
	if err != nil {
		return res, err
	}
	if len(src.Roots) == 0 {
		return res, fmt.Errorf("collection %q: %w", s.Collection, ErrNone)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	// looked says whether this run read what path holds now.
	looked := func(string) bool { return true }
	if changed != nil {
		looked = func(p string) bool { return reachedBy(changed, p) }
	}
	var arts []article.Article
	for _, root := range src.Roots {
		opt := article.LoadOptions{Include: root.Include, Exclude: root.Exclude, MaxFileBytes: root.MaxFileBytes}
		if changed != nil {
			opt.Only = within(changed, root.Path)
			if len(opt.Only) == 0 {
				continue
			}
		}
		if _, err := os.Stat(root.Path); errors.Is(err, os.ErrNotExist) {
			res.Missing = append(res.Missing, root.Path)
			continue
		}
		got, err := article.Load(ctx, []string{root.Path}, nil, opt)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) { // gone while it was walked
				res.Missing = append(res.Missing, root.Path)
				continue
			}
			return res, fmt.Errorf("load %s: %w", root.Path, err)
		}
		for i := range got.Articles {
			got.Articles[i].ID = root.IDPrefix + got.Articles[i].ID
		}
		arts = append(arts, got.Articles...)
		res.Problems = append(res.Problems, got.Problems...)
	}
	var bad []article.Problem
	arts, bad = RefuseBadIDs(arts, "rename the file")
	res.Problems = append(res.Problems, bad...)

	// What is gone: the articles of the files looked at that hold none
	// now, unless the file is there and failed to load this time.
	seen := make(map[string]bool, len(arts))
	for _, a := range arts {
		seen[a.ID] = true
	}
	failed := map[string]bool{}
	for _, p := range res.Problems {
		if p.Kind == article.KindSkipped || p.Kind == article.KindError {
			failed[absPath(p.Source)] = true
		}
	}
	var remove []string
	for _, f := range src.Files {
		if !looked(f.Path) || failed[f.Path] && exists(f.Path) {
			continue
		}
		for _, id := range f.IDs {
			if !seen[id] {
				seen[id] = true // given, or already to be removed
				remove = append(remove, id)
			}
		}
	}
	st, ierr := s.Engine.Index(ctx, s.Collection, arts, engine.IndexOptions{Remove: remove, SameFile: s.SameFile})
	res.Stats = st
	var docs map[string]vectorstore.Document
	if changed == nil {
		docs, err = StoredDocs(context.WithoutCancel(ctx), s.Engine, s.Collection)
	} else {
		// The report needs only the documents of the files looked at:
		// a watch batch costs what changed, not the collection's size.
		ids := make([]string, 0, len(arts))
		for _, a := range arts {
			ids = append(ids, a.ID)
		}
		for _, f := range src.Files {
			if looked(f.Path) {
				ids = append(ids, f.IDs...)
			}
		}
		docs, err = s.Engine.DocumentsOf(context.WithoutCancel(ctx), s.Collection, ids)
	}
	if err != nil {
		return res, errors.Join(ierr, err)
	}
	// The report is this run's files and, of the files recorded before,
	// those not looked at and those whose articles are still stored (a
	// file that failed to load, or a root that is gone but kept because
	// the run failed before removing it).
	res.Files = Report(src.Files, Run{Articles: arts, Problems: res.Problems, Results: st.Results, MovedFrom: st.MovedFrom, Err: ierr}, docs, now(),
		func(f vectorstore.FileReport) bool {
			if !looked(f.Path) {
				return true
			}
			for _, id := range f.IDs {
				if _, ok := docs[id]; ok {
					return true
				}
			}
			return false
		})
	src.Files = res.Files
	if err := s.Engine.RecordSources(context.WithoutCancel(ctx), s.Collection, src); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return res, errors.Join(ierr, err)
	}
	return res, ierr
}

// within returns the paths of changed that are root or lie under it.
func within(changed []string, root string) []string {
	var out []string
	for _, p := range changed {
		if article.Within(p, root) {
			out = append(out, p)
		}
	}
	return out
}

// reachedBy reports whether a sync of the changed paths reads file p: p is
// one of them or lies under one.
func reachedBy(changed []string, p string) bool {
	return slices.ContainsFunc(changed, func(c string) bool { return article.Within(p, c) })
}

// RefuseBadIDs keeps the articles whose ids pass the request model's id
// rule (engine.CheckID) and reports the others as skipped, saying what to
// do: advice, such as "rename the file".
func RefuseBadIDs(arts []article.Article, advice string) ([]article.Article, []article.Problem) {
	var probs []article.Problem
	kept := arts[:0]
	for _, a := range arts {
		if err := engine.CheckID(a.ID); err != nil {
			probs = append(probs, article.Problem{Source: a.Source, Kind: article.KindSkipped,
				Reason: fmt.Sprintf("not indexed: its %v; %s", err, advice)})
			continue
		}
		kept = append(kept, a)
	}
	return kept, probs
}
