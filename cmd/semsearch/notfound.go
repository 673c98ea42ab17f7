package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
)

// noCollectionError is the error every command gives for a --collection
// that does not exist. It is engine.ErrNotFound for errors.Is.
type noCollectionError struct{ msg string }

func (e noCollectionError) Error() string { return e.msg }
func (e noCollectionError) Unwrap() error { return engine.ErrNotFound }

// requireCollection fails when the collection the command works on does not
// exist, with an error that names the collections that do, so that a
// mistyped -c is never taken for an empty collection (delete "0 of 1",
// stats showing everything else).
func requireCollection(c *cli.Context, a *app) error {
	_, err := a.engine.Collection(c.Context, a.cfg.collection)
	if err == nil {
		return nil
	}
	if !errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("%s: %w", c.Command.Name, err)
	}
	return noCollection(c, a)
}

// noCollection builds the error of [requireCollection].
func noCollection(c *cli.Context, a *app) error {
	where := a.cfg.dataDir
	if a.cfg.remote != nil {
		where = storeLabel(a.cfg.remote)
	}
	cols, err := a.engine.Collections(c.Context)
	if err != nil {
		return fmt.Errorf("%s: collection %q does not exist in %s (listing the others failed: %v)", c.Command.Name, a.cfg.collection, where, err)
	}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = termLine(col.Name)
	}
	if len(names) == 0 {
		return noCollectionError{fmt.Sprintf("%s: collection %q does not exist in %s, nor any other yet: semsearch index PATH creates one (-c NAME names it)",
			c.Command.Name, a.cfg.collection, where)}
	}
	return noCollectionError{fmt.Sprintf("%s: collection %q does not exist in %s; the collections there are %s (choose one with -c NAME)",
		c.Command.Name, a.cfg.collection, where, strings.Join(names, ", "))}
}
