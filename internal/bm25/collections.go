package bm25

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Collections keeps one [Index] per named collection in the directories
// DIR/NAME.bm25. A writable one opens each on first use and holds it until
// Close. A read-only one ([Options.ReadOnly]) opens an index for each
// [Collections.Use] and closes it right after, because an open index holds
// a shared lock that would keep a writer (another process's `semsearch
// serve` or `index`) out for as long as the reader runs. It is safe for
// concurrent use.
type Collections struct {
	dir string
	opt Options

	mu   sync.Mutex
	open map[string]*Index
}

// OpenCollections returns the collections under dir. Nothing is opened yet.
func OpenCollections(dir string, opt Options) *Collections {
	return &Collections{dir: dir, opt: opt, open: map[string]*Index{}}
}

func (c *Collections) path(name string) string {
	return filepath.Join(c.dir, name+".bm25")
}

// Use calls fn with the index of a collection, creating it when it has
// none (writable only). fn must not keep the index: a read-only
// Collections closes it when fn returns.
func (c *Collections) Use(name string, fn func(*Index) error) error {
	if !c.opt.ReadOnly {
		ix, err := c.Index(name)
		if err != nil {
			return err
		}
		return fn(ix)
	}
	ix, err := Open(c.path(name), c.opt)
	if err != nil {
		return err
	}
	return errors.Join(fn(ix), ix.Close())
}

// Index returns the index of a collection, creating it when it has none,
// and holds it open until Close. Readers use [Collections.Use] instead.
func (c *Collections) Index(name string) (*Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ix, ok := c.open[name]; ok {
		return ix, nil
	}
	ix, err := Open(c.path(name), c.opt)
	if err != nil {
		return nil, err
	}
	c.open[name] = ix
	return ix, nil
}

// Drop closes and deletes a collection's index.
func (c *Collections) Drop(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ix, ok := c.open[name]; ok {
		if err := ix.Close(); err != nil {
			return err
		}
		delete(c.open, name)
	}
	if err := os.RemoveAll(c.path(name)); err != nil {
		return fmt.Errorf("drop bm25 index of %q: %w", name, err)
	}
	return nil
}

// Close closes every open index.
func (c *Collections) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for name, ix := range c.open {
		errs = append(errs, ix.Close())
		delete(c.open, name)
	}
	return errors.Join(errs...)
}

// Replace is [Index.ReplaceMany] on a collection's index.
func (c *Collections) Replace(ctx context.Context, name string, docs ...Document) error {
	return c.Use(name, func(ix *Index) error { return ix.ReplaceMany(ctx, docs...) })
}
