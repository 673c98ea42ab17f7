package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func searchCommand() *cli.Command {
	cmd := &cli.Command{
		Name:        "search",
		Usage:       "answer a question with the passages that answer it, cited",
		ArgsUsage:   "QUESTION",
		Description: scoreHelp + "\n\nQueries are limited to " + strconv.Itoa(engine.MaxQueryBytes) + " bytes, as over HTTP.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "k", Aliases: []string{"n"}, Usage: "number of passages", Value: 5},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.Float64Flag{Name: "min-score", Usage: "drop passages whose cosine similarity to the question is below this (-1..1), in vector and hybrid mode alike", Value: -1},
			&cli.StringSliceFlag{Name: "filter", Usage: "only articles whose FIELD equals VALUE (title, source, author, url or a metadata key), as FIELD=VALUE; exact and case-sensitive; a list value (front matter tags: [a, b]) matches any of its elements; repeatable"},
			&cli.StringSliceFlag{Name: "doc", Usage: "only this article id; repeatable"},
			&cli.StringFlag{Name: "after", Usage: "only articles published at or after this date: " + vectorstore.DateFormats},
			&cli.StringFlag{Name: "before", Usage: "only articles published before this date: " + vectorstore.DateFormats},
			&cli.BoolFlag{Name: "explain", Usage: "show each result's vector and BM25 scores and ranks"},
			&cli.Float64Flag{Name: "mmr", Usage: "diversify by maximal marginal relevance: 0..1, lower is more diverse (0: off)"},
			&cli.IntFlag{Name: "max-per-doc", Usage: "at most this many passages from one article (0: no limit)"},
		},
		Action: runSearch,
	}
	cmd.Flags = append(cmd.Flags, serverFlags()...)
	return cmd
}

// scoreHelp explains the printed score in one sentence.
const scoreHelp = "The score printed is the passage's cosine similarity to the question in vector mode (-1..1), its raw\n" +
	"BM25 score in bm25 mode, and in hybrid mode the fused score relative to this question's candidates (the best is\n" +
	"near 1.000, so compare scores within one answer, and use --min-score, a cosine, as the fixed threshold)."

// searchJSON is the --json output. Field names are a contract with scripts.
type searchJSON struct {
	Query      string          `json:"query"`
	Model      string          `json:"model"`
	Collection string          `json:"collection"`
	Mode       engine.Mode     `json:"mode"`
	TookMS     float64         `json:"took_ms"`
	Results    []engine.Result `json:"results"`
	Warnings   []string        `json:"warnings,omitempty"`
}

func runSearch(c *cli.Context) error {
	question := strings.TrimSpace(strings.Join(c.Args().Slice(), " "))
	if question == "" {
		return usagef(`search: give a question, e.g. semsearch search "Who was fired?"`)
	}
	filter, err := parseFilter(c)
	if err != nil {
		return usagef("search: %w", err)
	}
	if c.String("server") != "" {
		return remoteSearch(c, question, filter)
	}
	a, err := open(c, false)
	if err != nil {
		return err
	}
	defer a.Close()
	resp, err := a.engine.Search(c.Context, a.cfg.collection, engine.Query{
		Text:      question,
		K:         c.Int("k"),
		MinScore:  float32(c.Float64("min-score")),
		Filter:    filter,
		Mode:      a.cfg.mode,
		Explain:   c.Bool("explain"),
		MMR:       c.Float64("mmr"),
		MaxPerDoc: c.Int("max-per-doc"),
	})
	if errors.Is(err, engine.ErrInvalid) {
		return usagef("search: %w", err)
	}
	if errors.Is(err, engine.ErrNotFound) {
		if cerr := requireCollection(c, a); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return fmt.Errorf("search: %w", serverHint(c, err))
	}
	for _, w := range resp.Warnings {
		fmt.Fprintln(c.App.ErrWriter, "warning: "+termLine(w))
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(searchJSON{
			Query: resp.Query, Model: resp.Model, Collection: resp.Collection, Mode: resp.Mode,
			TookMS: float64(resp.Took.Microseconds()) / 1000, Results: resp.Results, Warnings: resp.Warnings,
		})
	}
	printResults(c.App.Writer, resp)
	return nil
}

func parseFilter(c *cli.Context) (vectorstore.Filter, error) {
	f := vectorstore.Filter{DocIDs: c.StringSlice("doc")}
	for _, kv := range c.StringSlice("filter") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return f, fmt.Errorf("--filter %q: want FIELD=VALUE", kv)
		}
		if f.Meta == nil {
			f.Meta = map[string]string{}
		}
		f.Meta[k] = v
	}
	var err error
	if f.After, err = parseDate("after", c.String("after")); err != nil {
		return f, err
	}
	if f.Before, err = parseDate("before", c.String("before")); err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("--doc, --filter, --after, --before: %w", err)
	}
	return f, nil
}

// parseDate reads the value of --after or --before; "" is no bound.
func parseDate(flag, s string) (time.Time, error) {
	t, err := vectorstore.ParseDate(s)
	if err != nil {
		return t, fmt.Errorf("--%s %w", flag, err)
	}
	return t, nil
}

func printResults(w io.Writer, resp engine.Response) {
	if len(resp.Results) == 0 {
		fmt.Fprintf(w, "no passages found in %q for %q\n", resp.Collection, resp.Query)
		return
	}
	for _, r := range resp.Results {
		fmt.Fprintf(w, "[%d] %.3f  %s\n", r.Rank, r.Score, termLine(r.Citation))
		fmt.Fprintf(w, "    id %s, chunk %d, bytes %d-%d\n", termLine(r.DocID), r.Chunk, r.Start, r.End)
		if x := r.Explain; x != nil && x.VectorSkipped != "" {
			fmt.Fprintf(w, "    vector - (%s), bm25 %.4f (rank %s)\n", x.VectorSkipped, x.BM25Score, rank(x.BM25Rank))
		} else if x != nil {
			fmt.Fprintf(w, "    vector %.4f (rank %s), bm25 %.4f (rank %s), fused %.4f\n", x.VectorScore, rank(x.VectorRank), x.BM25Score, rank(x.BM25Rank), x.Fused)
		}
		for _, line := range wrap(r.Text, 100) {
			fmt.Fprintf(w, "    %s\n", termLine(line))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s from %q (%s search, model %s) in %s\n", plural(len(resp.Results), "passage", "passages"), resp.Collection, resp.Mode, termLine(resp.Model), resp.Took.Round(time.Millisecond))
}

func rank(r int) string {
	if r == 0 {
		return "-"
	}
	return strconv.Itoa(r)
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
