package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// ErrNoSources reports a store that cannot keep what a collection was
// indexed from (see [vectorstore.SourcesStore]).
var ErrNoSources = errors.New("this store does not keep what collections were indexed from (the embedded store does)")

// Sources returns what collection was indexed from: the zero value when
// nothing was recorded, ErrNotFound when there is no such collection.
func (e *Engine) Sources(ctx context.Context, collection string) (vectorstore.Sources, error) {
	ss, ok := e.store.(vectorstore.SourcesStore)
	if !ok {
		return vectorstore.Sources{}, ErrNoSources
	}
	src, err := ss.Sources(ctx, collection)
	if err != nil {
		return src, fmt.Errorf("sources of %q: %w", collection, err)
	}
	return src, nil
}

// RecordSources replaces what collection was indexed from. Like the
// index runs that call it, it is one writer's: it takes the index lock,
// so it never interleaves with a run's writes.
func (e *Engine) RecordSources(ctx context.Context, collection string, src vectorstore.Sources) error {
	ss, ok := e.store.(vectorstore.SourcesStore)
	if !ok {
		return ErrNoSources
	}
	e.indexMu.Lock()
	defer e.indexMu.Unlock()
	if err := ss.RecordSources(ctx, collection, src); err != nil {
		return fmt.Errorf("record sources of %q: %w", collection, err)
	}
	return nil
}
