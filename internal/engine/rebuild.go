package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// A rebuild ([IndexOptions.Rebuild]) re-embeds every article of a
// collection with the engine's settings: the articles the run was given,
// and every stored article it was not given, re-chunked from its stored
// text, skip spans and line map. It writes them all into a staging
// collection and switches it in with [vectorstore.Store.ReplaceCollection]
// only once it is complete and durable, so a rebuild that fails or is
// killed at any moment leaves the collection as it was (and a staging
// collection that the next rebuild removes).
//
// The keyword index follows the switch: the collection's keyword index is
// dropped just before it and built again from the switched store right
// after, without embedding. A crash in between leaves it missing, which
// every later run and search repairs from the store (see syncKeywords); it
// is never left holding the old passages under the hashes of the new ones
// (a rebuilt article keeps its content hash, so a hash comparison could
// not tell them apart).

// stagingPrefix starts the names of the staging collections of a rebuild
// of collection name: any collection with this prefix is a rebuild's.
func stagingPrefix(name string) string {
	h := sha256.Sum256([]byte(name))
	return "rebuild." + hex.EncodeToString(h[:6]) + "."
}

// stagingName is a new staging collection name for a rebuild of name:
// unique per run, so that a backend whose collections outlive their names
// (Weaviate's classes, see weaviatestore) never reuses the one in service.
func stagingName(name string) string {
	return stagingPrefix(name) + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// rebuild is an Index run with Rebuild set.
func (e *Engine) rebuild(ctx context.Context, collection string, arts []article.Article, opt IndexOptions) (st IndexStats, err error) {
	start := time.Now()
	e.indexMu.Lock()
	defer e.indexMu.Unlock()
	defer func() { st.Duration = time.Since(start) }()
	st.Results = make([]DocResult, len(arts))
	for i := range arts {
		st.Results[i] = DocResult{ID: arts[i].ID, Status: DocNotStored}
	}
	notStored := func() {
		st.NotStored = 0
		for _, r := range st.Results {
			if r.Status == DocNotStored {
				st.NotStored++
			}
		}
	}
	hashes := map[string]string{}
	if c, err := e.store.Collection(ctx, collection); err == nil {
		st.Total = c.Passages
		if hashes, err = e.store.Hashes(ctx, collection); err != nil {
			return st, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return st, err
	}

	// The articles given: each replaces its stored version.
	seen := make(map[string]bool, len(arts))
	var todo []*pending
	var changed []*pending // given articles whose stored version differs: the id guard's business
	for i := range arts {
		a := &arts[i]
		if seen[a.ID] {
			st.Duplicates++
			st.Results[i].Status = DocDuplicate
			e.log.Warn("duplicate article id, keeping the first", "id", a.ID, "source", a.Source)
			continue
		}
		seen[a.ID] = true
		old, exists := hashes[a.ID]
		p := &pending{art: a, hash: a.Hash(), isNew: !exists, result: &st.Results[i]} // chunked in the pipeline
		todo = append(todo, p)
		if old != p.hash {
			changed = append(changed, p)
		}
	}
	if conflicts, err := e.checkSources(ctx, collection, hashes, changed, seen, opt); err != nil || len(conflicts) > 0 {
		st.NotStored = 0
		return refused(st, collection, conflicts, err)
	}
	// The stored articles not given: re-chunked from the store, unless
	// pruned.
	var rest []string
	for id := range hashes {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	if opt.Prune {
		st.Gone, rest = rest, nil
	}
	for _, id := range rest {
		doc, hits, err := vectorstore.DocumentPassages(ctx, e.store, collection, id)
		if err != nil {
			notStored()
			return st, fmt.Errorf("read stored article %s: %w", id, err)
		}
		a := storedArticle(doc, hits)
		// The stored hash stays: the article is the same, so a later run
		// given the same file finds it unchanged.
		p := &pending{art: &a, hash: doc.Hash} // chunked in the pipeline
		todo = append(todo, p)
	}
	if opt.DryRun {
		if err := e.countPassages(ctx, todo); err != nil {
			notStored()
			return st, err
		}
		e.countRebuilt(&st, todo, hashes)
		st.Removed = len(st.Gone)
		return st, nil
	}
	if len(todo) == 0 && len(hashes) == 0 {
		return st, nil // nothing stored, nothing given
	}

	// Stage. Rebuilds killed before their switch left staging collections.
	if err := e.dropStaging(ctx, collection); err != nil {
		notStored()
		return st, err
	}
	stage := stagingName(collection)
	staged := false
	defer func() {
		if err != nil && staged {
			// The collection is untouched; the staged copy is of no use.
			if derr := e.dropCollection(context.WithoutCancel(ctx), stage); derr != nil && !errors.Is(derr, ErrNotFound) {
				e.log.Warn("staging collection of a failed rebuild left behind; the next rebuild removes it", "collection", stage, "err", derr)
			}
		}
	}()
	e.log.Info("rebuilding collection", "collection", collection, "staging", stage, "articles", len(todo))
	staged = true
	err = e.embedAndStore(ctx, stage, nil, todo, &st, opt, func(*pending) {}, func() error { return nil })
	if err == nil && len(todo) == 0 {
		// Every article was pruned: the switch brings in an empty collection.
		err = e.createStaging(ctx, stage)
	}
	if err == nil {
		err = e.store.Flush(ctx)
	}
	if err != nil {
		st.EmbedTime = st.EmbedTime.Round(time.Millisecond)
		notStored()
		return st, fmt.Errorf("rebuild %q (the collection is unchanged): %w", collection, err)
	}

	// What the collection was indexed from stays with it.
	if ss, ok := e.store.(vectorstore.SourcesStore); ok {
		if src, err := ss.Sources(ctx, collection); err == nil && (len(src.Roots) > 0 || len(src.Files) > 0) {
			if err := ss.RecordSources(ctx, stage, src); err != nil {
				notStored()
				return st, fmt.Errorf("rebuild %q (the collection is unchanged): keep its sources: %w", collection, err)
			}
		}
	}

	// Switch.
	if e.keywords != nil {
		if err := e.keywords.Drop(ctx, collection); err != nil {
			notStored()
			return st, fmt.Errorf("rebuild %q (the collection is unchanged): bm25 index: %w", collection, err)
		}
		e.forgetKeywordCheck(collection)
	}
	if err := e.store.ReplaceCollection(context.WithoutCancel(ctx), collection, stage); err != nil {
		notStored()
		return st, fmt.Errorf("rebuild %q: switch to the rebuilt collection: %w", collection, err)
	}
	staged = false
	e.countRebuilt(&st, todo, hashes)
	st.Removed = len(st.Gone)
	if c, err := e.store.Collection(ctx, collection); err == nil {
		st.Total = c.Passages
	}
	if e.keywords != nil {
		kctx := context.WithoutCancel(ctx)
		if err := e.keywords.Drop(kctx, stage); err != nil {
			e.log.Warn("keyword index of the staging collection left behind", "collection", stage, "err", err)
		}
		if err := e.syncKeywords(kctx, collection); err != nil {
			return st, fmt.Errorf("rebuild %q: the collection is rebuilt, its bm25 index is not (the next run or `semsearch repair` builds it): %w", collection, err)
		}
	}
	return st, nil
}

// countRebuilt fills the stats of a rebuild that stored (or, dry, would
// store) todo: given articles count as new, updated or unchanged against
// the stored hashes, stored ones not given as Rebuilt.
func (e *Engine) countRebuilt(st *IndexStats, todo []*pending, hashes map[string]string) {
	for _, p := range todo {
		st.Passages += p.n
		if p.result == nil {
			st.Rebuilt++
			continue
		}
		p.result.Passages = p.n
		switch old, ok := hashes[p.art.ID]; {
		case !ok:
			st.New++
			p.result.Status = DocNew
		case old == p.hash:
			st.Unchanged++
			p.result.Status = DocUnchanged
		default:
			st.Updated++
			p.result.Status = DocUpdated
		}
	}
}

// createStaging creates an empty staging collection with the engine's
// settings (the dimension is not known: nothing was embedded).
func (e *Engine) createStaging(ctx context.Context, stage string) error {
	set, err := e.settings(ctx)
	if err != nil {
		return err
	}
	_, err = e.store.CreateCollection(ctx, stage, set)
	return err
}

// dropStaging removes the staging collections that killed rebuilds of
// collection left behind.
func (e *Engine) dropStaging(ctx context.Context, collection string) error {
	cols, err := e.store.Collections(ctx)
	if err != nil {
		return err
	}
	prefix := stagingPrefix(collection)
	for _, c := range cols {
		if !strings.HasPrefix(c.Name, prefix) {
			continue
		}
		e.log.Info("removing the staging collection of an interrupted rebuild", "collection", c.Name)
		if err := e.dropCollection(ctx, c.Name); err != nil {
			return fmt.Errorf("remove the staging collection %q of an interrupted rebuild: %w", c.Name, err)
		}
	}
	return nil
}

// storedArticle makes an article of a stored document, to be chunked again.
// Documents stored before their skip spans and line map were recorded
// (LayoutRecorded false) get them derived again: for text and Markdown the
// stored text is the file's, so the loader finds the same skip spans in it
// (and the line map is the identity); HTML's skip spans are found in its
// extracted text the same way the loader did, but its line map needs the
// page's source, which was not stored, so it is approximated from the
// stored passages' citations (see approximateLines).
func storedArticle(doc vectorstore.Document, hits []vectorstore.Hit) article.Article {
	a := article.Article{
		ID: doc.ID, Source: doc.Source, Format: doc.Format, Title: doc.Title, Author: doc.Author, URL: doc.URL,
		Published: doc.Published, Meta: doc.Meta, Text: doc.Text, Skip: doc.Skip, Lines: doc.Lines,
		Pages: doc.Pages, Chapters: doc.Chapters,
	}
	if doc.LayoutRecorded {
		return a
	}
	a.Skip, a.Lines = nil, nil
	switch doc.Format {
	case article.FormatText, article.FormatMarkdown, article.FormatHTML:
		// HTML's skip spans come from reading its text as plain text.
		format := doc.Format
		if format == article.FormatHTML {
			format = article.FormatText
		}
		if parsed, _, err := article.Parse(doc.Source, doc.ID, []byte(doc.Text), format); err == nil && len(parsed) == 1 && parsed[0].Text == doc.Text {
			a.Skip = parsed[0].Skip
		}
	}
	if doc.Format != article.FormatText && doc.Format != article.FormatMarkdown {
		a.Lines = approximateLines(doc.Text, hits)
	}
	return a
}

// approximateLines rebuilds a line map of text from the stored passages'
// citations: each line of text gets the source lines of the passages that
// hold it (the first line of the first, the last of the last), and a line
// no passage holds gets those of the line before it. A line thus maps to a
// range at least as wide as the true one: a rebuilt passage cites the lines
// the passages it overlaps cited. It returns nil (the identity) when every
// passage cites the lines of text it holds, as for text without a map.
func approximateLines(text string, hits []vectorstore.Hit) []article.LineRange {
	n := strings.Count(text, "\n") + 1
	lineAt := func(off int) int { return strings.Count(text[:min(max(off, 0), len(text))], "\n") + 1 }
	out := make([]article.LineRange, n)
	identity := true
	for _, h := range hits {
		if h.End <= h.Start || h.LineStart <= 0 {
			continue
		}
		first, last := lineAt(h.Start), lineAt(h.End-1)
		if h.LineStart != first || h.LineEnd != last {
			identity = false
		}
		for l := first; l <= last && l <= n; l++ {
			r := &out[l-1]
			if r.First == 0 || h.LineStart < r.First {
				r.First = h.LineStart
			}
			r.Last = max(r.Last, h.LineEnd)
		}
	}
	if identity {
		return nil
	}
	prev := article.LineRange{First: 1, Last: 1}
	for i := range out {
		if out[i].First == 0 {
			out[i] = article.LineRange{First: prev.Last, Last: prev.Last}
		} else {
			prev = out[i]
		}
	}
	return out
}
