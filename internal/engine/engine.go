// Package engine is semsearch's search engine: it indexes articles as
// embedded passages and answers questions with cited passages. The CLI and
// the HTTP API both call it. It declares the small interfaces it needs
// (Embedder) and works with any vectorstore.Store.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Embedder turns texts into unit vectors. Implementations apply any
// model-specific query or document prefix themselves. A text with nothing the
// model knows may come back as a zero vector.
type Embedder interface {
	EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error)
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
}

var (
	// ErrNotFound reports an unknown collection or document. It is
	// vectorstore.ErrNotFound, so either name works with errors.Is.
	ErrNotFound = vectorstore.ErrNotFound
	// ErrInvalid reports a request that cannot be answered as asked: an
	// empty query, k out of range, a bad cited range.
	ErrInvalid = errors.New("invalid request")
	// ErrKeywordsBusy reports a keyword index held by another process (a
	// running `semsearch serve`); hybrid and bm25 search fail with it rather
	// than change the ranking.
	ErrKeywordsBusy = errors.New("keyword index busy")
	// ErrKeywordsDamaged reports a keyword index that is missing or cannot
	// be read. Writers rebuild it from the vector store's passages (see
	// [Engine.RepairKeywords]); read-only searches say how to.
	ErrKeywordsDamaged = errors.New("keyword index damaged or missing")
	// ErrSettingsMismatch reports a collection built with another model or
	// chunking than the one asked for.
	ErrSettingsMismatch = errors.New("collection settings differ")
	// ErrQueryEmbedTimeout reports a query whose embedding did not arrive
	// within [Config.QueryEmbedTimeout]: a vector search fails with it, a
	// hybrid search answers from BM25 alone instead and says so.
	ErrQueryEmbedTimeout = errors.New("query embedding timed out")
	// ErrIDConflict reports an index run that would make an existing id
	// refer to another file, or store a file a second time under another
	// id (see [IDConflictError]).
	ErrIDConflict = errors.New("document id taken by another source")
	// ErrModelBroken reports an embedding model that answers all-zero
	// vectors for real text (see [Engine.checkZeroVectors]).
	ErrModelBroken = errors.New("embedding model answers zero vectors")
)

// DefaultQueryEmbedTimeout is [Config.QueryEmbedTimeout]'s default.
const DefaultQueryEmbedTimeout = 5 * time.Second

// MaxK is the largest number of results one search returns.
const MaxK = 1000

// MaxQueryBytes bounds a query's text, for the CLI and HTTP alike: no
// embedding model reads more.
const MaxQueryBytes = 4096

// Config configures an [Engine].
type Config struct {
	// Model names the embedding model; it is recorded with each collection
	// and checked on every search and index run.
	Model string
	// ModelDigest, when set, returns an identifier of the model's weights;
	// it is recorded with each collection and compared like the model name.
	// An error (e.g. Ollama down) skips the comparison: the embedding call
	// that follows reports the real problem.
	ModelDigest func(context.Context) (string, error)
	// DocumentPrefix is the prefix the embedder puts before passages; it is
	// recorded because vectors made with another prefix do not mix. One
	// holding [TitlePlaceholder] is a template (embeddinggemma's "title:
	// {title} | text: "): the engine fills in each article's title, or
	// "none", and puts it before the passage itself, instead of
	// TitleContext's joining; the embedder then adds no prefix of its own.
	DocumentPrefix string
	// QueryPrefix is the prefix the embedder puts before queries; it is
	// recorded so that later searches use the same.
	QueryPrefix string
	// Embedder ("ollama", "openai"), EmbedURL (without secrets) and
	// EmbedDimensions (the vector length asked of a Matryoshka model, 0 for
	// its own) say how vectors are made; they are recorded with each
	// collection, and a different Embedder or EmbedDimensions is refused
	// (EmbedURL may change: the same model served elsewhere).
	Embedder        string
	EmbedURL        string
	EmbedDimensions int
	Chunk           chunk.Options
	// TitleContext gives the embedder "title\n\npassage" instead of the
	// passage alone, so a passage that never names its subject still carries
	// it. Offsets and the stored text are unaffected.
	TitleContext bool
	// BatchPassages is how many passages one embedding call carries
	// (several articles share a call). Default 64.
	BatchPassages int
	// EmbedConcurrency is how many embedding calls an index run keeps in
	// flight (default 1); storing runs beside them either way.
	EmbedConcurrency int
	// FlushEvery bounds how much indexing work a crash can lose. Default 10s.
	FlushEvery time.Duration
	// QueryEmbedTimeout bounds how long a search waits for the embedding
	// backend (the model's digest and the query's vector), counted from the
	// search's start; then a hybrid search answers from BM25 alone with a
	// warning, and a vector search fails with [ErrQueryEmbedTimeout].
	// Default [DefaultQueryEmbedTimeout]. A caller's earlier deadline wins.
	QueryEmbedTimeout time.Duration
	// Keywords is the BM25 index kept beside the vector store; nil allows
	// vector search only.
	Keywords KeywordIndex
	// ReadOnly says the engine only searches: it never repairs the keyword
	// index (another process may be writing it).
	ReadOnly bool
	// KeywordsBusyFallback makes a hybrid search whose keyword index another
	// process holds (a running `semsearch serve`) answer by vectors alone,
	// with a warning that says so, instead of failing with
	// [ErrKeywordsBusy]. For doors that offer no other route (MCP over
	// stdio); the CLI fails and names the server instead.
	KeywordsBusyFallback bool
	// Mode is the default search mode; "" means hybrid when Keywords is
	// set (bm25 when there is no embedder), else vector.
	Mode Mode
	// Fusion is the default for hybrid search; the zero value means
	// [DefaultFusion].
	Fusion Fusion
	Logger *slog.Logger
}

// Engine indexes and searches collections. It is safe for concurrent use
// as far as its Store is.
type Engine struct {
	digestMu sync.Mutex
	digest   string // cached ModelDigest result; "" until known

	indexMu sync.Mutex // serialises Index runs

	syncMu sync.Mutex
	synced map[string]bool // collections whose keyword index was checked by this engine

	queuesMu sync.Mutex
	queues   map[string]*writeQueue // shared index runs, by collection

	store    vectorstore.Store
	keywords KeywordIndex
	emb      Embedder
	cfg      Config
	log      *slog.Logger
}

// New returns an engine over store that embeds with emb. A nil emb makes a
// BM25-only engine: it searches in bm25 mode (its default then) and refuses
// searches and index runs that need vectors.
func New(store vectorstore.Store, emb Embedder, cfg Config) (*Engine, error) {
	if cfg.Model == "" {
		return nil, errors.New("engine: no embedding model configured")
	}
	if err := cfg.Chunk.Validate(); err != nil {
		return nil, fmt.Errorf("engine: chunking options: %w", err)
	}
	if cfg.BatchPassages <= 0 {
		cfg.BatchPassages = 64
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 10 * time.Second
	}
	if cfg.QueryEmbedTimeout <= 0 {
		cfg.QueryEmbedTimeout = DefaultQueryEmbedTimeout
	}
	if cfg.Fusion == (Fusion{}) {
		cfg.Fusion = DefaultFusion()
	}
	if err := cfg.Fusion.Validate(); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{store: store, keywords: cfg.Keywords, emb: emb, cfg: cfg, log: log, synced: map[string]bool{}, queues: map[string]*writeQueue{}}, nil
}

// Model returns the embedding model's name.
func (e *Engine) Model() string { return e.cfg.Model }

// Chunking describes the chunking settings in the form recorded with a
// collection.
func (e *Engine) Chunking() string {
	o := e.cfg.Chunk
	return fmt.Sprintf("%s size=%d overlap=%d max=%d title=%t", o.Unit, o.Size, o.Overlap, o.Max, e.cfg.TitleContext)
}

// settings are the engine's settings before the dimension is known. It
// fails only when ctx ended while asking for the model's digest.
func (e *Engine) settings(ctx context.Context) (vectorstore.Settings, error) {
	d, err := e.modelDigest(ctx)
	set := e.baseSettings()
	set.ModelDigest = d
	return set, err
}

// baseSettings are the engine's settings without the model's digest.
func (e *Engine) baseSettings() vectorstore.Settings {
	return vectorstore.Settings{Model: e.cfg.Model, DocumentPrefix: e.cfg.DocumentPrefix, QueryPrefix: e.cfg.QueryPrefix,
		Embedder: e.cfg.Embedder, EmbedURL: e.cfg.EmbedURL, EmbedDimensions: e.cfg.EmbedDimensions, Chunking: e.Chunking()}
}

// modelDigest returns the model's digest, asking once per engine. When the
// embedding backend cannot tell, the digest is "" and not compared (the
// embedding call that follows reports the real problem), unless ctx ended
// while waiting: then nothing else can run and the error says what did not
// answer.
func (e *Engine) modelDigest(ctx context.Context) (string, error) {
	if e.cfg.ModelDigest == nil {
		return "", nil
	}
	e.digestMu.Lock()
	defer e.digestMu.Unlock()
	if e.digest == "" {
		d, err := e.cfg.ModelDigest(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("ask for the digest of model %q: %w", e.cfg.Model, err)
			}
			e.log.Debug("model digest unknown", "model", e.cfg.Model, "err", err)
			return "", nil
		}
		e.digest = d
	}
	return e.digest, nil
}

// checkSettings explains how a collection's recorded settings differ from the
// engine's, or returns nil when they match.
func (e *Engine) checkSettings(ctx context.Context, c vectorstore.Collection, forSearch bool) error {
	want, err := e.settings(ctx)
	if err != nil {
		return err
	}
	return e.compareSettings(c, want, forSearch)
}

// checkSearchSettings is checkSettings for a search in mode: a bm25 search
// embeds nothing, so it does not ask the embedding backend for the model's
// digest (a backend that is down or hung must not stall it). Other modes
// wait for the digest until embedBy at most; a digest that does not arrive
// by then is not compared (the query's embedding, which has no time left
// either, then says what happened).
func (e *Engine) checkSearchSettings(ctx context.Context, c vectorstore.Collection, mode Mode, embedBy time.Time) error {
	want := e.baseSettings()
	if mode != BM25 {
		dctx, cancel := context.WithDeadlineCause(ctx, embedBy, ErrQueryEmbedTimeout)
		defer cancel()
		var err error
		if want, err = e.settings(dctx); err != nil && ctx.Err() != nil {
			return err
		}
	}
	return e.compareSettings(c, want, true)
}

// compareSettings explains how a collection's recorded settings differ
// from want.
func (e *Engine) compareSettings(c vectorstore.Collection, want vectorstore.Settings, forSearch bool) error {
	got := c.Settings
	var diff string
	hint := fmt.Sprintf("--model %s", got.Model) // what a search may pass to match
	switch {
	case got.Model != want.Model:
		diff = fmt.Sprintf("it was indexed with model %q, not %q", got.Model, want.Model)
	case got.ModelDigest != "" && want.ModelDigest != "" && got.ModelDigest != want.ModelDigest:
		diff = fmt.Sprintf("model %q has changed since it was indexed (digest %.12s, now %.12s)", got.Model, got.ModelDigest, want.ModelDigest)
	case got.Embedder != "" && want.Embedder != "" && got.Embedder != want.Embedder:
		diff = fmt.Sprintf("it was embedded by an %q server (%s), not %q", got.Embedder, got.EmbedURL, want.Embedder)
		hint = fmt.Sprintf("--embedder %s", got.Embedder)
	case got.EmbedDimensions != want.EmbedDimensions && (got.Embedder != "" || want.EmbedDimensions != 0):
		diff = fmt.Sprintf("it was embedded with %s, not %s", dimsText(got.EmbedDimensions), dimsText(want.EmbedDimensions))
		hint = fmt.Sprintf("--dimensions %d", got.EmbedDimensions)
	case got.Embedder != "" && got.QueryPrefix != want.QueryPrefix:
		diff = fmt.Sprintf("it was indexed with query prefix %q, not %q", got.QueryPrefix, want.QueryPrefix)
		hint = fmt.Sprintf("--query-prefix %q", got.QueryPrefix)
	case forSearch:
		return nil // passages chunked differently are still searchable with the same model
	case got.DocumentPrefix != want.DocumentPrefix:
		diff = fmt.Sprintf("it was indexed with document prefix %q, not %q", got.DocumentPrefix, want.DocumentPrefix)
	case got.Chunking != want.Chunking:
		diff = fmt.Sprintf("it was chunked with %q, not %q", got.Chunking, want.Chunking)
	default:
		return nil
	}
	if forSearch {
		return fmt.Errorf("collection %q: %w: %s; search with %s (or without it: a collection's own settings are used), or re-index with --rebuild", c.Name, ErrSettingsMismatch, diff, hint)
	}
	return fmt.Errorf("collection %q: %w: %s; pass --rebuild to re-embed everything with the new settings, or index into another --collection", c.Name, ErrSettingsMismatch, diff)
}

// Collections lists the store's collections.
func (e *Engine) Collections(ctx context.Context) ([]vectorstore.Collection, error) {
	return e.store.Collections(ctx)
}

// Collection describes one collection.
func (e *Engine) Collection(ctx context.Context, name string) (vectorstore.Collection, error) {
	c, err := e.store.Collection(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return c, fmt.Errorf("collection %q does not exist (index articles into it first: semsearch index --collection %s PATH): %w", name, name, ErrNotFound)
	}
	return c, err
}

// Document returns one stored document with its full text.
func (e *Engine) Document(ctx context.Context, collection, id string) (vectorstore.Document, error) {
	if _, err := e.Collection(ctx, collection); err != nil {
		return vectorstore.Document{}, err
	}
	return e.store.Document(ctx, collection, id)
}

// Documents lists stored documents without their text, sorted by id.
func (e *Engine) Documents(ctx context.Context, collection string, offset, limit int) ([]vectorstore.Document, int, error) {
	if _, err := e.Collection(ctx, collection); err != nil {
		return nil, 0, err
	}
	return e.store.Documents(ctx, collection, offset, limit)
}

// Delete removes documents from a collection and makes the change durable.
func (e *Engine) Delete(ctx context.Context, collection string, ids ...string) (int, error) {
	if _, err := e.Collection(ctx, collection); err != nil {
		return 0, err
	}
	n, err := e.store.Delete(ctx, collection, ids...)
	if ferr := e.store.Flush(ctx); err == nil {
		err = ferr
	}
	if err == nil && e.keywords != nil {
		if err = e.keywords.Delete(ctx, collection, ids...); err != nil {
			e.forgetKeywordCheck(collection)
		}
	}
	return n, err
}

// TitlePlaceholder in [Config.DocumentPrefix] stands for the article's title.
const TitlePlaceholder = "{title}"

// fillTitle fills a document prefix template with title, its whitespace
// collapsed, or "none" when it is blank.
func fillTitle(prefix, title string) string {
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		title = "none"
	}
	return strings.ReplaceAll(prefix, TitlePlaceholder, title)
}

// dimsText describes requested dimensions for messages.
func dimsText(n int) string {
	if n == 0 {
		return "the model's own dimensions"
	}
	return fmt.Sprintf("%d dimensions (--dimensions %d)", n, n)
}
