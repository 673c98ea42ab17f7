package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
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
				return cli.Exit("get: give one article ID (see: semsearch list)", 2)
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
			text, err := cut(doc.Text, c.String("lines"), c.String("bytes"))
			if err != nil {
				return cli.Exit("get: "+err.Error(), 2)
			}
			if c.Bool("json") {
				doc.Text = text
				return writeJSON(c.App.Writer, doc)
			}
			_, err = io.WriteString(c.App.Writer, strings.TrimRight(text, "\n")+"\n")
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
				return writeJSON(c.App.Writer, map[string]any{"total": total, "documents": docs})
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPASSAGES\tPUBLISHED\tTITLE")
			for _, d := range docs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", d.ID, d.Passages, date(d.Published), d.Title)
			}
			tw.Flush()
			fmt.Fprintf(c.App.Writer, "%d of %d articles\n", len(docs), total)
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
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.Exit("delete: give at least one article ID (see: semsearch list)", 2)
			}
			a, err := open(c, true)
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := a.engine.Delete(c.Context, a.cfg.collection, c.Args().Slice()...)
			if err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			fmt.Fprintf(c.App.Writer, "deleted %d of %d articles from %q\n", n, c.NArg(), a.cfg.collection)
			if n < c.NArg() {
				return cli.Exit(fmt.Sprintf("delete: %d ids were not in %q", c.NArg()-n, a.cfg.collection), 1)
			}
			return nil
		},
	}
}

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "show the collections in the data directory",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
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
					col.Settings.Model, col.Settings.Dimensions, col.Settings.Chunking, col.Updated.Format(time.RFC3339))
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
