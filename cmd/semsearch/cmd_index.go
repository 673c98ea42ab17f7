package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

func indexCommand() *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "index articles from files, directories or stdin (-)",
		ArgsUsage: "PATH...",
		Description: "Loads .txt, .md, .html, .json and .jsonl files (directories recursively), splits them into passages,\n" +
			"embeds new and changed articles through Ollama and stores them. Unchanged articles cost nothing.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "include", Usage: "glob of files to load, relative to each directory (** matches any depth); repeatable"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "glob of files to leave out; repeatable"},
			&cli.BoolFlag{Name: "prune", Usage: "remove articles of the collection that this run did not load (e.g. deleted files)"},
			&cli.BoolFlag{Name: "rebuild", Usage: "re-embed everything when the collection was built with another model or chunking"},
			&cli.Int64Flag{Name: "max-file-size", Usage: "skip files larger than this many bytes", Value: 32 << 20},
		},
		Action: runIndex,
	}
}

func runIndex(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.Exit("index: give at least one PATH (a file, a directory, or - for stdin)", 2)
	}
	start := time.Now()
	loaded, err := article.Load(c.Context, c.Args().Slice(), c.App.Reader, article.LoadOptions{
		Include:      c.StringSlice("include"),
		Exclude:      c.StringSlice("exclude"),
		MaxFileBytes: c.Int64("max-file-size"),
	})
	if err != nil {
		return fmt.Errorf("load articles: %w", err)
	}
	skipped := 0
	for _, p := range loaded.Problems {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s: %s\n", p.Source, p.Reason)
		if p.Kind != article.KindRepaired {
			skipped++
		}
	}
	if c.Bool("prune") && (len(loaded.Articles) == 0 || skipped > 0) {
		return fmt.Errorf("index: not pruning: %d articles loaded and %d files or lines could not be loaded, and pruning would remove their articles; fix the input (see the warnings) or run without --prune", len(loaded.Articles), skipped)
	}
	a, err := open(c, true)
	if err != nil {
		return err
	}
	defer a.Close()

	var progress func(done, total int)
	if isTerminal(c.App.ErrWriter) {
		progress = func(done, total int) {
			fmt.Fprintf(c.App.ErrWriter, "\rembedding: %d/%d articles", done, total)
			if done == total {
				fmt.Fprintln(c.App.ErrWriter)
			}
		}
	}
	before := a.embed.Stats()
	st, err := a.engine.Index(c.Context, a.cfg.collection, loaded.Articles, engine.IndexOptions{
		Prune:    c.Bool("prune"),
		Rebuild:  c.Bool("rebuild"),
		Progress: progress,
	})
	calls := a.embed.Stats().Requests - before.Requests
	took := time.Since(start)
	fmt.Fprintf(c.App.Writer, "indexed %q: %d new, %d updated, %d unchanged, %d removed, %d skipped; %d passages embedded (%d stored); %d embedding calls in %s; total %s (%.1f passages/s)\n",
		a.cfg.collection, st.New, st.Updated, st.Unchanged, st.Removed, skipped+st.Duplicates,
		st.Passages, st.Total, calls, st.EmbedTime.Round(time.Millisecond), took.Round(time.Millisecond),
		float64(st.Passages)/took.Seconds())
	if err != nil {
		// The summary counts only what is durable (see engine.IndexStats).
		return fmt.Errorf("index: %w (the %d new and %d updated articles counted above are stored; %d are not: run the same command again to finish)",
			err, st.New, st.Updated, st.NotStored)
	}
	return nil
}
