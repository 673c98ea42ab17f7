package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/mcpserver"
	"github.com/semsearch/semsearch/internal/webui"
)

// servedEngine is what serve's and mcp's doors ask of the engine.
type servedEngine interface {
	httpapi.Engine
	mcpserver.Engine
	webui.Engine
}

// collectionEngines lets serve and mcp answer every collection the way it
// records it was embedded (model, server, dimensions, prefixes), not only
// --collection's: a search or index run in another collection goes to an
// engine built for that collection's settings, with the flags the user gave
// still winning (and refused by the engine when they differ from what the
// collection records). The main engine (--collection's, and every
// collection that embeds the same way or does not exist yet) answers
// everything else; engines are shared by collections that embed alike.
type collectionEngines struct {
	*engine.Engine
	a *app

	mu      sync.Mutex
	engines map[string]*engine.Engine // by embedKey
}

var _ servedEngine = (*collectionEngines)(nil)

func newCollectionEngines(a *app) *collectionEngines {
	return &collectionEngines{Engine: a.engine, a: a, engines: map[string]*engine.Engine{}}
}

// Search searches collection with the engine that embeds as it records.
func (r *collectionEngines) Search(ctx context.Context, collection string, q engine.Query) (engine.Response, error) {
	e, err := r.engineFor(ctx, collection)
	if err != nil {
		return engine.Response{}, err
	}
	return e.Search(ctx, collection, q)
}

// Index indexes into collection with the engine that embeds as it records.
func (r *collectionEngines) Index(ctx context.Context, collection string, arts []article.Article, opt engine.IndexOptions) (engine.IndexStats, error) {
	e, err := r.engineFor(ctx, collection)
	if err != nil {
		return engine.IndexStats{}, err
	}
	return e.Index(ctx, collection, arts, opt)
}

// engineFor returns the engine for collection's recorded settings.
func (r *collectionEngines) engineFor(ctx context.Context, collection string) (*engine.Engine, error) {
	main := r.a.cfg
	if collection == main.collection || r.a.embed == nil {
		return r.Engine, nil
	}
	cfg := r.a.flags // the flags, before main's collection adopted its settings
	cfg.collection = collection
	cfg.engine = main.engine // main's wiring (keywords, logger), not its server's digest
	cfg.engine.ModelDigest, cfg.engine.EmbedURL = nil, ""
	adoptCollectionModel(ctx, &cfg, r.a.store)
	key := embedKey(cfg.emb)
	if key == embedKey(main.emb) {
		return r.Engine, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.engines[key]; ok {
		return e, nil
	}
	client, err := embed.New(cfg.embedConfig())
	if err != nil {
		return nil, fmt.Errorf("collection %q: its embedding server: %w", collection, err)
	}
	cfg.engine.ModelDigest, cfg.engine.EmbedURL = client.ModelDigest, client.Host()
	e, err := engine.New(r.a.store, engine.NewQueryBatcher(client, cfg.queryBatch), cfg.engineConfig())
	if err != nil {
		return nil, fmt.Errorf("collection %q: %w", collection, err)
	}
	main.logger.Info("collection embeds differently: using its own engine", "collection", collection,
		"embedder", client.Embedder(), "url", client.Host(), "model", cfg.emb.model)
	r.engines[key] = e
	return e, nil
}

// embedKey identifies how an embedding embeds (never the key).
func embedKey(e embedding) string {
	kind := e.kind
	if kind == "" {
		kind = embed.KindOllama
	}
	addr := e.host
	if kind == embed.KindOpenAI {
		addr = e.url
	}
	return fmt.Sprintf("%s|%s|%s|%d|%q|%q", kind, addr, e.model, e.dimensions, e.queryPrefix, e.documentPrefix)
}
