package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/sources"
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
		reason := p.Reason
		if strings.HasPrefix(reason, "file too large") || strings.HasPrefix(reason, "input too large") {
			reason += " (raise it with --max-file-size)"
		}
		fmt.Fprintf(c.App.ErrWriter, "warning: %s: %s\n", termLine(p.Source), termLine(reason))
		if p.Kind == article.KindSkipped || p.Kind == article.KindError {
			skipped++
		}
	}
	stdinID, err := renameArticles(c, loaded.Articles)
	if err != nil {
		return err
	}
	var refused []article.Problem
	loaded.Articles, refused = sources.RefuseBadIDs(loaded.Articles, "rename the file (or give the object another id)")
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
		if err := dryRunIndex(c, loaded.Articles, skipped); err != nil {
			return err
		}
		printLeftOut(c.App.Writer, loaded.LeftOut)
		return nil
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
	recordIndexSources(c, a, loaded, refused, st, err)
	after := a.embed.Stats()
	retries := after.Retries - before.Retries
	calls := after.Requests - before.Requests - retries
	took := time.Since(start)
	retried := ""
	if retries > 0 {
		retried = fmt.Sprintf(" (and %s)", plural(int(retries), "retry", "retries"))
	}
	if err != nil && st.New+st.Updated+st.Removed == 0 && !errors.Is(err, engine.ErrIDConflict) {
		// Failed before storing anything: a summary of zeros would read
		// as success on stdout; the error says what the collection holds.
		return indexFailed(c, a, st, int(retries), err)
	}
	fmt.Fprintf(c.App.Writer, "indexed %q: %d new, %d updated, %d unchanged, %d removed, %d skipped; %s embedded (%d stored); %s%s in %s; total %s (%.1f passages/s)\n",
		a.cfg.collection, st.New, st.Updated, st.Unchanged, st.Removed, skipped+st.Duplicates,
		plural(st.Passages, "passage", "passages"), st.Total, plural(int(calls), "embedding call", "embedding calls"), retried,
		st.EmbedTime.Round(time.Millisecond), took.Round(time.Millisecond), float64(st.Passages)/took.Seconds())
	printLeftOut(c.App.Writer, loaded.LeftOut)
	if stdinID != "" {
		fmt.Fprintf(c.App.Writer, "stdin was indexed as id %q (set it with --id)\n", stdinID)
	}
	if c.Bool("rebuild") && err == nil {
		fmt.Fprintf(c.App.Writer, "rebuilt %q: every article re-embedded, %d of them from the stored text\n", a.cfg.collection, st.Rebuilt)
	}
	if errors.Is(err, engine.ErrIDConflict) {
		return fmt.Errorf("index: %w", err) // it says that nothing was changed, and the fix
	}
	if err != nil {
		return indexFailed(c, a, st, 0, err) // the summary counted the retries
	}
	return nil
}

// indexFailed is the error of an index run that failed with err: what was
// stored (the summary counts only what is durable, see engine.IndexStats),
// and a rerun advised only when one can help, not after an error that
// would stop it the same way (a missing model, which it names the models
// looking like).
func indexFailed(c *cli.Context, a *app, st engine.IndexStats, retries int, err error) error {
	kept := "nothing was changed"
	if st.Total > 0 {
		kept += fmt.Sprintf(": %q holds %s as before", a.cfg.collection, plural(st.Total, "passage", "passages"))
	}
	if retries > 0 {
		kept += fmt.Sprintf("; %s failed too", plural(retries, "retry", "retries"))
	}
	n := st.New + st.Updated
	if n > 0 {
		kept = fmt.Sprintf("the %s finished before it are stored", plural(n, "article", "articles"))
	}
	if errors.Is(c.Context.Err(), context.Canceled) { // interrupted, not out of time (see withDeadline)
		return fmt.Errorf("index: interrupted: %s; run the same command again to index the rest", kept)
	}
	switch {
	case !rerunHelps(err):
		if n > 0 && st.NotStored > 0 {
			kept += fmt.Sprintf("; %d are not: fix the cause, then run the same command again to finish", st.NotStored)
		}
	case st.NotStored > 0 && n == 0:
		kept += "; run the same command again to index them"
	case st.NotStored > 0:
		kept += fmt.Sprintf("; %d are not: run the same command again to finish", st.NotStored)
	}
	return fmt.Errorf("index: %w%s (%s)", err, similarModels(c, a, err), kept)
}

// rerunHelps reports whether running the same command again may succeed
// where err stopped it: not after errors in the setup, which stay.
func rerunHelps(err error) bool {
	for _, permanent := range []error{embed.ErrModelMissing, embed.ErrDimensions, embed.ErrInputTooLong, engine.ErrSettingsMismatch, engine.ErrInvalid} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return true
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
	if !c.Bool("rebuild") { // a rebuild re-embeds everything: its count says it
		for _, r := range st.Results {
			switch r.Status {
			case engine.DocNew:
				fmt.Fprintf(c.App.Writer, "would add %s\n", termLine(r.ID))
			case engine.DocUpdated:
				fmt.Fprintf(c.App.Writer, "would update %s\n", termLine(r.ID))
			}
		}
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

// printLeftOut counts, after the summary, the files of the directories
// walked that are in no format index reads (see article.Result.LeftOut).
func printLeftOut(w io.Writer, leftOut map[string]int) {
	if len(leftOut) == 0 {
		return
	}
	n := 0
	exts := make([]string, 0, len(leftOut))
	for ext, k := range leftOut {
		n += k
		if ext == "" {
			ext = "no extension"
		}
		exts = append(exts, termLine(ext))
	}
	slices.Sort(exts)
	fmt.Fprintf(w, "%s left out: not in a format index reads (%s); --include adds other text files\n", plural(n, "file", "files"), strings.Join(exts, ", "))
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
