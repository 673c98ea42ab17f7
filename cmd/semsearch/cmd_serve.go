package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the HTTP JSON API (search, context blocks, documents, metrics), MCP at /mcp and the search page at /",
		Description: "Serves the API described at /openapi.json until SIGINT or SIGTERM, then drains requests and\n" +
			"flushes the store. Holds the data directory's write lock. Logs are JSON on stderr.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Usage: "listen address HOST:PORT (port 0 picks a free one)", EnvVars: []string{"SEMSEARCH_ADDR"}, Value: "127.0.0.1:8080"},
			&cli.StringFlag{Name: "api-key", Usage: "require Authorization: Bearer KEY on every route but /healthz", EnvVars: []string{"SEMSEARCH_API_KEY"}},
			&cli.StringSliceFlag{Name: "cors-origin", Usage: "allow browser requests from this origin (e.g. https://app.example.com, or *); repeatable; CORS is off without it"},
			&cli.StringSliceFlag{Name: "allowed-hosts", Usage: "host names (or HOST:PORT) a request through a loopback address may name in its Host header besides localhost and loopback addresses, e.g. for a proxy; comma-separated or repeated; others get 403 (DNS rebinding)", EnvVars: []string{"SEMSEARCH_ALLOWED_HOSTS"}},
			&cli.Int64Flag{Name: "max-body", Usage: "largest request body in bytes", Value: httpapi.DefaultMaxBodyBytes},
			&cli.IntFlag{Name: "max-articles", Usage: "most articles one POST /v1/documents may hold (413 beyond)", EnvVars: []string{"SEMSEARCH_MAX_ARTICLES"}, Value: httpapi.DefaultMaxArticles},
			&cli.DurationFlag{Name: "request-timeout", Usage: "time limit of one request (504 when exceeded)", Value: httpapi.DefaultRequestTimeout},
			&cli.IntFlag{Name: "cache-size", Usage: "query embeddings kept in memory (0 disables the cache)", Value: 1024},
			&cli.IntFlag{Name: "query-batch", Usage: "most questions one embedding call carries: those that arrive while one is embedded go together in the next (1 sends each alone)", Value: engine.DefaultBatchQueries},
			&cli.BoolFlag{Name: "log-queries", Usage: "put query text in the access log"},
			&cli.DurationFlag{Name: "shutdown-timeout", Usage: "how long to let requests finish on shutdown", Value: 15 * time.Second},
			&cli.BoolFlag{Name: "watch", Usage: "keep the collection (-c) in step with the folders it was indexed from, as semsearch watch does (semsearch sources lists them)"},
			idleCloseFlag(),
		}, frontdoorFlags()...), // the MCP endpoint and the search page (cmd_mcp.go)
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("serve: takes no arguments")
	}
	timeout := c.Duration("request-timeout")
	switch {
	case timeout <= 0:
		return usagef("serve: --request-timeout must be positive")
	case c.Int64("max-body") <= 0:
		return usagef("serve: --max-body must be positive")
	case c.Int("max-articles") <= 0:
		return usagef("serve: --max-articles must be positive")
	case c.Int("cache-size") < 0:
		return usagef("serve: --cache-size must be 0 or more")
	case c.Int("query-batch") <= 0:
		return usagef("serve: --query-batch must be 1 or more")
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	// serve logs JSON, and at info level unless told otherwise, so that
	// access logs show.
	level := slog.LevelInfo
	if c.IsSet("log-level") {
		if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
	}
	logger := slog.New(slog.NewJSONHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level}))
	cfg.logger, cfg.embed.Logger, cfg.engine.Logger = logger, logger, logger

	metrics := httpapi.NewMetrics()
	var cache *engine.QueryCache
	cfg.queryBatch.MaxBatch = c.Int("query-batch")
	a, err := wire(c.Context, cfg, true, func(batched engine.Embedder) engine.Embedder {
		cache = engine.NewQueryCache(metrics.Embedder(batched), cfg.emb.model, c.Int("cache-size"))
		return cache
	})
	if err != nil {
		return err
	}
	closeApp := sync.OnceValue(a.Close) // flushes the store
	defer closeApp()
	client, eng := a.embed, newCollectionEngines(a)

	apiCfg := httpapi.Config{
		Engine:          eng,
		Checker:         client,
		Cache:           cache,
		Collection:      cfg.collection,
		ValidCollection: vectorstore.ValidName,
		Model:           cfg.emb.model,
		APIKey:          c.String("api-key"),
		CORSOrigins:     c.StringSlice("cors-origin"),
		AllowedHosts:    allowedHosts(c.StringSlice("allowed-hosts")),
		MaxBodyBytes:    c.Int64("max-body"),
		MaxArticles:     c.Int("max-articles"),
		RequestTimeout:  timeout,
		LogQueries:      c.Bool("log-queries"),
		Errors: []httpapi.ErrorMapping{
			{Err: embed.ErrUnreachable, Status: http.StatusServiceUnavailable, Code: "ollama_unreachable", Check: "ollama"},
			{Err: embed.ErrTimeout, Status: http.StatusGatewayTimeout, Code: "ollama_timeout", Check: "ollama"},
			{Err: embed.ErrModelMissing, Status: http.StatusServiceUnavailable, Code: "model_missing", Check: "model"},
			{Err: embed.ErrInputTooLong, Status: http.StatusBadRequest, Code: "input_too_long"},
		},
		Metrics: metrics,
		Logger:  logger,
	}
	if err := frontdoors(c, cfg, eng, client, logger, &apiCfg); err != nil { // /mcp and the search page
		return err
	}
	api, err := httpapi.New(apiCfg)
	if err != nil {
		return usagef("serve: %v", err) // a bad --cors-origin or --allowed-hosts
	}

	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if cfg.remote == nil { // a remote store's users share no data directory with this server
		defer announceServer(cfg.dataDir, ln.Addr())() // lets index, search and delete offer --server
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		// Reading a large body and answering both fit in the request's
		// time; the margins let the API send its own 504 first.
		ReadTimeout:  timeout + 5*time.Second,
		WriteTimeout: timeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "collection", cfg.collection, "model", cfg.emb.model,
		"data", cfg.dataDir, "auth", c.String("api-key") != "", "cache_size", c.Int("cache-size"))
	if p := ln.Addr().(*net.TCPAddr); !p.IP.IsLoopback() && c.String("api-key") == "" {
		logger.Warn("listening beyond loopback without --api-key: anyone who can reach the port can read and change the index", "addr", ln.Addr().String())
	}
	go warnIfNotReady(c.Context, client, logger)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	watchErr := make(chan error, 1)
	if c.Bool("watch") {
		// Writes go through the server's engine, one writer with the API's.
		go func() {
			watchErr <- watchSources(c.Context, a, 300*time.Millisecond, c.App.Writer, c.App.ErrWriter, logger, nil)
		}()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case err := <-watchErr:
		if err != nil {
			srv.Close()
			return fmt.Errorf("serve --watch: %w", err)
		}
	case <-c.Context.Done():
	}

	drain := c.Duration("shutdown-timeout")
	logger.Info("shutting down", "drain_timeout_s", drain.Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Warn("requests still running at the drain timeout were cut off", "error", err)
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if err := closeApp(); err != nil {
		return fmt.Errorf("serve: close store: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// allowedHosts splits the --allowed-hosts values (and
// SEMSEARCH_ALLOWED_HOSTS, which the flag library does not split) at commas,
// trims them and drops empty ones.
func allowedHosts(values []string) []string {
	var out []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

// warnIfNotReady logs once at startup when Ollama cannot embed yet; the
// server runs anyway and /readyz reports the state.
func warnIfNotReady(parent context.Context, client *embed.Client, logger *slog.Logger) {
	defer func() { // a goroutine of its own: a panic here would end the server
		if r := recover(); r != nil {
			logger.Error("startup readiness check panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(parent, 5*time.Second)
	defer cancel()
	if err := client.Check(ctx); err != nil && parent.Err() == nil {
		logger.Warn("embedding backend not ready; searches and indexing fail until it is", "error", err)
	}
}
