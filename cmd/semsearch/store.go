package main

// The store a command works on: the embedded store in --data
// (default), or Weaviate when --store / SEMSEARCH_STORE names one. Kept apart
// from config.go so backends can be added without touching the wiring.

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
	"github.com/semsearch/semsearch/internal/vectorstore/weaviatestore"
)

// idleCloseFlag is the long-running commands' (serve, mcp) --idle-close.
func idleCloseFlag() cli.Flag {
	return &cli.DurationFlag{Name: "idle-close", EnvVars: []string{"SEMSEARCH_IDLE_CLOSE"}, Value: 10 * time.Minute,
		Usage: "close a collection of the data directory not searched or written for this long, releasing its memory (it reopens on next use); 0 keeps collections open"}
}

// storeFlags are the global flags that choose and tune the store.
func storeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "store", EnvVars: []string{"SEMSEARCH_STORE"},
			Usage: "remote store instead of --data: weaviate://HOST:PORT[,HOST:PORT...] (weaviates:// for TLS; API key from WEAVIATE_API_KEY)"},
		&cli.IntFlag{Name: "replication", EnvVars: []string{"SEMSEARCH_REPLICATION"}, Value: 1,
			Usage: "Weaviate: replication factor of collections this run creates (async replication on)"},
		&cli.StringFlag{Name: "write-consistency", EnvVars: []string{"SEMSEARCH_WRITE_CONSISTENCY"}, Value: "QUORUM",
			Usage: "Weaviate: replicas that must acknowledge a write: ONE, QUORUM or ALL"},
		&cli.StringFlag{Name: "read-consistency", EnvVars: []string{"SEMSEARCH_READ_CONSISTENCY"}, Value: "ONE",
			Usage: "Weaviate: replicas that must answer a read: ONE, QUORUM or ALL"},
		&cli.DurationFlag{Name: "store-timeout", Value: 10 * time.Second,
			Usage: "Weaviate: bound on each request to a node; a write that cannot reach enough replicas fails after it"},
	}
}

// loadStore reads the store flags. It returns nil options for the embedded
// store.
func loadStore(c *cli.Context, logger *slog.Logger) (*weaviatestore.Options, error) {
	raw := c.String("store")
	if raw == "" {
		return nil, nil
	}
	opt, err := weaviatestore.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	if c.IsSet("replication") || opt.Replication == 0 {
		opt.Replication = c.Int("replication")
	}
	if c.IsSet("write-consistency") || opt.WriteConsistency == "" {
		opt.WriteConsistency = c.String("write-consistency")
	}
	if c.IsSet("read-consistency") || opt.ReadConsistency == "" {
		opt.ReadConsistency = c.String("read-consistency")
	}
	if c.IsSet("store-timeout") || opt.Timeout == 0 {
		opt.Timeout = c.Duration("store-timeout")
	}
	opt.APIKey = os.Getenv("WEAVIATE_API_KEY")
	// Weaviate's BM25 ranks the terms our own BM25 index would (stemming,
	// stopwords), so hybrid scores mean the same on both backends.
	analyzer := c.String("bm25-analyzer")
	terms, err := bm25.NewTerms(analyzer)
	if err != nil {
		return nil, fmt.Errorf("--bm25-analyzer: %w", err)
	}
	opt.Analyzer, opt.Terms = analyzer, terms
	opt.Logger = logger
	return &opt, nil
}

// storeLabel names a remote store for people: its scheme and nodes.
func storeLabel(o *weaviatestore.Options) string {
	scheme := "weaviate://"
	if o.TLS {
		scheme = "weaviates://"
	}
	hosts := make([]string, len(o.Hosts))
	for i, h := range o.Hosts {
		hosts[i] = h.HTTP
	}
	return fmt.Sprintf("%s%s (replication %d, writes %s, reads %s)", scheme, strings.Join(hosts, ","), o.Replication, o.WriteConsistency, o.ReadConsistency)
}

// openStore opens the configured store: Weaviate when cfg.remote is set,
// else the embedded store in the data directory.
func openStore(cfg *config, writable bool) (vectorstore.Store, error) {
	if cfg.remote != nil {
		s, err := weaviatestore.Open(*cfg.remote)
		if err != nil {
			return nil, fmt.Errorf("--store: %w", err)
		}
		return s, nil
	}
	return embedded.Open(cfg.dataDir, embedded.Options{ReadOnly: !writable, Logger: cfg.logger, Command: cfg.command, IdleClose: cfg.idleClose})
}

// storeKeywords returns the keyword index a store brings itself (Weaviate's
// BM25), or nil when semsearch keeps its own beside it.
func storeKeywords(s vectorstore.Store) engine.KeywordIndex {
	if ws, ok := s.(*weaviatestore.Store); ok {
		return ws.Keywords()
	}
	return nil
}
