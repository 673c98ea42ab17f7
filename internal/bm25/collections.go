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
// DIR/NAME.bm25, opened on first use and held until Close. It is safe for
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

// Index returns the index of a collection, creating it when it has none.
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
	ix, err := c.Index(name)
	if err != nil {
		return err
	}
	return ix.ReplaceMany(ctx, docs...)
}
