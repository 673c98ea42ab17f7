package main

import (
	"context"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// collectionInfo is what [adoptCollectionModel] needs of a store.
type collectionInfo interface {
	Collection(ctx context.Context, name string) (vectorstore.Collection, error)
}

// adoptCollectionModel makes cfg use the model (and document prefix) the
// collection was indexed with when the user named no model: a fresh shell
// without SEMSEARCH_MODEL searches what it indexed. A model given with
// --model or SEMSEARCH_MODEL is kept, and the engine refuses it when it
// differs from the collection's. A collection that does not exist yet keeps
// the default model.
func adoptCollectionModel(ctx context.Context, cfg *config, store collectionInfo) {
	if cfg.modelGiven {
		return
	}
	col, err := store.Collection(ctx, cfg.collection)
	if err != nil || col.Settings.Model == "" || col.Settings.Model == cfg.engine.Model {
		return
	}
	cfg.logger.Debug("using the collection's model", "collection", cfg.collection, "model", col.Settings.Model)
	cfg.embed.Model = col.Settings.Model
	cfg.engine.Model = col.Settings.Model
	if cfg.embed.DocumentPrefix == nil {
		prefix := col.Settings.DocumentPrefix
		cfg.embed.DocumentPrefix = &prefix
		cfg.engine.DocumentPrefix = prefix
	}
}
