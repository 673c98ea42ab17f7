package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/suggest"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func getCommand() *cli.Command {
	return &cli.Command{
		Name:      "get",
		Usage:     "print an indexed article, or a cited range of it",
		ArgsUsage: "ID (or the source path a citation names, or a file name only one id ends with)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lines", Usage: "only lines A-B (as cited), e.g. 3-5; a range past the end stops there"},
			&cli.StringFlag{Name: "bytes", Usage: "only bytes START-END (a result's start and end)"},
			&cli.StringFlag{Name: "pages", Usage: "only pages A-B of a PDF, e.g. 3-4 (with --lines: lines within them, as cited)"},
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
			if err := requireCollection(c, a); err != nil {
				return err
			}
			doc, err := a.engine.Document(c.Context, a.cfg.collection, c.Args().First())
			if errors.Is(err, engine.ErrNotFound) {
				doc, err = findDocument(c, a, c.Args().First())
			}
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			if c.String("lines") != "" && (doc.Format == "html" || doc.Format == "json") {
				return usagef("get: --lines of a %s article's citations are lines of its source file %s, not of the extracted text; open the file there, or use --bytes START-END (a result's start and end)", doc.Format, doc.Source)
			}
			lines := c.String("lines")
			if s, e, err := parseRange(lines); lines != "" && c.String("pages") == "" && err == nil && s >= 1 && s <= e {
				// A range running past the end is cut at the end, saying
				// so: "3-100" asks for the rest of the article.
				if n := lineCount(doc.Text); s <= n && e > n {
					lines = fmt.Sprintf("%d-%d", s, n)
					fmt.Fprintf(c.App.ErrWriter, "note: %s has %d lines: printing lines %s\n", termLine(doc.ID), n, lines)
				} else if s > n {
					return usagef("get: --lines %q: %s has %d lines", c.String("lines"), doc.ID, n)
				}
			}
			text, err := cut(doc.Text, lines, c.String("bytes"))
			if c.String("pages") != "" && c.String("bytes") == "" {
				text, err = cutPages(doc, c.String("pages"), c.String("lines"))
			}
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
		all := splitLines(text)
		if err != nil || s < 1 || s > e || e > len(all) {
			return "", fmt.Errorf("--lines %q: want A-B within 1-%d", lines, len(all))
		}
		return strings.Join(all[s-1:e], ""), nil
	}
	return text, nil
}

// splitLines splits text into its lines, each with its newline, counted as
// an editor (and the MCP get_document tool) counts them: a final newline
// ends the last line rather than starting another.
func splitLines(text string) []string {
	all := strings.SplitAfter(text, "\n")
	if n := len(all); n > 1 && all[n-1] == "" {
		all = all[:n-1]
	}
	return all
}

// lineCount is the number of lines of text (see [splitLines]).
func lineCount(text string) int { return len(splitLines(text)) }

// findDocument finds the article arg names when it is no id: the source
// path a citation prints, or a file name only one id ends with (which it
// says on stderr). Otherwise it fails with the ids that look like arg.
func findDocument(c *cli.Context, a *app, arg string) (vectorstore.Document, error) {
	docs, _, err := a.engine.Documents(c.Context, a.cfg.collection, 0, 0)
	if err != nil {
		return vectorstore.Document{}, err
	}
	ids := make([]string, len(docs))
	var bySource, byName []string
	absArg, _ := filepath.Abs(arg)
	for i, d := range docs {
		ids[i] = d.ID
		if d.Source == arg || (absArg != "" && absPath(d.Source) == absArg) {
			bySource = append(bySource, d.ID)
		}
		if !strings.Contains(arg, "/") && path.Base(d.ID) == arg {
			byName = append(byName, d.ID)
		}
	}
	slices.Sort(ids)
	pick := func(found []string) (vectorstore.Document, error) {
		return a.engine.Document(c.Context, a.cfg.collection, found[0])
	}
	switch {
	case len(bySource) == 1:
		return pick(bySource)
	case len(bySource) > 1: // a JSON Lines file holds many articles
		return vectorstore.Document{}, fmt.Errorf("%s holds %d articles of %q: give one id, e.g. %s (semsearch list shows them)",
			arg, len(bySource), a.cfg.collection, suggest.Or(bySource[:min(3, len(bySource))]))
	case len(byName) == 1:
		fmt.Fprintf(c.App.ErrWriter, "note: %q is %s\n", arg, termLine(byName[0]))
		return pick(byName)
	}
	like := byName
	if len(like) == 0 {
		like = suggest.Similar(arg, ids, 5)
	}
	hint := "semsearch list shows every id"
	if len(like) > 0 {
		hint = "did you mean " + termLine(suggest.Or(like)) + "?"
	}
	return vectorstore.Document{}, fmt.Errorf("no article %q in %q: %s: %w", arg, a.cfg.collection, hint, engine.ErrNotFound)
}

// absPath is p made absolute, or "" when it cannot be.
func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return abs
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
			if err := requireCollection(c, a); err != nil {
				return err
			}
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
	if useServer(c) {
		return remoteDelete(c, c.Args().Slice())
	}
	dry := c.Bool("dry-run")
	a, err := open(c, !dry)
	if err != nil {
		return serverHint(c, err)
	}
	defer a.Close()
	if err := requireCollection(c, a); err != nil {
		return err
	}
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
		Usage: "show the collections in the data directory or the --store (with -c, that one)",
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
			if c.IsSet("collection") { // -c: that collection only
				if !slices.ContainsFunc(cols, func(col vectorstore.Collection) bool { return col.Name == a.cfg.collection }) {
					return noCollection(c, a)
				}
				cols = slices.DeleteFunc(cols, func(col vectorstore.Collection) bool { return col.Name != a.cfg.collection })
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
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, col := range cols {
				fmt.Fprintln(c.App.Writer, embeddingLine(col))
			}
			return nil
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// embeddingLine says how a collection was embedded: the server, the
// requested dimensions and both prefixes (quoted, so that control
// characters and trailing spaces show).
func embeddingLine(col vectorstore.Collection) string {
	s := col.Settings
	line := "  " + termLine(col.Name) + ": "
	if s.Embedder != "" {
		line += fmt.Sprintf("embedded by %s at %s", s.Embedder, termLine(s.EmbedURL))
		if s.EmbedDimensions > 0 {
			line += fmt.Sprintf(" (--dimensions %d)", s.EmbedDimensions)
		}
		line += fmt.Sprintf(", query prefix %q", s.QueryPrefix)
	} else {
		q, _ := embed.PrefixesFor(s.Model)
		line += fmt.Sprintf("query prefix not recorded (searches use the model's: %q; the next index run records it)", q)
	}
	return line + fmt.Sprintf(", document prefix %q", s.DocumentPrefix)
}
