package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
)

// collectionsCommand lists the collections and drops or renames one.
func collectionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "collections",
		Usage:     "list the collections; drop NAME removes one (asks first unless --yes), rename OLD NEW renames one without embedding again",
		ArgsUsage: "[drop NAME | rename OLD NEW]",
		// Positional words rather than subcommands: every flag (--data,
		// --yes) is the command's, wherever it is given.
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "drop without asking for confirmation"},
		},
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "drop":
				return runDropCollection(c)
			case "rename":
				return runRenameCollection(c)
			case "":
			default:
				return usagef("collections: unknown subcommand %q: use drop NAME or rename OLD NEW", c.Args().First())
			}
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			cols, err := a.engine.Collections(c.Context)
			if err != nil {
				return fmt.Errorf("collections: %w", err)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, cols)
			}
			if len(cols) == 0 {
				fmt.Fprintln(c.App.Writer, "no collections yet: semsearch index PATH creates one (-c NAME names it)")
			}
			for _, col := range cols {
				fmt.Fprintf(c.App.Writer, "%s\t%s, %s\n", termLine(col.Name), plural(col.Documents, "article", "articles"), plural(col.Passages, "passage", "passages"))
			}
			return nil
		},
	}
}

func runDropCollection(c *cli.Context) error {
	if c.NArg() != 2 {
		return usagef("collections drop: give one collection name, e.g. semsearch collections drop eval-bbc-1a2b3c4d")
	}
	name := c.Args().Get(1)
	a, err := open(c, true)
	if err != nil {
		return err
	}
	defer a.Close()
	a.cfg.collection = name
	col, err := a.engine.Collection(c.Context, name)
	if errors.Is(err, engine.ErrNotFound) {
		return noCollection(c, a)
	} else if err != nil {
		return fmt.Errorf("collections drop: %w", err)
	}
	what := fmt.Sprintf("collection %q (%s, %s)", termLine(name), plural(col.Documents, "article", "articles"), plural(col.Passages, "passage", "passages"))
	if !c.Bool("yes") {
		fmt.Fprintf(c.App.ErrWriter, "drop %s? This cannot be undone. Type yes to drop it: ", what)
		answer, _ := bufio.NewReader(c.App.Reader).ReadString('\n')
		if strings.TrimSpace(strings.ToLower(answer)) != "yes" {
			return usagef("collections drop: not confirmed, nothing was dropped (answer yes, or pass --yes)")
		}
	}
	if err := a.engine.DropCollection(c.Context, name); err != nil {
		return fmt.Errorf("collections drop: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "dropped %s\n", what)
	return nil
}

func runRenameCollection(c *cli.Context) error {
	if c.NArg() != 3 {
		return usagef("collections rename: give the old and the new name, e.g. semsearch collections rename default bbc")
	}
	from, to := c.Args().Get(1), c.Args().Get(2)
	a, err := open(c, true)
	if err != nil {
		return err
	}
	defer a.Close()
	a.cfg.collection = from
	err = a.engine.RenameCollection(c.Context, from, to)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return noCollection(c, a)
	case errors.Is(err, engine.ErrInvalid):
		return usagef("collections rename: %w", err)
	case err != nil:
		return fmt.Errorf("collections rename: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "renamed collection %q to %q\n", termLine(from), termLine(to))
	return nil
}
