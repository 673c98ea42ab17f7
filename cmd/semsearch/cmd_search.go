package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

func searchCommand() *cli.Command {
	cmd := &cli.Command{
		Name:        "search",
		Usage:       "answer a question with the passages that answer it, cited",
		ArgsUsage:   "QUESTION",
		Description: scoreHelp + "\n\nQueries are limited to " + strconv.Itoa(engine.MaxQueryBytes) + " bytes, as over HTTP.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "k", Aliases: []string{"n"}, Usage: "number of passages (at most " + strconv.Itoa(engine.MaxK) + ")", Value: engine.DefaultK},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.Float64Flag{Name: "min-score", Usage: "drop passages whose cosine similarity to the question is below this (-1..1), in vector and hybrid mode alike", Value: -1},
			&cli.StringSliceFlag{Name: "filter", Usage: "only articles whose FIELD equals VALUE (title, source, author, url or a metadata key), as FIELD=VALUE; exact and case-sensitive; a list value (front matter tags: [a, b]) matches any of its elements; repeatable"},
			&cli.StringSliceFlag{Name: "doc", Usage: "only this article id; repeatable"},
			&cli.StringFlag{Name: "doc-prefix", Usage: "only articles whose id or source starts with this, such as a folder: sport/"},
			&cli.StringFlag{Name: "after", Usage: "only articles published at or after this date: " + vectorstore.DateFormats},
			&cli.StringFlag{Name: "before", Usage: "only articles published before this date: " + vectorstore.DateFormats},
			&cli.BoolFlag{Name: "explain", Usage: "show each result's vector and BM25 scores and ranks"},
			&cli.Float64Flag{Name: "mmr", Usage: "diversify by maximal marginal relevance: 0..1, lower is more diverse (0: off)"},
			&cli.IntFlag{Name: "max-per-doc", Usage: "at most this many passages from one article (0: no limit)"},
			&cli.BoolFlag{Name: "keep-duplicates", Usage: "show passages whose text is the same as a better one's (an article indexed under two names) as results of their own; by default each is shown once, naming its copies"},
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

func runSearch(c *cli.Context) error {
	question := strings.TrimSpace(strings.Join(c.Args().Slice(), " "))
	if question == "" {
		return usagef(`search: give a question, e.g. semsearch search "Who was fired?"`)
	}
	spec, filter, err := parseFilter(c)
	if err != nil {
		return usagef("search: %w", err)
	}
	if useServer(c) {
		return remoteSearch(c, question, spec)
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

		KeepDuplicates: c.Bool("keep-duplicates"),
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
		// The API's answer, field for field: a contract with scripts.
		return writeJSON(c.App.Writer, httpapi.NewSearchResponse(resp))
	}
	printResults(c.App.Writer, resp)
	return nil
}

// parseFilter reads the filter flags into the request model's filter
// (which checks them, as every door's) and the engine's.
func parseFilter(c *cli.Context) (engine.FilterSpec, vectorstore.Filter, error) {
	spec := engine.FilterSpec{DocIDs: c.StringSlice("doc"), DocPrefix: c.String("doc-prefix"), After: c.String("after"), Before: c.String("before")}
	for _, kv := range c.StringSlice("filter") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return spec, vectorstore.Filter{}, fmt.Errorf("--filter %q: want FIELD=VALUE", kv)
		}
		if spec.Meta == nil {
			spec.Meta = map[string]string{}
		}
		spec.Meta[k] = v
	}
	f, err := spec.Filter()
	if fe := (*engine.FieldError)(nil); errors.As(err, &fe) {
		return spec, f, errors.New(fe.Named(filterFlags))
	}
	return spec, f, err
}

// filterFlags are the request model's filter fields as search's flags.
var filterFlags = map[string]string{"doc_ids": "--doc", "doc_prefix": "--doc-prefix", "meta": "--filter", "after": "--after", "before": "--before"}

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
		for _, line := range passageLines(engine.ResultBody(r), 100) {
			if line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintf(w, "    %s\n", termLine(line))
		}
		if len(r.Duplicates) > 0 {
			fmt.Fprintf(w, "    (the same text is also in %s)\n", termLine(strings.Join(r.Duplicates, "; ")))
		}
		fmt.Fprintln(w)
	}
	if note := engine.LowConfidenceNote(resp.Results[0].Confidence, resp.Results[0].Evidence); note != "" {
		fmt.Fprintf(w, "note: %s\n\n", termLine(note))
	}
	fmt.Fprintf(w, "%s from %q (%s search, model %s) in %s\n", plural(len(resp.Results), "passage", "passages"), resp.Collection, resp.Mode, termLine(resp.Model), resp.Took.Round(time.Millisecond))
}

func rank(r int) string {
	if r == 0 {
		return "-"
	}
	return strconv.Itoa(r)
}

// passageLines lays a passage out for printing: its own lines, each
// wrapped at width bytes, with a run of blank lines kept as one "" (a
// paragraph break). Joining the lines would run a heading or a dated item
// into the next line ("Comey fired Trump, heeding advice...").
func passageLines(text string, width int) []string {
	var out []string
	blank := false
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, wrap(line, width)...)
	}
	return out
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
