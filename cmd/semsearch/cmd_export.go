package main

// export / import: move a collection between stores (embedded <-> Weaviate)
// or back it up, without re-embedding. Format: internal/vectorstore/transfer.

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/vectorstore/transfer"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a collection (settings, documents, passages, vectors) as JSON Lines: a backup, or input for import",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write (default: standard output)"},
		},
		Action: func(c *cli.Context) error {
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			var w io.Writer = c.App.Writer
			var f *os.File
			if p := c.String("output"); p != "" && p != "-" {
				if f, err = os.Create(p); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				w = f
			}
			st, err := transfer.Export(c.Context, a.store, a.cfg.collection, w)
			if f != nil {
				if cerr := f.Close(); err == nil && cerr != nil {
					err = fmt.Errorf("export: %w", cerr)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "exported %q: %d documents, %d passages\n", a.cfg.collection, st.Documents, st.Passages)
			return nil
		},
	}
}

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "read a collection written by export (FILE, or - for standard input) into --collection of this store",
		ArgsUsage: "FILE|-",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("import: give one file (or - for standard input)")
			}
			a, err := open(c, true)
			if err != nil {
				return err
			}
			defer a.Close()
			var r io.Reader = c.App.Reader
			if p := c.Args().First(); p != "-" {
				f, err := os.Open(p)
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r = f
			}
			name := a.cfg.collection
			h, st, err := transfer.Import(c.Context, a.store, r, name)
			if err != nil {
				return err
			}
			// The embedded store keeps its BM25 index beside the vectors:
			// bring it in line with what is now durably stored, as after
			// any interrupted index run (Weaviate's is the store itself).
			if _, own := a.cfg.engine.Keywords.(weaviateKeywords); a.cfg.engine.Keywords != nil && !own {
				if _, err := a.engine.RepairKeywords(c.Context, name); err != nil {
					return fmt.Errorf("import: BM25 index: %w", err)
				}
			}
			fmt.Fprintf(c.App.ErrWriter, "imported %q from export of %q: %d documents, %d passages (model %s)\n", name, h.Name, st.Documents, st.Passages, h.Settings.Model)
			return nil
		},
	}
}
