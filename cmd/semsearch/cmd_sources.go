package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/sources"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/watch"
)

func sourcesCommand() *cli.Command {
	cmd := &cli.Command{
		Name:  "sources",
		Usage: "list the folders and files the collection was indexed from (--files: each file, with what was done with it)",
		Description: "index records its PATHs with --include, --exclude, --id-prefix and --max-file-size; sync and watch index them again.\n" +
			"--files lists each file: indexed, unchanged, skipped or failed (with the reason), its passages and pages, and when.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "files", Usage: "list each file of the sources with its status"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: runSources,
	}
	cmd.Flags = append(cmd.Flags, serverFlags()...)
	return cmd
}

func runSources(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("sources: takes no arguments")
	}
	var src vectorstore.Sources
	var collection string
	if useServer(c) {
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		got, err := cl.Files(c.Context, remoteCollection(c))
		if err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		collection, src = got.Collection, vectorstore.Sources{Roots: got.Roots, Files: got.Files}
		if got.Note != "" && len(src.Roots) == 0 && !c.Bool("json") {
			fmt.Fprintf(c.App.Writer, "%q: %s\n", collection, got.Note)
			return nil
		}
	} else {
		a, err := open(c, false)
		if err != nil {
			return err
		}
		defer a.Close()
		collection = a.cfg.collection
		if src, err = a.engine.Sources(c.Context, collection); err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				return noCollection(c, a)
			}
			return fmt.Errorf("sources: %w", err)
		}
	}
	if c.Bool("json") {
		if src.Roots == nil {
			src.Roots = []vectorstore.SourceRoot{}
		}
		out := map[string]any{"collection": collection, "roots": src.Roots}
		if c.Bool("files") {
			if src.Files == nil {
				src.Files = []vectorstore.FileReport{}
			}
			out["files"] = src.Files
		}
		return writeJSON(c.App.Writer, out)
	}
	if len(src.Roots) == 0 && len(src.Files) == 0 {
		fmt.Fprintf(c.App.Writer, "%q has no recorded sources: it was indexed from stdin, through the API, or before semsearch recorded them; "+
			"semsearch index PATH records PATH\n", collection)
		return nil
	}
	if c.Bool("files") {
		return printFiles(c.App.Writer, src.Files)
	}
	fmt.Fprintf(c.App.Writer, "%q was indexed from:\n", collection)
	for _, r := range src.Roots {
		var opts []string
		for _, p := range r.Include {
			opts = append(opts, "--include "+p)
		}
		for _, p := range r.Exclude {
			opts = append(opts, "--exclude "+p)
		}
		if r.IDPrefix != "" {
			opts = append(opts, "--id-prefix "+r.IDPrefix)
		}
		if r.MaxFileBytes != 0 && r.MaxFileBytes != article.DefaultMaxFileBytes {
			opts = append(opts, fmt.Sprintf("--max-file-size %d", r.MaxFileBytes))
		}
		fmt.Fprintf(c.App.Writer, "  %s  %s\n", termLine(r.Path), termLine(strings.Join(opts, " ")))
	}
	count := map[string]int{}
	for _, f := range src.Files {
		count[f.Status]++
	}
	fmt.Fprintf(c.App.Writer, "%s: %d indexed, %d unchanged, %d skipped, %d failed (semsearch sources --files lists them)\n",
		plural(len(src.Files), "file", "files"), count[vectorstore.FileIndexed], count[vectorstore.FileUnchanged], count[vectorstore.FileSkipped], count[vectorstore.FileFailed])
	return nil
}

// printFiles prints the file report as a table.
func printFiles(w io.Writer, files []vectorstore.FileReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tPASSAGES\tPAGES\tWHEN\tFILE\tREASON")
	for _, f := range files {
		pages := "-"
		if f.Pages > 0 {
			pages = fmt.Sprint(f.Pages)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", f.Status, f.Passages, pages, f.When.Local().Format(time.DateTime), termLine(f.Path), termLine(f.Reason))
	}
	return tw.Flush()
}

// recordIndexSources records what an index run read: its PATHs (not stdin)
// as the collection's roots, with the options that selected their files,
// and each file's outcome. A failure is a warning: the index run's own
// outcome stands.
func recordIndexSources(c *cli.Context, a *app, loaded article.Result, refused []article.Problem, st engine.IndexStats, runErr error) {
	if c.Bool("dry-run") || errors.Is(runErr, engine.ErrIDConflict) { // a refused run changed nothing
		return
	}
	ctx := context.WithoutCancel(c.Context)
	src, err := a.engine.Sources(ctx, a.cfg.collection)
	if err != nil {
		if !errors.Is(err, engine.ErrNotFound) && !errors.Is(err, engine.ErrNoSources) {
			fmt.Fprintf(c.App.ErrWriter, "warning: the collection's sources were not recorded: %v\n", err)
		}
		return // nothing stored (no collection), or a store that keeps none
	}
	now := time.Now()
	opt := article.LoadOptions{Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"), MaxFileBytes: c.Int64("max-file-size")}
	var roots []vectorstore.SourceRoot
	for _, p := range c.Args().Slice() {
		if p == "-" {
			continue
		}
		r, err := sources.Root(p, opt, c.String("id-prefix"), now)
		if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "warning: the collection's sources were not recorded: %v\n", err)
			return
		}
		roots = append(roots, r)
	}
	if len(roots) == 0 && len(src.Roots) == 0 && len(src.Files) == 0 {
		return // stdin into a collection that follows no files: nothing to record
	}
	src.Roots = sources.AddRoots(src.Roots, roots...)
	docs, err := sources.StoredDocs(ctx, a.engine, a.cfg.collection)
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "warning: the collection's sources were not recorded: %v\n", err)
		return
	}
	probs := append(append([]article.Problem(nil), loaded.Problems...), refused...)
	src.Files = sources.Report(src.Files, sources.Run{Articles: loaded.Articles, Problems: probs, Results: st.Results, MovedFrom: st.MovedFrom, Err: runErr}, docs, now,
		func(f vectorstore.FileReport) bool {
			for _, id := range f.IDs {
				if _, ok := docs[id]; ok {
					return true // a file of another run, still stored
				}
			}
			return false
		})
	if err := a.engine.RecordSources(ctx, a.cfg.collection, src); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "warning: the collection's sources were not recorded: %v\n", err)
	}
}

func syncCommand() *cli.Command {
	return &cli.Command{
		Name:  "sync",
		Usage: "index the collection's sources again: new and changed files are embedded, renamed ones moved, deleted ones removed",
		Description: "Reads every folder and file the collection was indexed from (semsearch sources lists them) with the options\n" +
			"it was indexed with. Unchanged files cost a read; a renamed file keeps its vectors; the articles of files that are\n" +
			"gone are removed (a file that is there but cannot be read keeps what it held).",
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing when nothing changed"}},
		Action: runSync,
	}
}

func runSync(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("sync: takes no arguments (semsearch index PATH adds a source)")
	}
	a, err := open(c, true)
	if err != nil {
		return serverHint(c, err)
	}
	defer a.Close()
	s := &sources.Syncer{Engine: a.engine, Collection: a.cfg.collection, SameFile: sameFile}
	start := time.Now()
	before := a.embed.Stats()
	res, err := s.Sync(c.Context, nil)
	if err != nil && errors.Is(err, sources.ErrNone) {
		return fmt.Errorf("sync: %q has no recorded sources (it was indexed from stdin, through the API, or before semsearch recorded them): index its folders once with semsearch index PATH", a.cfg.collection)
	}
	if err != nil && errors.Is(err, engine.ErrNotFound) {
		return noCollection(c, a)
	}
	printSync(c.App.Writer, c.App.ErrWriter, "synced", a.cfg.collection, res, a.embed.Stats().Requests-before.Requests, time.Since(start), c.Bool("quiet"))
	if err != nil {
		return fmt.Errorf("sync: %w (what was stored stays; run sync again to finish)", err)
	}
	return nil
}

// printSync prints what a sync did: one line, and the warnings.
func printSync(w, ew io.Writer, verb, collection string, res sources.Result, calls int64, took time.Duration, quiet bool) {
	for _, p := range res.Problems {
		if p.Kind == article.KindEmpty {
			continue
		}
		fmt.Fprintf(ew, "warning: %s: %s\n", termLine(p.Source), termLine(p.Reason))
	}
	for _, m := range res.Missing {
		fmt.Fprintf(ew, "warning: source %s is gone: its articles were removed\n", termLine(m))
	}
	st := res.Stats
	if quiet && st.New+st.Updated+st.Removed == 0 {
		return
	}
	skipped := st.Duplicates
	for _, f := range res.Files {
		if f.Status == vectorstore.FileSkipped || f.Status == vectorstore.FileFailed {
			skipped++
		}
	}
	fmt.Fprintf(w, "%s %q: %d new (%d moved), %d updated, %d unchanged, %d removed, %d skipped or failed; %s embedded in %s; total %s; %s\n",
		verb, collection, st.New-st.Moved, st.Moved, st.Updated, st.Unchanged, st.Removed, skipped,
		plural(st.Passages, "passage", "passages"), plural(int(calls), "embedding call", "embedding calls"),
		plural(st.Total, "passage", "passages"), took.Round(time.Millisecond))
}

func watchCommand() *cli.Command {
	return &cli.Command{
		Name:      "watch",
		Usage:     "keep the collection in step with its sources as files are saved, renamed and deleted",
		ArgsUsage: "[PATH...]",
		Description: "Syncs once (catching up with what changed meanwhile), then follows the sources (semsearch sources) with\n" +
			"inotify until interrupted: a saved file is searchable, and a deleted one gone, within about a second.\n" +
			"PATHs given are added to the sources first, with --include, --exclude and --id-prefix as index takes them.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "include", Usage: "for the PATHs given: glob of files to load (as index takes it); repeatable"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "for the PATHs given: glob of files to leave out; repeatable"},
			&cli.StringFlag{Name: "id-prefix", Usage: "for the PATHs given: put this before every article id"},
			&cli.Int64Flag{Name: "max-file-size", Usage: "for the PATHs given: skip files larger than this many bytes", Value: 32 << 20},
			&cli.DurationFlag{Name: "quiet-period", Usage: "how long a burst of changes must pause before it is indexed", Value: 300 * time.Millisecond},
		},
		Action: runWatch,
	}
}

func runWatch(c *cli.Context) error {
	a, err := open(c, true)
	if err != nil {
		return serverHint(c, err)
	}
	defer a.Close()
	if c.NArg() > 0 {
		if err := addSources(c, a); err != nil {
			return err
		}
	}
	return watchSources(c.Context, a, c.Duration("quiet-period"), c.App.Writer, c.App.ErrWriter, nil, func() {
		// The BM25 index is let go between batches: an open one holds a
		// lock that keeps `semsearch search` in other terminals out.
		if a.keywords != nil {
			if err := a.keywords.Close(); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "warning: close the BM25 index: %v\n", err)
			}
		}
	})
}

// addSources adds the PATHs of watch to the collection's sources. A
// collection that does not exist yet is made by indexing them.
func addSources(c *cli.Context, a *app) error {
	for _, p := range c.Args().Slice() {
		if p == "-" {
			return usagef("watch: stdin (-) cannot be watched")
		}
	}
	src, err := a.engine.Sources(c.Context, a.cfg.collection)
	if errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("watch: collection %q does not exist yet: index its folders once (semsearch -c %s index PATH...), then watch", a.cfg.collection, a.cfg.collection)
	}
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	opt := article.LoadOptions{Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"), MaxFileBytes: c.Int64("max-file-size")}
	for _, p := range c.Args().Slice() {
		r, err := sources.Root(p, opt, c.String("id-prefix"), time.Now())
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		src.Roots = sources.AddRoots(src.Roots, r)
	}
	if err := a.engine.RecordSources(c.Context, a.cfg.collection, src); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}

// watchSources syncs the collection's sources and follows them until ctx
// ends, printing a line per batch that changed something. logger, when
// set, gets the lines as log records instead (serve --watch). release,
// when set, is called after each sync.
func watchSources(ctx context.Context, a *app, quiet time.Duration, w, ew io.Writer, logger *slog.Logger, release func()) error {
	src, err := a.engine.Sources(ctx, a.cfg.collection)
	if errors.Is(err, engine.ErrNotFound) {
		return fmt.Errorf("watch: collection %q does not exist yet: index its folders once (semsearch -c %s index PATH...), then watch", a.cfg.collection, a.cfg.collection)
	}
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if len(src.Roots) == 0 {
		return fmt.Errorf("watch: %q has no recorded sources: give the folders to watch (semsearch watch PATH...) or index them once", a.cfg.collection)
	}
	roots := make([]string, len(src.Roots))
	for i, r := range src.Roots {
		roots[i] = r.Path
	}
	s := &sources.Syncer{Engine: a.engine, Collection: a.cfg.collection, SameFile: sameFile}
	sync := func(ctx context.Context, changed []string) error {
		start := time.Now()
		before := a.embed.Stats()
		res, err := s.Sync(ctx, changed)
		if release != nil {
			release()
		}
		calls := a.embed.Stats().Requests - before.Requests
		if logger != nil {
			st := res.Stats
			if st.New+st.Updated+st.Removed > 0 || err != nil {
				logger.Info("watch: synced", "collection", a.cfg.collection, "changed_paths", len(changed), "new", st.New-st.Moved, "moved", st.Moved,
					"updated", st.Updated, "removed", st.Removed, "passages_embedded", st.Passages, "embedding_calls", calls, "took_ms", time.Since(start).Milliseconds())
			}
			return err
		}
		verb := "synced"
		if changed != nil {
			verb = time.Now().Format(time.TimeOnly) + " synced"
		}
		printSync(w, ew, verb, a.cfg.collection, res, calls, time.Since(start), changed != nil)
		return err
	}
	err = watch.Run(ctx, watch.Config{
		Roots: roots, Sync: sync, Quiet: quiet, MaxDelay: max(time.Second, 3*quiet), Log: a.cfg.logger,
		Ready: func(dirs int) {
			if logger != nil {
				logger.Info("watching", "collection", a.cfg.collection, "sources", len(roots), "directories", dirs)
				return
			}
			fmt.Fprintf(w, "watching %s of %q (%s); Ctrl-C stops\n", plural(len(roots), "source", "sources"), a.cfg.collection, plural(dirs, "directory", "directories"))
		},
	})
	if err != nil {
		return fmt.Errorf("watch %q: %w", a.cfg.collection, err)
	}
	return nil
}
