package engine

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The id guard: an index run never makes an id silently change what it
// refers to, and never stores one file a second time under another id. It
// holds for every door (CLI, HTTP, MCP) because [Engine.index] applies it.
//
// It looks only at articles whose source is a file path (see
// [isFileSource]): an API or MCP write that names no source leaves Source
// empty and is stored under its URL or id as before, unchecked. How two
// paths compare: the engine alone, as a server that cannot see its
// clients' files, compares the paths as written, cleaned
// ([mayBeSameFile], [surelySameFile]); [IndexOptions.SameFile] lets the
// local CLI ask the file system first.

// IDConflict is one article an index run refused: its id would move to
// another source, or (StoredID set) its file is stored already under
// another id.
type IDConflict struct {
	// ID is the article's id in this run, Given its source.
	ID, Given string
	// Stored is the source of the stored document: the one holding ID, or
	// the one holding the same file under StoredID.
	Stored string
	// StoredID, when set, is the id under which the collection holds the
	// file Given already.
	StoredID string
}

// IDConflictError lists the articles an index run refused (nothing was
// changed); it matches [ErrIDConflict] with errors.Is.
type IDConflictError struct {
	Collection string
	Conflicts  []IDConflict
}

func (e *IDConflictError) Error() string {
	c := e.Conflicts[0]
	more := ""
	if n := len(e.Conflicts) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more like it)", n)
	}
	if c.StoredID == "" {
		return fmt.Sprintf("id %q in %q holds %s, and this run gives it %s%s: nothing was changed; to keep both, give one of them another id (index their common parent directory, or give one of them --id-prefix%s); to replace it, delete %q first",
			c.ID, e.Collection, c.Stored, c.Given, more, examplePrefix(c.Given), c.ID)
	}
	msg := fmt.Sprintf("%s is indexed already in %q as %q, and this run would index it again as %q%s (every search would find its passages twice): nothing was changed; ",
		c.Given, e.Collection, c.StoredID, c.ID, more)
	if p, ok := strings.CutSuffix(c.StoredID, "/"+c.ID); ok {
		return msg + fmt.Sprintf("index the directory it was indexed from (the parent), or give --id-prefix %s/ so that the ids match", p)
	}
	return msg + fmt.Sprintf("index it from the directory it was indexed from, or delete %q (and the ids indexed with it) first", c.StoredID)
}

// Is makes errors.Is(err, ErrIDConflict) true.
func (e *IDConflictError) Is(target error) bool { return target == ErrIDConflict }

// examplePrefix suggests an --id-prefix for a file: " sport/" for
// corpus/sport/001.txt, "" when its directory has no name.
func examplePrefix(source string) string {
	d := path.Base(path.Dir(filepath.ToSlash(source)))
	if d == "." || d == "/" || d == ".." || d == "" {
		return ""
	}
	return " " + d + "/"
}

// urlScheme matches the start of a URL such as https://.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// isFileSource reports whether source names a file, the only kind of
// source the guard compares: not empty (a write that named none), not "-"
// (stdin) and not a URL.
func isFileSource(source string) bool {
	return source != "" && source != "-" && !urlScheme.MatchString(source)
}

// cleanPath is a file source in a form two spellings of one path share:
// cleaned, with forward slashes.
func cleanPath(source string) string {
	return path.Clean(filepath.ToSlash(source))
}

// mayBeSameFile is the engine's answer to "could stored and given name the
// same file?", asked before an id moves to another source: yes when the
// cleaned paths are equal, or when one is relative and the other ends
// with it, as the same file named from two working directories does
// (corpus/tech/018.txt and tech/018.txt, or /home/me/corpus/tech/018.txt).
// Sources are stored as given, relative to the directory of the run that
// stored them, so only a clear difference refuses a run.
func mayBeSameFile(stored, given string) bool {
	a, b := cleanPath(stored), cleanPath(given)
	if a == b {
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	return !path.IsAbs(b) && strings.HasSuffix(a, "/"+b)
}

// surelySameFile is the engine's answer to "do stored and given name the
// same file?", asked before a file is refused for being stored under
// another id: only when the cleaned paths are equal.
func surelySameFile(stored, given string) bool {
	return cleanPath(stored) == cleanPath(given)
}

// sameFile asks opt.SameFile first, then the engine's rule.
func sameFile(opt IndexOptions, stored, given string, rule func(stored, given string) bool) bool {
	if opt.SameFile != nil {
		if same, known := opt.SameFile(stored, given); known {
			return same
		}
	}
	return rule(stored, given)
}

// checkSources applies the id guard to the articles a run would embed
// (todo), before anything is embedded. It needs the collection's ids
// (hashes) and reads the stored source of only the ids it compares, so a
// run of a few articles (a watch batch) does not list every document.
func (e *Engine) checkSources(ctx context.Context, collection string, hashes map[string]string, todo []*pending, inRun map[string]bool, opt IndexOptions) ([]IDConflict, error) {
	need := false
	for _, p := range todo {
		need = need || isFileSource(p.art.Source)
	}
	if !need || len(hashes) == 0 {
		return nil, nil
	}
	// source returns id's stored source (ok false: not stored, or
	// deleted since the ids were read), read through a docLookup.
	type stored struct {
		source string
		ok     bool
	}
	docs := e.lookup(collection)
	source := func(id string) (stored, error) {
		d, ok, err := docs.get(ctx, id)
		if err != nil {
			return stored{}, fmt.Errorf("check sources: %w", err)
		}
		return stored{d.Source, ok}, nil
	}
	// bySuffix finds stored ids that are another id with directories in
	// front: "tech/018.txt" under "018.txt". Built on first need.
	var bySuffix map[string][]string
	removing := make(map[string]bool, len(opt.Remove)) // ids the run removes: their files moved
	for _, id := range opt.Remove {
		removing[id] = true
	}
	var conflicts []IDConflict
	for _, p := range todo {
		a := p.art
		if !isFileSource(a.Source) {
			continue
		}
		if _, ok := hashes[a.ID]; ok {
			if p.isNew {
				continue
			}
			st, err := source(a.ID)
			if err != nil {
				return nil, err
			}
			if st.ok && !sameFile(opt, st.source, a.Source, mayBeSameFile) {
				conflicts = append(conflicts, IDConflict{ID: a.ID, Given: a.Source, Stored: st.source})
			}
			continue
		}
		if opt.Prune {
			continue // the run removes every stored id it does not give
		}
		// The same file reached through a parent or a child directory gets
		// an id that is the other's with directories added or removed. Two
		// projects' docs/README.md, kept apart with --id-prefix a/ and b/,
		// do not: their stored paths look alike but were relative to
		// different directories.
		if bySuffix == nil {
			bySuffix = map[string][]string{}
			for id := range hashes {
				for i := 0; i < len(id); i++ {
					if id[i] == '/' && i+1 < len(id) {
						bySuffix[id[i+1:]] = append(bySuffix[id[i+1:]], id)
					}
				}
			}
		}
		candidates := slices.Clone(bySuffix[a.ID])
		for i := 0; i < len(a.ID); i++ {
			if a.ID[i] == '/' {
				if _, ok := hashes[a.ID[i+1:]]; ok {
					candidates = append(candidates, a.ID[i+1:])
				}
			}
		}
		slices.Sort(candidates) // the first conflict found does not depend on map order
		for _, id := range candidates {
			if inRun[id] || removing[id] {
				continue
			}
			st, err := source(id)
			if err != nil {
				return nil, err
			}
			if !st.ok || !isFileSource(st.source) {
				continue
			}
			if sameFile(opt, st.source, a.Source, surelySameFile) {
				conflicts = append(conflicts, IDConflict{ID: a.ID, Given: a.Source, Stored: st.source, StoredID: id})
				break
			}
		}
	}
	return conflicts, nil
}

// refused ends a run that checkSources refused (or could not check):
// nothing was stored, and the refused articles say so in their results.
func refused(st IndexStats, collection string, conflicts []IDConflict, err error) (IndexStats, error) {
	ids := make(map[string]bool, len(conflicts))
	for _, c := range conflicts {
		ids[c.ID] = true
	}
	for i, r := range st.Results {
		if ids[r.ID] && r.Status == DocNotStored {
			st.Results[i].Status = DocIDConflict
		}
		if r.Status == DocNotStored || st.Results[i].Status == DocIDConflict {
			st.NotStored++
		}
	}
	if err != nil {
		return st, err
	}
	return st, &IDConflictError{Collection: collection, Conflicts: conflicts}
}
