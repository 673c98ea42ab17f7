package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
)

func indexCommand() *cli.Command {
	cmd := &cli.Command{
		Name:      "index",
		Usage:     "index articles from files, directories or stdin (-)",
		ArgsUsage: "PATH...",
		Description: "Loads .txt, .md, .html, .json and .jsonl files (directories recursively), splits them into passages,\n" +
			"embeds new and changed articles through Ollama and stores them. Unchanged articles cost nothing.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "include", Usage: "glob of files to load, relative to each directory (** matches any depth); repeatable"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "glob of files to leave out; repeatable"},
			&cli.BoolFlag{Name: "prune", Usage: "remove articles of the collection that this run did not load (e.g. deleted files)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar (it is drawn only when stderr is a terminal)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "change nothing: print what the run would add, update and (with --prune) remove"},
			&cli.BoolFlag{Name: "rebuild", Usage: "re-embed every article of the collection with the current model and chunking, changed or not (needed after changing either): " +
				"the PATHs given replace their stored versions, every other stored article is chunked again from the store (PATH may be left out); " +
				"the rebuilt collection replaces the old one only once complete, so an interrupted rebuild changes nothing"},
			&cli.Int64Flag{Name: "max-file-size", Usage: "skip files larger than this many bytes", Value: 32 << 20},
			&cli.StringFlag{Name: "id-prefix", Usage: "put this before every article id (e.g. sport/), so folders holding the same file names can share a collection"},
			&cli.StringFlag{Name: "id", Usage: "id of the article read from stdin (-) as plain text", Value: "stdin"},
			&cli.StringFlag{Name: "title", Usage: "title of the article read from stdin (-) as plain text"},
		},
		Action: runIndex,
	}
	cmd.Flags = append(cmd.Flags, serverFlags()...)
	return cmd
}

func runIndex(c *cli.Context) error {
	if c.NArg() == 0 && !c.Bool("rebuild") {
		return usagef("index: give at least one PATH (a file, a directory, or - for stdin)")
	}
	start := time.Now()
	var loaded article.Result
	var raw []rawFile // the files as read, for --server
	if c.NArg() > 0 { // a rebuild without PATH re-embeds what is stored
		var err error
		loaded, err = article.Load(c.Context, c.Args().Slice(), c.App.Reader, article.LoadOptions{
			Include:      c.StringSlice("include"),
			Exclude:      c.StringSlice("exclude"),
			MaxFileBytes: c.Int64("max-file-size"),
			Raw:          rawCollector(c, &raw),
		})
		if err != nil {
			return fmt.Errorf("load articles: %w", err)
		}
	}
	for _, p := range loaded.UnmatchedIncludes {
		fmt.Fprintf(c.App.ErrWriter, "warning: --include %q matched no files (patterns use *, ?, [...] and **, not {a,b}: repeat --include instead)\n", p)
	}
	skipped := 0
	for _, p := range loaded.Problems {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s: %s\n", termLine(p.Source), termLine(p.Reason))
		if p.Kind == article.KindSkipped || p.Kind == article.KindError {
			skipped++
		}
	}
	stdinID, err := renameArticles(c, loaded.Articles)
	if err != nil {
		return err
	}
	var refused []article.Problem
	loaded.Articles, refused = refuseControlIDs(loaded.Articles)
	for _, p := range refused {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s: %s\n", termLine(p.Source), termLine(p.Reason))
		skipped++
	}
	if c.Bool("prune") && (len(loaded.Articles) == 0 || skipped > 0) {
		return fmt.Errorf("index: not pruning: %d articles loaded and %d files or lines could not be loaded, and pruning would remove their articles; fix the input (see the warnings) or run without --prune", len(loaded.Articles), skipped)
	}
	if useServer(c) {
		return remoteIndex(c, loaded.Articles, raw, skipped, stdinID)
	}
	if c.Bool("dry-run") {
		return dryRunIndex(c, loaded.Articles, skipped)
	}
	a, err := open(c, true)
	if err != nil {
		return serverHint(c, err)
	}
	defer a.Close()

	var onProgress func(engine.IndexProgress)
	finish := func() {}
	if showProgress(c.App.ErrWriter, c.Bool("quiet")) {
		bar := newIndexProgress(c.App.ErrWriter, "embedding")
		defer bar.Finish()
		onProgress, finish = bar.Update, bar.Finish
	}
	before := a.embed.Stats()
	st, err := a.engine.Index(c.Context, a.cfg.collection, loaded.Articles, engine.IndexOptions{
		Prune:      c.Bool("prune"),
		Rebuild:    c.Bool("rebuild"),
		OnProgress: onProgress,
		SameFile:   sameFile,
	})
	finish() // the summary starts on a line of its own
	after := a.embed.Stats()
	retries := after.Retries - before.Retries
	calls := after.Requests - before.Requests - retries
	took := time.Since(start)
	retried := ""
	if retries > 0 {
		retried = fmt.Sprintf(" (and %s)", plural(int(retries), "retry", "retries"))
	}
	fmt.Fprintf(c.App.Writer, "indexed %q: %d new, %d updated, %d unchanged, %d removed, %d skipped; %s embedded (%d stored); %s%s in %s; total %s (%.1f passages/s)\n",
		a.cfg.collection, st.New, st.Updated, st.Unchanged, st.Removed, skipped+st.Duplicates,
		plural(st.Passages, "passage", "passages"), st.Total, plural(int(calls), "embedding call", "embedding calls"), retried,
		st.EmbedTime.Round(time.Millisecond), took.Round(time.Millisecond), float64(st.Passages)/took.Seconds())
	if stdinID != "" {
		fmt.Fprintf(c.App.Writer, "stdin was indexed as id %q (set it with --id)\n", stdinID)
	}
	if c.Bool("rebuild") && err == nil {
		fmt.Fprintf(c.App.Writer, "rebuilt %q: every article re-embedded, %d of them from the stored text\n", a.cfg.collection, st.Rebuilt)
	}
	if errors.Is(err, engine.ErrIDConflict) {
		return fmt.Errorf("index: %w", err) // it says that nothing was changed, and the fix
	}
	kept := "nothing was changed"
	if n := st.New + st.Updated; n > 0 {
		kept = fmt.Sprintf("the %s finished before it are stored", plural(n, "article", "articles"))
	}
	if errors.Is(c.Context.Err(), context.Canceled) { // interrupted, not out of time (see withDeadline)
		return fmt.Errorf("index: interrupted: %s; run the same command again to index the rest", kept)
	}
	if err != nil {
		// The summary counts only what is durable (see engine.IndexStats).
		if st.NotStored > 0 {
			kept += fmt.Sprintf("; %d are not: run the same command again to finish", st.NotStored)
		}
		return fmt.Errorf("index: %w (%s)", err, kept)
	}
	return nil
}

// dryRunIndex prints what an index run would do, changing nothing.
func dryRunIndex(c *cli.Context, arts []article.Article, skipped int) error {
	a, err := open(c, false)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.engine.Index(c.Context, a.cfg.collection, arts, engine.IndexOptions{
		Prune: c.Bool("prune"), Rebuild: c.Bool("rebuild"), DryRun: true, SameFile: sameFile,
	})
	if err != nil {
		return fmt.Errorf("index --dry-run: %w", err)
	}
	for _, id := range st.Gone {
		fmt.Fprintf(c.App.Writer, "would remove %s\n", termLine(id))
	}
	fmt.Fprintf(c.App.Writer, "dry run, nothing changed: %q would get %d new, %d updated, %d unchanged, %d removed, %d skipped; %s to embed\n",
		a.cfg.collection, st.New, st.Updated, st.Unchanged, st.Removed, skipped+st.Duplicates, plural(st.Passages, "passage", "passages"))
	if c.Bool("rebuild") {
		fmt.Fprintf(c.App.Writer, "the rebuild would re-embed every article, %d of them from the stored text\n", st.Rebuilt)
	}
	return nil
}

// plural returns "1 passage" or "2 passages".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// renameArticles applies --id-prefix to every article and --id/--title to
// the plain-text article read from stdin. It returns the id stdin's plain
// text got, or "" when there was none.
func renameArticles(c *cli.Context, arts []article.Article) (string, error) {
	id := strings.TrimSpace(c.String("id"))
	if id == "" {
		return "", usagef("index: --id is empty")
	}
	for _, f := range []string{"id", "id-prefix"} {
		if strings.ContainsFunc(c.String(f), unicode.IsControl) {
			return "", usagef("index: --%s %q holds control characters", f, c.String(f))
		}
	}
	stdinID := ""
	for i := range arts {
		a := &arts[i]
		if a.Source == "-" && a.ID == "stdin" {
			a.ID = id
			if t := strings.TrimSpace(c.String("title")); t != "" {
				a.Title = t
			}
			stdinID = c.String("id-prefix") + a.ID
		}
		a.ID = c.String("id-prefix") + a.ID
	}
	return stdinID, nil
}

// refuseControlIDs drops the articles whose id holds control characters
// (a file named with an ESC or a newline, a JSON object's id), which the
// HTTP API refuses too: printed, such an id would drive the terminal, and
// it could not be named on a command line. It returns a problem for each.
func refuseControlIDs(arts []article.Article) ([]article.Article, []article.Problem) {
	var probs []article.Problem
	kept := arts[:0]
	for _, a := range arts {
		if err := engine.CheckID(a.ID); err != nil { // the request model's id rule
			probs = append(probs, article.Problem{Source: a.Source, Kind: article.KindSkipped,
				Reason: fmt.Sprintf("not indexed: its %v; rename the file (or give the object another id)", err)})
			continue
		}
		kept = append(kept, a)
	}
	return kept, probs
}

// sameFile tells the engine's id guard whether a stored article's source
// and a newly loaded one name the same file, when both exist here (the
// same file under two spellings, or through a symlink). A stored file that
// is gone while the given one exists is taken as moved (a renamed or moved
// folder re-indexed), so the id follows it: nothing on disk is lost. For
// the rest (stdin, paths relative to another working directory) it leaves
// the answer to the engine's comparison of the paths.
func sameFile(stored, given string) (same, known bool) {
	if stored == given {
		return true, true
	}
	gi, err := os.Stat(given)
	if err != nil {
		return false, false
	}
	so, err := os.Stat(stored)
	if errors.Is(err, fs.ErrNotExist) {
		return true, true
	}
	if err != nil {
		return false, false
	}
	return os.SameFile(so, gi), true
}
