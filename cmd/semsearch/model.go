package main

import (
	"context"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// collectionInfo is what [adoptCollectionModel] needs of a store.
type collectionInfo interface {
	Collection(ctx context.Context, name string) (vectorstore.Collection, error)
}

// embedGiven says which embedding settings the user chose with a flag or
// its environment variable.
type embedGiven struct {
	embedder, ollama, embedURL, dimensions, queryPrefix, docPrefix bool
}

// adoptCollectionModel makes cfg embed the way the collection records it
// was embedded, for every setting the user did not choose: the model, the
// embedding server (kind and address), the requested dimensions and both
// prefixes. A fresh shell without SEMSEARCH_MODEL searches what it indexed,
// through the server it indexed with. A setting given explicitly is kept,
// and the engine refuses it when it differs from the collection's. When
// the model differs (a rebuild with another --model), the model-specific
// settings are that model's defaults, not the collection's. A collection
// that does not exist yet keeps the defaults; one made before collections
// recorded their server and query prefix gets the table's prefix for its
// model.
func adoptCollectionModel(ctx context.Context, cfg *config, store collectionInfo) {
	col, err := store.Collection(ctx, cfg.collection)
	if err != nil {
		return
	}
	set, e := col.Settings, &cfg.emb
	if !cfg.modelGiven && set.Model != "" && set.Model != e.model {
		cfg.logger.Debug("using the collection's model", "collection", cfg.collection, "model", set.Model)
		e.model = set.Model
		q, d := embed.PrefixesFor(set.Model)
		if !cfg.given.queryPrefix {
			e.queryPrefix = q
		}
		if !cfg.given.docPrefix {
			e.documentPrefix = d
		}
	}
	if set.Embedder != "" && !cfg.given.embedder {
		e.kind = set.Embedder
	}
	recordedKind := set.Embedder
	if recordedKind == "" {
		recordedKind = embed.KindOllama
	}
	if set.EmbedURL != "" && e.kind == recordedKind {
		switch {
		case recordedKind == embed.KindOpenAI && !cfg.given.embedURL:
			e.url = set.EmbedURL
		case recordedKind == embed.KindOllama && !cfg.given.ollama:
			e.host = set.EmbedURL
		}
	}
	if set.Model != e.model {
		return // another model: its own defaults (the engine refuses or rebuilds)
	}
	if !cfg.given.dimensions {
		e.dimensions = set.EmbedDimensions
	}
	if !cfg.given.docPrefix {
		e.documentPrefix = set.DocumentPrefix
	}
	if !cfg.given.queryPrefix && set.Embedder != "" { // recorded
		e.queryPrefix = set.QueryPrefix
	}
}
