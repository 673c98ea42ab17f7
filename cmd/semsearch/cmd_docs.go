package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func getCommand() *cli.Command {
	return &cli.Command{
		Name:      "get",
		Usage:     "print an indexed article, or a cited range of it",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lines", Usage: "only lines A-B (as cited), e.g. 3-5"},
			&cli.StringFlag{Name: "bytes", Usage: "only bytes START-END (a result's start and end)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON with metadata"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("get: give one article ID (see: semsearch list)")
			}
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			doc, err := a.engine.Document(c.Context, a.cfg.collection, c.Args().First())
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			if c.String("lines") != "" && (doc.Format == "html" || doc.Format == "json") {
				return usagef("get: --lines of a %s article's citations are lines of its source file %s, not of the extracted text; open the file there, or use --bytes START-END (a result's start and end)", doc.Format, doc.Source)
			}
			text, err := cut(doc.Text, c.String("lines"), c.String("bytes"))
			if err != nil {
				return usagef("get: %v", err)
			}
			if c.Bool("json") {
				doc.Text = text
				return writeJSON(c.App.Writer, doc)
			}
			_, err = io.WriteString(c.App.Writer, termText(strings.TrimRight(text, "\n"))+"\n")
			return err
		},
	}
}

// cut returns the requested part of text: lines "A-B" (1-based, inclusive)
// or bytes "START-END" (half-open), or all of it.
func cut(text, lines, bytes string) (string, error) {
	switch {
	case lines != "" && bytes != "":
		return "", fmt.Errorf("give --lines or --bytes, not both")
	case bytes != "":
		s, e, err := parseRange(bytes)
		if err != nil || s < 0 || e > len(text) || s > e {
			return "", fmt.Errorf("--bytes %q: want START-END within 0-%d", bytes, len(text))
		}
		return text[s:e], nil
	case lines != "":
		s, e, err := parseRange(lines)
		all := strings.SplitAfter(text, "\n")
		if err != nil || s < 1 || s > e || e > len(all) {
			return "", fmt.Errorf("--lines %q: want A-B within 1-%d", lines, len(all))
		}
		return strings.Join(all[s-1:e], ""), nil
	}
	return text, nil
}

func parseRange(r string) (int, int, error) {
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		b = a
	}
	s, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, err
	}
	e, err := strconv.Atoi(strings.TrimSpace(b))
	return s, e, err
}

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the articles of the collection",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "offset", Usage: "skip this many articles"},
			&cli.IntFlag{Name: "limit", Usage: "at most this many articles (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			docs, total, err := a.engine.Documents(c.Context, a.cfg.collection, c.Int("offset"), c.Int("limit"))
			if err != nil {
				return fmt.Errorf("list: %w", err)
			}
			if c.Bool("json") {
				// The list carries no text; get prints it.
				type listed struct {
					vectorstore.Document
					Text string `json:"text,omitempty"`
				}
				out := make([]listed, len(docs))
				for i, d := range docs {
					out[i] = listed{Document: d}
				}
				return writeJSON(c.App.Writer, map[string]any{"total": total, "documents": out})
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPASSAGES\tPUBLISHED\tTITLE")
			for _, d := range docs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", termLine(d.ID), d.Passages, date(d.Published), termLine(d.Title))
			}
			tw.Flush()
			fmt.Fprintf(c.App.Writer, "%d of %s\n", len(docs), plural(total, "article", "articles"))
			return nil
		},
	}
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02")
}

func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "remove articles and their passages from the collection",
		ArgsUsage: "ID...",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "change nothing: print which articles would go"},
		}, serverFlags()...),
		Action: runDelete,
	}
}

func runDelete(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("delete: give at least one article ID (see: semsearch list)")
	}
	if c.String("server") != "" {
		return remoteDelete(c, c.Args().Slice())
	}
	dry := c.Bool("dry-run")
	a, err := open(c, !dry)
	if err != nil {
		return serverHint(c, err)
	}
	defer a.Close()
	var found, missing []string
	for _, id := range c.Args().Slice() {
		switch _, err := a.engine.Document(c.Context, a.cfg.collection, id); {
		case errors.Is(err, engine.ErrNotFound):
			missing = append(missing, id)
		case err != nil:
			return fmt.Errorf("delete: %w", err)
		case !slices.Contains(found, id):
			found = append(found, id)
		}
	}
	verb := "deleted"
	if dry {
		verb = "dry run, nothing changed: would delete"
		for _, id := range found {
			fmt.Fprintf(c.App.Writer, "would delete %s\n", termLine(id))
		}
	} else if len(found) > 0 {
		n, err := a.engine.Delete(c.Context, a.cfg.collection, found...)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		found = found[:n]
	}
	fmt.Fprintf(c.App.Writer, "%s %d of %s from %q\n", verb, len(found), plural(len(found)+len(missing), "article", "articles"), a.cfg.collection)
	if len(missing) > 0 {
		return fmt.Errorf("delete: not in %q: %s", a.cfg.collection, strings.Join(missing, ", "))
	}
	return nil
}

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "show the collections in the data directory (or the --store)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			// A remote store (--store) keeps nothing in the data directory,
			// so only the embedded store's absence is worth saying.
			if dir := c.String("data"); dir != "" && c.String("store") == "" {
				if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("stats: there is no data directory %s: nothing has been indexed there (semsearch index PATH creates it; --data or SEMSEARCH_DATA picks another)", dir)
				}
			}
			a, err := open(c, false)
			if err != nil {
				return err
			}
			defer a.Close()
			cols, err := a.engine.Collections(c.Context)
			if err != nil {
				return fmt.Errorf("stats: %w", err)
			}
			if c.Bool("json") {
				if a.cfg.remote != nil {
					return writeJSON(c.App.Writer, map[string]any{"store": storeLabel(a.cfg.remote), "collections": cols})
				}
				return writeJSON(c.App.Writer, map[string]any{"data": a.cfg.dataDir, "collections": cols})
			}
			if a.cfg.remote != nil { // issue 9: --store
				fmt.Fprintf(c.App.Writer, "store %s\n", storeLabel(a.cfg.remote))
			} else {
				fmt.Fprintf(c.App.Writer, "data directory %s\n", a.cfg.dataDir)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COLLECTION\tARTICLES\tPASSAGES\tMODEL\tDIMS\tCHUNKING\tUPDATED")
			for _, col := range cols {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\n", col.Name, col.Documents, col.Passages,
					termLine(col.Settings.Model), col.Settings.Dimensions, termLine(col.Settings.Chunking), col.Updated.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
