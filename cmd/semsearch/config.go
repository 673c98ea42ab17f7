package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/weaviatestore"
)

// Defaults follow Ollama users' habits; the offline runtime (`make runtime`)
// prints the settings that point at itself instead.
const (
	defaultModel      = "nomic-embed-text"
	defaultOllama     = "http://127.0.0.1:11434"
	defaultCollection = "default"
)

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "semsearch")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "semsearch")
	}
	return ".semsearch"
}

// globalFlags are accepted before and after the command name
// (`semsearch --data D search` and `semsearch search --data D`): every
// command has them too (see [withGlobal]), and [interspersed] moves those
// given before the command after it.
func globalFlags() []cli.Flag {
	def := chunk.DefaultOptions()
	fusion := engine.DefaultFusion()
	flags := []cli.Flag{
		&cli.StringFlag{Name: "data", Usage: "data directory holding the collections", EnvVars: []string{"SEMSEARCH_DATA"}, Value: defaultDataDir()},
		&cli.StringFlag{Name: "collection", Aliases: []string{"c"}, Usage: "collection (corpus) name", EnvVars: []string{"SEMSEARCH_COLLECTION"}, Value: defaultCollection},
		&cli.StringFlag{Name: "model", Usage: "Ollama embedding model", EnvVars: []string{"SEMSEARCH_MODEL"}, Value: defaultModel},
		&cli.StringFlag{Name: "ollama", Usage: "Ollama address", EnvVars: []string{"OLLAMA_HOST"}, Value: defaultOllama},
		&cli.StringFlag{Name: "embedder", Usage: "embedding server: ollama (its /api/embed at --ollama) or openai (an OpenAI-compatible /v1/embeddings at --embed-url, key from SEMSEARCH_EMBED_API_KEY); an existing collection uses the one it records", EnvVars: []string{"SEMSEARCH_EMBEDDER"}, Value: embed.KindOllama},
		&cli.StringFlag{Name: "embed-url", Usage: "base URL of the OpenAI-compatible server for --embedder openai, e.g. http://127.0.0.1:8080/v1 (Ollama's own is http://127.0.0.1:11434/v1)", EnvVars: []string{"SEMSEARCH_EMBED_URL"}},
		&cli.IntFlag{Name: "dimensions", Usage: "ask a Matryoshka model (embeddinggemma, qwen3-embedding, nomic-embed-text v1.5, snowflake-arctic-embed2) for vectors this long; 0 means the model's own (an existing collection uses what it records)", EnvVars: []string{"SEMSEARCH_DIMENSIONS"}},
		&cli.DurationFlag{Name: "query-embed-timeout", Usage: "how long a search waits for the query's embedding: then hybrid search answers from BM25 alone with a warning, and vector search fails", EnvVars: []string{"SEMSEARCH_QUERY_EMBED_TIMEOUT"}, Value: engine.DefaultQueryEmbedTimeout},
		&cli.StringFlag{Name: "query-prefix", Usage: "text put before queries (default: by model family, e.g. \"search_query: \" for nomic-embed-text)"},
		&cli.StringFlag{Name: "document-prefix", Usage: "text put before passages (default: by model family)"},
		&cli.IntFlag{Name: "batch-size", Usage: "passages per Ollama /api/embed request", Value: embed.DefaultBatchSize},
		&cli.IntFlag{Name: "embed-concurrency", Usage: "embedding requests in flight while indexing (more than 1 helps only a server run with OLLAMA_NUM_PARALLEL above 1, e.g. on a GPU)", EnvVars: []string{"SEMSEARCH_EMBED_CONCURRENCY"}, Value: embed.DefaultConcurrency},
		&cli.DurationFlag{Name: "keep-alive", Usage: "how long Ollama keeps the model loaded after a request, sent as keep_alive (0 unloads at once, negative keeps it loaded; default: the server's OLLAMA_KEEP_ALIVE)"},
		&cli.StringFlag{Name: "chunk-unit", Usage: "unit of --chunk-size: words or tokens", Value: string(def.Unit)},
		&cli.IntFlag{Name: "chunk-size", Usage: "target passage size", Value: def.Size},
		&cli.IntFlag{Name: "chunk-overlap", Usage: "how much of the previous passage a passage repeats (whole sentences)", Value: def.Overlap},
		&cli.IntFlag{Name: "chunk-max", Usage: "hard passage size limit", Value: def.Max},
		&cli.BoolFlag{Name: "title-context", Usage: "embed each passage with its article's title before it", Value: true},
		&cli.StringFlag{Name: "mode", Usage: "search mode: hybrid (BM25 and vectors fused), vector or bm25", EnvVars: []string{"SEMSEARCH_MODE"}, Value: string(engine.Hybrid)},
		&cli.StringFlag{Name: "fusion", Usage: "hybrid fusion: score (weighted normalised scores) or rrf (reciprocal rank)", Value: string(fusion.Method)},
		&cli.Float64Flag{Name: "vector-weight", Usage: "hybrid: the vector half's weight, 0..1 (BM25 gets the rest)", Value: fusion.VectorWeight},
		&cli.IntFlag{Name: "fusion-depth", Usage: "hybrid: candidates taken from each half", Value: fusion.Depth},
		&cli.BoolFlag{Name: "bm25", Usage: "keep a BM25 index beside the vectors (needed by hybrid and bm25 search)", Value: true},
		&cli.StringFlag{Name: "bm25-analyzer", Usage: "BM25 text analysis: en (stemming, stopwords), standard (stopwords) or simple", Value: bm25.AnalyzerEnglish},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", EnvVars: []string{"SEMSEARCH_LOG_LEVEL"}, Value: "warn"},
	}
	flags = append(flags, deadlineFlags()...)
	flags = append(flags, storeFlags()...) // --store and Weaviate settings (store.go)
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Category = "global"
		case *cli.IntFlag:
			f.Category = "global"
		case *cli.BoolFlag:
			f.Category = "global"
		case *cli.Float64Flag:
			f.Category = "global"
		case *cli.DurationFlag:
			f.Category = "global"
		}
	}
	// Hidden, to say that they were removed (removed.go).
	return append(flags, removedFlags()...)
}

// withGlobal adds the global flags to a command's own.
func withGlobal(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlags()...)
	cmd.OnUsageError = onUsageError
	cmd.Before = checkRemoved
	return withDeadline(cmd)
}

// config is everything the global flags say, validated once, built in one
// place ([parseConfig]).
type config struct {
	dataDir    string
	collection string
	// emb is how this run embeds; embed and engine hold their other
	// settings, and [config.embedConfig] and [config.engineConfig] complete
	// them from emb, so that each choice is held once.
	emb     embedding
	embed   embed.Config
	engine  engine.Config
	bm25    bm25.Options
	useBM25 bool
	mode    engine.Mode // default search mode
	logger  *slog.Logger
	remote  *weaviatestore.Options // --store: nil for the embedded store (store.go)
	// modelGiven says --model (or SEMSEARCH_MODEL) was set; otherwise an
	// existing collection's own model is used (see [adoptCollectionModel]).
	modelGiven bool
	// idleClose is --idle-close (serve and mcp; other commands end before
	// a collection could idle).
	idleClose time.Duration
	// given says which other embedding settings a flag or its environment
	// variable chose; the rest come from the collection when it records
	// them (see [adoptCollectionModel]).
	given embedGiven
	// modePerCall says each request picks its search mode (mcp), so the
	// default mode does not decide whether Ollama is needed.
	modePerCall bool
	// command is what this run is ("semsearch index"), which a writer
	// records in the data directory's lock file for others' errors.
	command string
	// queryBatch bounds how queries that arrive together share an
	// embedding call (serve's --query-batch; zero fields are defaults).
	queryBatch engine.BatchOptions
}

// embedding is how passages and queries are embedded: what a collection
// records, and what must match it.
type embedding struct {
	kind           string // embed.KindOllama or embed.KindOpenAI
	host           string // Ollama's address (--ollama)
	url            string // the OpenAI-compatible server's (--embed-url)
	model          string
	dimensions     int // requested; 0 for the model's own
	queryPrefix    string
	documentPrefix string
}

// embedConfig is the embedding client's configuration.
func (c *config) embedConfig() embed.Config {
	e := c.embed
	e.Embedder, e.Host, e.URL, e.Model, e.Dimensions = c.emb.kind, c.emb.host, c.emb.url, c.emb.model, c.emb.dimensions
	q, d := c.emb.queryPrefix, c.emb.documentPrefix
	e.QueryPrefix, e.DocumentPrefix = &q, &d
	return e
}

// engineConfig is the engine's configuration.
func (c *config) engineConfig() engine.Config {
	e := c.engine
	e.Embedder, e.Model, e.EmbedDimensions = c.emb.kind, c.emb.model, c.emb.dimensions
	e.QueryPrefix, e.DocumentPrefix = c.emb.queryPrefix, c.emb.documentPrefix
	return e
}

// loadConfig builds the config from the flags; its errors are usage errors.
func loadConfig(c *cli.Context) (*config, error) {
	cfg, err := parseConfig(c)
	return cfg, asUsage(err)
}

func parseConfig(c *cli.Context) (*config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(newLineHandler(c.App.ErrWriter, level))
	cfg := &config{dataDir: c.String("data"), collection: c.String("collection"), logger: logger, modelGiven: c.IsSet("model")}
	if c.Command != nil {
		cfg.command = "semsearch " + c.Command.Name
	}
	var err error
	if cfg.remote, err = loadStore(c, logger); err != nil {
		return nil, err
	}
	// A remote store needs no data directory: nothing is kept there.
	if cfg.dataDir == "" && cfg.remote == nil {
		return nil, fmt.Errorf("--data is empty")
	}
	if cfg.idleClose = c.Duration("idle-close"); cfg.idleClose < 0 {
		return nil, fmt.Errorf("--idle-close %s: want a positive duration (e.g. 10m), or 0 to keep collections open", cfg.idleClose)
	}
	if !vectorstore.ValidName(cfg.collection) {
		return nil, fmt.Errorf("--collection %q: use 1-64 letters, digits, '_', '.', '-'", cfg.collection)
	}
	if cfg.emb, cfg.given, err = parseEmbedding(c); err != nil {
		return nil, err
	}
	if cfg.embed, err = parseClient(c, logger); err != nil {
		return nil, err
	}
	queryEmbedTimeout, err := parseQueryEmbedTimeout(c)
	if err != nil {
		return nil, err
	}
	opts, err := parseChunking(c)
	if err != nil {
		return nil, err
	}
	cfg.useBM25 = c.Bool("bm25")
	cfg.bm25 = bm25.Options{Analyzer: c.String("bm25-analyzer"), Logger: logger}
	fusion, err := parseRanking(c, cfg)
	if err != nil {
		return nil, err
	}
	cfg.engine = engine.Config{
		Mode:         cfg.mode,
		Fusion:       fusion,
		Chunk:        opts,
		TitleContext: c.Bool("title-context"),
		// One engine call is one request; the engine keeps
		// --embed-concurrency of them in flight while it stores.
		BatchPassages:    max(c.Int("batch-size"), 1),
		EmbedConcurrency: cfg.embed.Concurrency,
		FlushEvery:       10 * time.Second,
		Logger:           logger,
		// A search answers within it (from BM25 alone when hybrid) even
		// when Ollama hangs.
		QueryEmbedTimeout: queryEmbedTimeout,
	}
	return cfg, nil
}

// parseEmbedding reads how to embed, and which of it the user chose.
func parseEmbedding(c *cli.Context) (embedding, embedGiven, error) {
	e := embedding{model: strings.TrimSpace(c.String("model")), host: c.String("ollama"), url: c.String("embed-url"), dimensions: c.Int("dimensions")}
	if e.model == "" {
		return e, embedGiven{}, fmt.Errorf("--model is empty")
	}
	e.queryPrefix, e.documentPrefix = embed.PrefixesFor(e.model)
	e.kind = strings.ToLower(strings.TrimSpace(c.String("embedder")))
	if e.kind != embed.KindOllama && e.kind != embed.KindOpenAI {
		return e, embedGiven{}, fmt.Errorf("--embedder %q: want ollama or openai", c.String("embedder"))
	}
	if e.dimensions < 0 {
		return e, embedGiven{}, fmt.Errorf("--dimensions %d: want a positive vector length, or 0 for the model's own", e.dimensions)
	}
	if c.IsSet("query-prefix") {
		e.queryPrefix = c.String("query-prefix")
	}
	if c.IsSet("document-prefix") {
		e.documentPrefix = c.String("document-prefix")
	}
	given := embedGiven{
		embedder:    c.IsSet("embedder"),
		ollama:      c.IsSet("ollama"),
		embedURL:    c.IsSet("embed-url"),
		dimensions:  c.IsSet("dimensions"),
		queryPrefix: c.IsSet("query-prefix"),
		docPrefix:   c.IsSet("document-prefix"),
	}
	return e, given, nil
}

// parseClient reads the embedding client's other settings: batches,
// concurrency, time limits.
func parseClient(c *cli.Context, logger *slog.Logger) (embed.Config, error) {
	if c.Int("embed-concurrency") < 1 {
		return embed.Config{}, fmt.Errorf("--embed-concurrency must be at least 1, got %d", c.Int("embed-concurrency"))
	}
	e := embed.Config{
		APIKey:      os.Getenv("SEMSEARCH_EMBED_API_KEY"),
		BatchSize:   c.Int("batch-size"),
		Concurrency: c.Int("embed-concurrency"),
		Logger:      logger,
		// Each request to the embedder is bounded, and loading the model
		// too; see deadline.go.
		RequestTimeout: c.Duration("ollama-timeout"),
		LoadTimeout:    c.Duration("load-timeout"),
		Progress:       c.App.ErrWriter,
	}
	if c.IsSet("keep-alive") {
		k := c.Duration("keep-alive")
		e.KeepAlive = &k
	}
	return e, nil
}

// parseQueryEmbedTimeout reads how long a search waits for its query's
// embedding.
func parseQueryEmbedTimeout(c *cli.Context) (time.Duration, error) {
	d := c.Duration("query-embed-timeout")
	if d <= 0 {
		return 0, fmt.Errorf("--query-embed-timeout must be positive, got %s", d)
	}
	if c.Command.Name == "eval" && !c.IsSet("query-embed-timeout") {
		// An eval measures the ranking it asks for, and refuses a search
		// that fell back to BM25: it waits for a query's embedding as
		// indexing waits for a passage's, however busy the machine.
		d = max(d, c.Duration("ollama-timeout"))
	}
	return d, nil
}

// parseChunking reads how articles are cut into passages.
func parseChunking(c *cli.Context) (chunk.Options, error) {
	opts := chunk.Options{
		Unit:    chunk.Unit(c.String("chunk-unit")),
		Size:    c.Int("chunk-size"),
		Overlap: c.Int("chunk-overlap"),
		Max:     c.Int("chunk-max"),
		// Whatever the unit, no passage outgrows a 512-token context.
		MaxTokens: chunk.DefaultOptions().MaxTokens,
	}
	if err := opts.Validate(); err != nil {
		return opts, fmt.Errorf("chunking flags: %w", err)
	}
	return opts, nil
}

// parseRanking reads the default search mode into cfg (vector without the
// BM25 index) and returns the fusion settings.
func parseRanking(c *cli.Context, cfg *config) (engine.Fusion, error) {
	mode, err := engine.ParseMode(c.String("mode"))
	if err != nil {
		return engine.Fusion{}, fmt.Errorf("--mode: %w", err)
	}
	cfg.mode = mode
	fusion := engine.Fusion{
		Method:       engine.FusionMethod(c.String("fusion")),
		VectorWeight: c.Float64("vector-weight"),
		Depth:        c.Int("fusion-depth"),
		RRFK:         engine.DefaultFusion().RRFK,
	}
	if err := fusion.Validate(); err != nil {
		return fusion, fmt.Errorf("fusion flags: %w", err)
	}
	if !cfg.useBM25 {
		if c.IsSet("mode") && cfg.mode != engine.Vector {
			return fusion, fmt.Errorf("--mode %s needs the BM25 index: drop --bm25=false", cfg.mode)
		}
		cfg.mode = engine.Vector
	}
	return fusion, nil
}

// app is a wired engine with what it holds open.
type app struct {
	cfg *config
	// flags is cfg as the flags made it, before the collection's recorded
	// settings were adopted (see [collectionEngines]).
	flags    config
	embed    *embed.Client
	store    vectorstore.Store
	keywords *bm25.Collections
	engine   *engine.Engine
}

// open wires the engine. Commands that only read open the store read-only,
// so they work while another process (e.g. `semsearch serve`) writes.
func open(c *cli.Context, writable bool) (*app, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	// An MCP client picks the mode per call, so mcp may always embed.
	cfg.modePerCall = c.Command.Name == "mcp"
	// An MCP client over stdio has no --server to turn to: beside a running
	// serve its hybrid searches answer by vectors and say so.
	cfg.engine.KeywordsBusyFallback = c.Command.Name == "mcp"
	return wire(c.Context, cfg, writable, nil)
}

// wire builds the embedding client, the store, the BM25 indexes and the
// engine from cfg. The engine's queries that arrive together share an
// embedding call (engine.QueryBatcher); wrap, when set, decorates that
// embedder (serve adds metrics and a query cache).
func wire(ctx context.Context, cfg *config, writable bool, wrap func(engine.Embedder) engine.Embedder) (*app, error) {
	store, err := openStore(cfg, writable)
	if err != nil {
		return nil, err
	}
	flags := *cfg
	adoptCollectionModel(ctx, cfg, store)
	// A read-only bm25 search gets no Ollama client at all (a.embed nil)
	// and a BM25-only engine (a nil embedder).
	var emb *embed.Client
	var embedder engine.Embedder
	if needsOllama(cfg, writable) {
		if emb, err = embed.New(cfg.embedConfig()); err != nil {
			store.Close()
			if cfg.emb.kind == embed.KindOpenAI {
				return nil, fmt.Errorf("--embed-url: %w", err)
			}
			return nil, fmt.Errorf("--ollama: %w", err)
		}
		cfg.engine.ModelDigest = emb.ModelDigest
		cfg.engine.EmbedURL = emb.Host()
		embedder = engine.NewQueryBatcher(emb, cfg.queryBatch)
		if wrap != nil {
			embedder = wrap(embedder)
		}
	}
	var keywords *bm25.Collections
	if kw := storeKeywords(store); cfg.useBM25 && kw != nil {
		cfg.engine.Keywords = kw // Weaviate's own BM25 (store.go)
	} else if cfg.useBM25 {
		opt := cfg.bm25
		opt.ReadOnly = !writable // searchable on a read-only copy, without the write lock
		keywords = bm25.OpenCollections(cfg.dataDir, opt)
		cfg.engine.Keywords = bm25.NewKeywordIndex(keywords)
	}
	cfg.engine.ReadOnly = !writable
	a := &app{cfg: cfg, flags: flags, embed: emb, store: store, keywords: keywords}
	if a.engine, err = engine.New(store, embedder, cfg.engineConfig()); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close flushes and releases the store and the BM25 indexes.
func (a *app) Close() error {
	err := a.store.Close()
	if a.keywords != nil {
		err = errors.Join(err, a.keywords.Close())
	}
	return err
}

// isTerminal reports whether w is an interactive terminal outside CI, where
// progress lines help instead of cluttering logs.
func isTerminal(w io.Writer) bool {
	if os.Getenv("CI") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
