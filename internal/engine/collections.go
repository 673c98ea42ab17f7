package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// DropCollection removes a collection: its documents, passages and BM25
// index. It fails with ErrNotFound when there is no such collection.
func (e *Engine) DropCollection(ctx context.Context, name string) error {
	if _, err := e.Collection(ctx, name); err != nil {
		return err
	}
	if err := e.dropCollection(ctx, name); err != nil {
		return fmt.Errorf("drop collection %q: %w", name, err)
	}
	e.forgetKeywordCheck(name)
	return nil
}

// RenameCollection gives collection from the name to, which must be free:
// the store moves it whole (see [vectorstore.Store.ReplaceCollection]),
// nothing is embedded again, and the BM25 index is rebuilt under the new
// name from the stored passages. It fails with ErrNotFound when from does
// not exist and ErrInvalid when to is taken or not a valid name.
func (e *Engine) RenameCollection(ctx context.Context, from, to string) error {
	if !vectorstore.ValidName(to) {
		return fmt.Errorf("%w: %q is not a collection name (1-64 letters, digits, _, . and -, starting with a letter or digit)", ErrInvalid, to)
	}
	if _, err := e.Collection(ctx, from); err != nil {
		return err
	}
	switch _, err := e.Collection(ctx, to); {
	case err == nil:
		return fmt.Errorf("%w: collection %q exists already: drop it first, or choose another name", ErrInvalid, to)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if err := e.store.ReplaceCollection(ctx, to, from); err != nil {
		return fmt.Errorf("rename collection %q to %q: %w", from, to, err)
	}
	e.forgetKeywordCheck(from)
	e.forgetKeywordCheck(to)
	if e.keywords != nil {
		if err := e.keywords.Drop(ctx, from); err != nil {
			return fmt.Errorf("rename collection %q to %q: drop the old BM25 index: %w", from, to, err)
		}
		// Built from the store's passages now rather than on the first
		// search.
		if _, err := e.RepairKeywords(ctx, to); err != nil {
			return fmt.Errorf("rename collection %q to %q: BM25 index: %w", from, to, err)
		}
	}
	return nil
}

// CollectionHolding names a collection that holds exactly arts, so that
// searching it answers as indexing arts afresh would, without embedding
// anything: the same document ids, each with the same content hash, and
// recorded settings (model, its digest, chunking, prefixes) that match the
// engine's. It returns "" when none does; a rebuild's staging collection
// never counts. Collections are tried in name order, cheapest test first.
func (e *Engine) CollectionHolding(ctx context.Context, arts []article.Article) (string, error) {
	want := make(map[string]string, len(arts))
	for i := range arts {
		if _, dup := want[arts[i].ID]; !dup { // the first of an id is what index keeps
			want[arts[i].ID] = arts[i].Hash()
		}
	}
	cols, err := e.store.Collections(ctx)
	if err != nil {
		return "", fmt.Errorf("list collections: %w", err)
	}
	slices.SortFunc(cols, func(a, b vectorstore.Collection) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range cols {
		if c.Documents != len(want) || strings.HasPrefix(c.Name, "rebuild.") {
			continue
		}
		if err := e.checkSettings(ctx, c, false); errors.Is(err, ErrSettingsMismatch) {
			continue
		} else if err != nil {
			return "", err
		}
		hashes, err := e.store.Hashes(ctx, c.Name)
		if err != nil {
			return "", fmt.Errorf("collection %q: %w", c.Name, err)
		}
		if maps.Equal(hashes, want) {
			return c.Name, nil
		}
	}
	return "", nil
}
