package main

// export / import: move a collection between stores (embedded <-> Weaviate)
// or back it up, without re-embedding, or hand it to a Go program as a
// chromem-go database. Formats: internal/vectorstore/transfer.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/transfer"
	"github.com/semsearch/semsearch/internal/vectorstore/weaviatestore"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a collection (settings, documents, passages, vectors) as JSON Lines: a backup, or input for import; or, with --format chromem, as a chromem-go database for Go programs",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write, replaced only when the export succeeds (default: standard output)"},
			&cli.StringFlag{Name: "format", Value: "jsonl", Usage: "jsonl (semsearch's own, every field) or chromem: a gzip-compressed chromem-go export " +
				"(one document per passage with a vector, its text as content, its article's fields as metadata) that a Go program loads with chromem.NewDB().ImportFromFile"},
		},
		Action: func(c *cli.Context) error {
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := requireCollection(c, a); err != nil {
				return err
			}
			write := transfer.Export
			switch f := c.String("format"); f {
			case "jsonl":
			case "chromem":
				write = transfer.ExportChromem
			default:
				return usagef("export: --format %q: want jsonl or chromem", f)
			}
			var st transfer.Stats
			export := func(w io.Writer) (err error) {
				st, err = write(c.Context, a.store, a.cfg.collection, w)
				return err
			}
			if p := c.String("output"); p != "" && p != "-" {
				err = replaceFile(p, export)
			} else {
				// Standard output cannot be taken back: a failed export
				// there lacks its end line, which import refuses.
				err = export(c.App.Writer)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "exported %q: %d documents, %d passages\n", a.cfg.collection, st.Documents, st.Passages)
			if st.Unvectored > 0 {
				fmt.Fprintf(c.App.ErrWriter, "left out %d passages without a vector (their text had nothing the model knows): chromem-go cannot hold a zero vector\n", st.Unvectored)
			}
			return nil
		},
	}
}

// replaceFile has write fill a temporary file beside path (same directory,
// so the rename cannot cross file systems), makes it durable and renames
// it over path. On any failure path is untouched and the temporary file is
// removed. An existing file's permissions are kept; a new file gets what
// os.Create would give (0666 less the umask). A symbolic link is followed
// (its target is replaced, the link stays); a path that exists but is no
// regular file (/dev/null, a pipe) is written to directly, as there is
// nothing in it to keep.
func replaceFile(path string, write func(io.Writer) error) (err error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("export: %s is a folder; give a file name", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("export: write %s: %w", path, err)
		}
		return nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:]) // never fails (crypto/rand)
	tmp := filepath.Join(dir, "."+base+"."+hex.EncodeToString(suffix[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("export: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// The rename is durable once the directory is; failing that, the file
	// is complete but may not survive a crash, which is no reason to fail.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func importCommand() *cli.Command {
	return &cli.Command{
		Name: "import",
		Usage: "read a collection written by export (FILE, or - for standard input) into --collection of this store; " +
			"the whole file is checked first, and a truncated or damaged one changes nothing. " +
			"A chromem-go database export (any, compressed or not) is read too: its passages written by export --format chromem " +
			"become their documents again, any other document becomes a document of one passage, embedded by --model",
		ArgsUsage: "FILE|-",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("import: give one file (or - for standard input)")
			}
			a, err := open(c, true)
			if err != nil {
				return err
			}
			defer a.Close()
			r, done, err := seekableInput(c.Args().First(), c.App.Reader)
			if err != nil {
				return err
			}
			defer done()
			name := a.cfg.collection
			var head [8]byte
			n, _ := io.ReadFull(r, head[:])
			if _, err := r.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			var h transfer.Header
			var st transfer.Stats
			if transfer.IsChromem(head[:n]) {
				// Settings a chromem-go database built elsewhere cannot
				// record: the vectors are --model's, searched as it is.
				e := a.cfg.engineConfig()
				set := vectorstore.Settings{Model: e.Model, DocumentPrefix: e.DocumentPrefix, QueryPrefix: e.QueryPrefix,
					Embedder: e.Embedder, EmbedURL: e.EmbedURL, EmbedDimensions: e.EmbedDimensions, Chunking: a.engine.Chunking()}
				if !a.cfg.modelGiven {
					set.Model = "" // the default model is a guess: ImportChromem asks for --model
				}
				h, st, err = transfer.ImportChromem(c.Context, a.store, r, name, set)
			} else {
				h, st, err = transfer.Import(c.Context, a.store, r, name)
			}
			if err != nil && st.Documents == 0 {
				return err // the store is as it was
			}
			// The embedded store keeps its BM25 index beside the vectors:
			// bring it in line with what is now durably stored, as after
			// any interrupted index run (Weaviate's is the store itself);
			// after a failure too, for the documents that were stored.
			if _, own := a.cfg.engine.Keywords.(weaviatestore.Keywords); a.cfg.engine.Keywords != nil && !own {
				if _, rerr := a.engine.RepairKeywords(c.Context, name); rerr != nil {
					return errors.Join(err, fmt.Errorf("import: BM25 index: %w", rerr))
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "imported %q from export of %q: %d documents, %d passages (model %s)\n", name, h.Name, st.Documents, st.Passages, h.Settings.Model)
			return nil
		},
	}
}

// seekableInput opens the export to import: a regular file as it is, and
// standard input ("-") or a pipe copied to a temporary file first (in
// TMPDIR), because import reads the export twice: to verify all of it,
// then to apply it. done closes and removes what it opened.
func seekableInput(path string, stdin io.Reader) (io.ReadSeeker, func(), error) {
	src := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("import: %w", err)
		}
		fi, err := f.Stat()
		switch {
		case err == nil && fi.Mode().IsRegular():
			return f, func() { f.Close() }, nil
		case err == nil && fi.IsDir():
			f.Close()
			return nil, nil, fmt.Errorf("import: %s is a folder; give the file export wrote", path)
		}
		defer f.Close()
		src = f
	}
	tmp, err := os.CreateTemp("", "semsearch-import-*.jsonl")
	if err != nil {
		return nil, nil, fmt.Errorf("import: a temporary copy of the export (set TMPDIR to choose where): %w", err)
	}
	done := func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	if _, err := io.Copy(tmp, src); err != nil {
		done()
		return nil, nil, fmt.Errorf("import: copy the export to %s (set TMPDIR to choose where): %w", tmp.Name(), err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		done()
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	return tmp, done, nil
}
