package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// IndexOptions control one [Engine.Index] run.
type IndexOptions struct {
	// Prune removes documents of the collection that this run did not get,
	// e.g. because their file was deleted.
	Prune bool
	// Rebuild re-embeds every article of the collection with the engine's
	// settings, whether or not they changed: the articles given (replacing
	// their stored versions) and every stored article not given, chunked
	// again from the store. The rebuilt collection replaces the old one
	// only once complete, so a failed or killed rebuild changes nothing.
	// With Prune, stored articles not given are dropped instead.
	Rebuild bool
	// OnProgress, when set, is called once the run knows what it has to
	// embed (nothing done yet) and after every embedding call, with
	// passage-level counts, so a single large article shows progress too.
	OnProgress func(IndexProgress)
	// DryRun computes what the run would do (the stats, each article's
	// Results status new, updated or unchanged, and Gone when pruning)
	// without embedding, storing, removing or repairing anything.
	DryRun bool
	// SameFile, when set, tells whether a stored document's source and an
	// article's name the same file, where the caller can see the files (the
	// local CLI: os.SameFile); known=false leaves it to the engine's
	// comparison of the paths as written. The id guard (see guard.go)
	// holds with or without it.
	SameFile func(stored, given string) (same, known bool)
	// Remove names documents to remove in this run once the articles are
	// stored (a deleted or renamed file's): `sync` and `watch` remove
	// what is gone this way, keeping the articles of a file that could
	// not be read. Ids also given as articles are kept.
	Remove []string
}

// IndexProgress is how far an index run's embedding has got.
type IndexProgress struct {
	Articles, ArticlesTotal int // articles stored so far, and to embed in all
	Passages, PassagesTotal int // passages embedded so far, and to embed in all
}

// IndexStats summarise an index run. They count only what is durable: an
// article stored in memory whose flush to disk failed counts as not stored.
type IndexStats struct {
	New, Updated, Unchanged, Removed int
	// Duplicates counts articles dropped because an earlier article in the
	// same run had the same id.
	Duplicates int
	// NotStored counts articles to add or update that were not stored
	// durably: the run failed before storing them, or the flush after
	// storing them failed. Their previous version (if any) may remain.
	NotStored int
	// Passages is the number of passages embedded and durably stored in
	// this run; Total the number durably stored in the collection
	// afterwards.
	Passages, Total int
	// Rebuilt counts the stored articles a rebuild re-embedded from the
	// store (those it was not given).
	Rebuilt int
	// Moved counts the new or changed articles whose content a document
	// this run removes (Prune, Remove) held: a renamed or moved file.
	// They took that document's vectors instead of being embedded.
	Moved int
	// MovedFrom names, by the id of each article counted in Moved, the
	// removed document whose vectors it took.
	MovedFrom map[string]string `json:"-"`
	EmbedTime time.Duration
	Duration  time.Duration
	// Gone lists the ids removed by Prune (or, in a dry run, that would be).
	Gone []string
	// Results says, per article in the order given, what the run did.
	Results []DocResult
}

// DocStatus is what an index run did with one article.
type DocStatus string

// What an index run did with an article: see [DocResult].
const (
	DocNew       DocStatus = "new"
	DocUpdated   DocStatus = "updated"
	DocUnchanged DocStatus = "unchanged"
	DocDuplicate DocStatus = "duplicate"
	// DocNotStored: the article is not durably stored in this version;
	// sending it again is safe (stored articles cost nothing).
	DocNotStored DocStatus = "not_stored"
	// DocIDConflict: the id guard refused the article (see
	// [IDConflictError]), and with it the whole run.
	DocIDConflict DocStatus = "id_conflict"
)

// DocResult is one article's outcome in an index run.
type DocResult struct {
	ID     string    `json:"id"`
	Status DocStatus `json:"status"`
	// Passages is how many passages were embedded and stored (new or
	// updated articles only).
	Passages int `json:"passages,omitempty"`
}

// pending is an article waiting for its passages' vectors.
type pending struct {
	result *DocResult // its entry in IndexStats.Results
	art    *article.Article
	hash   string
	isNew  bool
	// n is the number of passages, known once the article is prepared or
	// counted (see countPassages).
	n        int
	prepared bool
	// chunks and inputs are set by countPassages or ensurePrepared and
	// dropped once the article is stored.
	chunks []chunk.Chunk
	inputs []string
	// vecs, when set, are vectors taken from a removed document with the
	// same content (a move): nothing to embed.
	vecs [][]float32
}

// Index brings a collection up to date with arts: new and changed articles
// are chunked, embedded and stored; unchanged ones (same content hash) cost
// nothing. Each article is stored whole or not at all: when embedding fails
// part way, the articles embedded so far are kept (and flushed), the rest keep
// their previous version, and the error says which call failed.
//
// Calls that only add or replace articles (no Prune, Rebuild, DryRun,
// progress or SameFile) and arrive while another is running are merged
// into one run (see [Engine.indexShared]): many small concurrent writers
// share embedding calls, store appends and one Flush.
func (e *Engine) Index(ctx context.Context, collection string, arts []article.Article, opt IndexOptions) (IndexStats, error) {
	if !opt.Prune && !opt.Rebuild && !opt.DryRun && opt.OnProgress == nil && opt.SameFile == nil && len(opt.Remove) == 0 {
		return e.indexShared(ctx, collection, arts)
	}
	if opt.Rebuild {
		return e.rebuild(ctx, collection, arts, opt)
	}
	return e.index(ctx, collection, arts, opt)
}

// index is one Index run.
func (e *Engine) index(ctx context.Context, collection string, arts []article.Article, opt IndexOptions) (st IndexStats, err error) {
	start := time.Now()
	e.indexMu.Lock() // one run at a time: runs interleaving their writes could leave BM25 behind
	defer e.indexMu.Unlock()
	// Total reports what the collection durably holds however the run
	// ended: set before the run and after every flush.
	defer func() { st.Duration = time.Since(start) }()
	if c, err := e.store.Collection(ctx, collection); err == nil {
		st.Total = c.Passages // even when the run fails before it starts
	}
	col, err := e.openForIndex(ctx, collection)
	if err != nil {
		return st, err
	}
	hashes := map[string]string{}
	if col != nil {
		st.Total = col.Passages // durable before the run
		// Every run repairs drift a failed or interrupted run left behind.
		if !opt.DryRun {
			if err := e.syncKeywords(ctx, collection); err != nil {
				return st, err
			}
		}
		if hashes, err = e.store.Hashes(ctx, collection); err != nil {
			return st, err
		}
	}

	seen := make(map[string]bool, len(arts))
	st.Results = make([]DocResult, len(arts))
	var todo []*pending
	for i := range arts {
		a := &arts[i]
		st.Results[i].ID = a.ID
		if seen[a.ID] {
			st.Duplicates++
			st.Results[i].Status = DocDuplicate
			e.log.Warn("duplicate article id, keeping the first", "id", a.ID, "source", a.Source)
			continue
		}
		seen[a.ID] = true
		h := a.Hash()
		old, exists := hashes[a.ID]
		if exists && old == h {
			st.Unchanged++
			st.Results[i].Status = DocUnchanged
			continue
		}
		st.Results[i].Status = DocNotStored
		// Chunked later, in the pipeline (see pipeline.go).
		todo = append(todo, &pending{art: a, hash: h, isNew: !exists, result: &st.Results[i]})
	}
	if conflicts, err := e.checkSources(ctx, collection, hashes, todo, seen, opt); err != nil || len(conflicts) > 0 {
		return refused(st, collection, conflicts, err)
	}
	gone := func() []string {
		var ids []string
		for id := range hashes {
			if !seen[id] {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		return ids
	}
	var removing []string // documents this run removes
	if opt.Prune {
		removing = gone()
	}
	for _, id := range opt.Remove {
		if _, stored := hashes[id]; stored && !seen[id] && !slices.Contains(removing, id) {
			removing = append(removing, id)
		}
	}
	if opt.DryRun {
		if err := e.countPassages(ctx, todo); err != nil {
			return st, err
		}
		for _, p := range todo {
			// The results say what the run would do with each article.
			if p.isNew {
				st.New++
				p.result.Status = DocNew
			} else {
				st.Updated++
				p.result.Status = DocUpdated
			}
			st.Passages += p.n
		}
		st.Gone = removing
		st.Removed = len(st.Gone)
		return st, nil
	}

	// Articles stored since the last flush count once a flush makes them
	// durable.
	var unflushed []*pending
	flush := func(ctx context.Context) error {
		if err := e.store.Flush(ctx); err != nil {
			return err
		}
		for _, p := range unflushed {
			if p.vecs == nil { // a move embedded nothing
				st.Passages += p.n
			}
			p.result.Passages = p.n
			if p.isNew {
				st.New++
				p.result.Status = DocNew
			} else {
				st.Updated++
				p.result.Status = DocUpdated
			}
		}
		unflushed = unflushed[:0]
		if c, err := e.store.Collection(ctx, collection); err == nil {
			st.Total = c.Passages
		}
		return nil
	}

	// A removed document's content given under another id (a renamed
	// file) keeps its vectors.
	todo, err = e.takeMoved(ctx, collection, col, todo, removing, &st, func(p *pending) { unflushed = append(unflushed, p) })
	if err != nil {
		ferr := flush(context.WithoutCancel(ctx))
		for _, r := range st.Results {
			if r.Status == DocNotStored {
				st.NotStored++
			}
		}
		return st, errors.Join(err, ferr)
	}

	// Flush every FlushEvery, but never spend more than a tenth of the run
	// flushing: a store may make a flush cost the whole collection (the
	// embedded store syncs a log, but another backend may rewrite a file).
	lastFlush, every := time.Now(), e.cfg.FlushEvery
	err = e.embedAndStore(ctx, collection, col, todo, &st, opt, func(p *pending) { unflushed = append(unflushed, p) }, func() error {
		if time.Since(lastFlush) < every {
			return nil
		}
		t := time.Now()
		err := flush(ctx)
		lastFlush = time.Now()
		every = max(every, 10*lastFlush.Sub(t))
		return err
	})
	removed := 0
	if err == nil && len(removing) > 0 {
		st.Gone = removing
		removed, err = e.store.Delete(ctx, collection, st.Gone...)
		if err == nil && e.keywords != nil && len(st.Gone) > 0 {
			if err = e.keywords.Delete(ctx, collection, st.Gone...); err != nil {
				e.forgetKeywordCheck(collection)
			}
		}
	}
	// Keep whatever was stored, even when the run failed part way.
	ferr := flush(context.WithoutCancel(ctx))
	if ferr == nil {
		st.Removed = removed
	}
	if err == nil {
		err = ferr
	} else if ferr != nil {
		err = errors.Join(err, fmt.Errorf("flush: %w", ferr))
	}
	for _, r := range st.Results {
		if r.Status == DocNotStored {
			st.NotStored++
		}
	}
	return st, err
}

// openForIndex returns the collection to index into, checking its settings.
// A collection that does not exist yet is created once the first vectors
// tell its dimension. (Rebuilds, which may change the settings, stage a new
// collection instead: see rebuild.go.)
func (e *Engine) openForIndex(ctx context.Context, name string) (*vectorstore.Collection, error) {
	c, err := e.store.Collection(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := e.checkSettings(ctx, c, false); err != nil {
		return nil, err
	}
	if err := e.recordSettings(ctx, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// settingsRecorder is a store that can record a collection's settings
// again (both backends can).
type settingsRecorder interface {
	RecordSettings(ctx context.Context, collection string, s vectorstore.Settings) error
}

// recordSettings completes the settings of a collection made before
// collections recorded how they were embedded (no Embedder): its query
// prefix, embedder and URL become the engine's, which match it in all
// that was recorded (checkSettings said so). Others are left alone.
func (e *Engine) recordSettings(ctx context.Context, c *vectorstore.Collection) error {
	rec, ok := e.store.(settingsRecorder)
	if !ok || c.Settings.Embedder != "" || e.cfg.Embedder == "" {
		return nil
	}
	set := c.Settings
	set.QueryPrefix, set.Embedder, set.EmbedURL, set.EmbedDimensions = e.cfg.QueryPrefix, e.cfg.Embedder, e.cfg.EmbedURL, e.cfg.EmbedDimensions
	if set.ModelDigest == "" {
		d, err := e.modelDigest(ctx)
		if err != nil {
			return err
		}
		set.ModelDigest = d
	}
	if err := rec.RecordSettings(ctx, c.Name, set); err != nil {
		return err
	}
	e.log.Info("recorded how the collection is embedded", "collection", c.Name, "embedder", set.Embedder, "query_prefix", set.QueryPrefix)
	set.Dimensions = c.Settings.Dimensions
	c.Settings = set
	return nil
}

// dropCollection removes a collection from both stores.
func (e *Engine) dropCollection(ctx context.Context, name string) error {
	if err := e.store.DeleteCollection(ctx, name); err != nil {
		return err
	}
	if e.keywords != nil {
		if err := e.keywords.Drop(ctx, name); err != nil {
			return fmt.Errorf("bm25 index: %w", err)
		}
	}
	return nil
}

// chunks splits a's text into its passages.
func (e *Engine) chunks(a *article.Article) ([]chunk.Chunk, error) {
	chunks, err := chunk.Split(a.Text, a.Skip, e.cfg.Chunk)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", a.ID, err)
	}
	title := strings.TrimSpace(a.Title)
	// A passage that is only the title repeats what every citation (and,
	// with title context, every passage's embedding) carries already.
	if len(chunks) > 1 && title != "" {
		rest := slices.DeleteFunc(slices.Clone(chunks), func(c chunk.Chunk) bool {
			return strings.TrimSpace(a.Text[c.Start:c.End]) == title
		})
		if len(rest) > 0 {
			chunks = rest
		}
	}
	return chunks, nil
}

// inputs builds the texts to embed for a's chunks.
func (e *Engine) inputs(a *article.Article, chunks []chunk.Chunk) []string {
	title := strings.TrimSpace(a.Title)
	inputs := make([]string, len(chunks))
	for i, c := range chunks {
		text := withHeader(a.Text, c)
		switch {
		case strings.Contains(e.cfg.DocumentPrefix, TitlePlaceholder):
			// The model's document prompt has a title field: it takes the
			// title instead of the passage repeating it.
			text = fillTitle(e.cfg.DocumentPrefix, title) + text
		case e.cfg.TitleContext && title != "" && !strings.HasPrefix(text, title):
			text = title + "\n\n" + text
		}
		inputs[i] = text
	}
	return inputs
}

// namedEmbedder is an [Embedder] that can name the passages it warns
// about, such as one cut to fit the model's context.
type namedEmbedder interface {
	EmbedDocumentsNamed(ctx context.Context, texts, names []string) ([][]float32, error)
}

// embedDocuments embeds texts, naming them when the embedder can.
func (e *Engine) embedDocuments(ctx context.Context, texts, names []string) ([][]float32, error) {
	return embedNamed(ctx, e.emb, texts, names)
}

// embedNamed embeds texts through emb, with their names when emb takes
// them (see [namedEmbedder]); wrappers of an embedder pass names on by it.
func embedNamed(ctx context.Context, emb Embedder, texts, names []string) ([][]float32, error) {
	if n, ok := emb.(namedEmbedder); ok {
		return n.EmbedDocumentsNamed(ctx, texts, names)
	}
	return emb.EmbedDocuments(ctx, texts)
}

func document(p *pending) vectorstore.Document {
	a := p.art
	return vectorstore.Document{
		// A write that names no source (API, MCP) is cited by its URL,
		// else its id; the id guard leaves such writes alone.
		ID: a.ID, Source: cmp.Or(a.Source, a.URL, a.ID), Format: a.Format, Title: a.Title, Author: a.Author, URL: a.URL,
		Published: a.Published, Meta: a.Meta, Hash: p.hash, Text: a.Text,
		Skip: a.Skip, Lines: a.Lines, LayoutRecorded: true, // what a rebuild needs to chunk it again
		Pages: a.Pages, Chapters: a.Chapters, // what citations need
	}
}

// withHeader is a passage's text as it is embedded and keyword-indexed:
// after the header row of the table whose rows it holds without it (see
// [chunk.Chunk.HeaderStart]), so that a row's numbers are read under
// their column names. The stored passage is the cited span alone.
func withHeader(text string, c chunk.Chunk) string {
	if c.HeaderEnd <= c.HeaderStart {
		return text[c.Start:c.End]
	}
	return text[c.HeaderStart:c.HeaderEnd] + "\n" + text[c.Start:c.End]
}

func keywordDoc(p *pending) KeywordDoc {
	kd := KeywordDoc{ID: p.art.ID, Hash: p.hash, Passages: make([]KeywordPassage, len(p.chunks))}
	for i, c := range p.chunks {
		kd.Passages[i] = KeywordPassage{Chunk: i, Title: p.art.Title, Text: withHeader(p.art.Text, c)}
	}
	return kd
}

func passages(p *pending, vecs [][]float32) []vectorstore.Passage {
	out := make([]vectorstore.Passage, len(p.chunks))
	for i, c := range p.chunks {
		// Lines are cited as lines of the source file (HTML and JSON
		// text maps back to where it came from); bytes stay offsets into
		// the stored text.
		out[i] = vectorstore.Passage{
			Chunk: i, Start: c.Start, End: c.End,
			LineStart: p.art.SourceLine(c.LineStart).First, LineEnd: p.art.SourceLine(c.LineEnd).Last,
			Text: p.art.Text[c.Start:c.End], Vector: vecs[i],
		}
	}
	return out
}
