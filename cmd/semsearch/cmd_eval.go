package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/eval"
	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/suggest"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "measure retrieval quality on a labelled query set (recall@k, MRR, nDCG, ...)",
		Description: "Indexes the dataset's corpus into its own collection (incrementally: a second run costs no embedding calls),\n" +
			"asks every query, and reports document-level metrics (a document scores as its best passage) and, where\n" +
			"queries carry answers, passage-level metrics. Exits non-zero when a --min threshold or the --baseline fails.\n\n" +
			"Datasets: --dataset FILE.jsonl with --corpus PATH (the project's format: {id, query, relevant, answers}),\n" +
			"--beir DIR with --split, or --bbc DIR (headline -> article task).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dataset", Usage: "query set in the project's JSON Lines format"},
			&cli.StringSliceFlag{Name: "corpus", Usage: "articles the --dataset queries are about (files or directories); repeatable"},
			&cli.StringFlag{Name: "beir", Usage: "BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/)"},
			&cli.StringFlag{Name: "split", Usage: "BEIR qrels split", Value: "test"},
			&cli.StringFlag{Name: "bbc", Usage: "BBC News directory (topic folders of NNN.txt): headline -> article task"},
			&cli.StringFlag{Name: "eval-collection", Usage: "collection for the corpus (default: eval-<dataset file or directory>-<hash of its paths>, so evals never touch --collection or each other)"},
			&cli.StringSliceFlag{Name: "k", Usage: "cut-offs to report: repeat the flag or give a list, e.g. 1,5,10 (default: 1,3,5,10,100)"},
			&cli.BoolFlag{Name: "rebuild", Usage: "re-embed the corpus (needed when its collection was built with another model or chunking)"},
			&cli.IntFlag{Name: "limit", Usage: "evaluate only the first N queries (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON (metrics, settings, per-query rankings)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress (it is drawn only when stderr is a terminal)"},
			&cli.StringFlag{Name: "out", Usage: "also write the JSON report to this file"},
			&cli.StringSliceFlag{Name: "min", Usage: "fail unless METRIC >= VALUE, e.g. ndcg@10=0.6 or passage_hits@5=0.8; repeatable"},
			&cli.StringFlag{Name: "baseline", Usage: "earlier JSON report: print the change and fail on a drop beyond --tolerance"},
			&cli.Float64Flag{Name: "tolerance", Usage: "largest metric drop against --baseline that passes", Value: eval.DefaultTolerance},
			&cli.StringFlag{Name: "sweep", Usage: "run the queries once per value of a search setting and print a table, e.g. vector-weight=0,0.2,0.4 (settings: mode, fusion, vector-weight, fusion-depth, mmr, max-per-doc)"},
		},
		Action: runEval,
	}
}

func runEval(c *cli.Context) error {
	var mins []eval.Min
	ks, err := parseKs(c.StringSlice("k"))
	if err != nil {
		return err
	}
	for _, s := range c.StringSlice("min") {
		m, err := eval.ParseMin(s)
		if err != nil {
			return usagef("eval: --min: %v", err)
		}
		if k := metricCutoff(m.Metric); !slices.Contains(ks, k) {
			return usagef("eval: --min %s: k=%d is not reported (cut-offs: %s); add --k %d or pick one of those", s, k, joinInts(ks), k)
		}
		mins = append(mins, m)
	}
	var baseline *eval.Report
	if p := c.String("baseline"); p != "" {
		var err error
		if baseline, err = eval.LoadReport(p); err != nil {
			return usagef("eval: --baseline: %v", err)
		}
	}
	ds, corpus, err := loadEvalData(c)
	if err != nil {
		return err
	}
	if n := c.Int("limit"); n > 0 && n < len(ds.Queries) {
		ds.Queries = ds.Queries[:n]
	}
	if err := checkRelevant(c, ds, corpus); err != nil {
		return err
	}
	a, err := open(c, true)
	if err != nil {
		return err
	}
	defer a.Close()

	collection := c.String("eval-collection")
	if collection == "" {
		collection = evalCollection(c)
	}
	reused := false
	if !c.IsSet("eval-collection") && !c.Bool("rebuild") {
		// A collection already holding exactly the corpus (the user's own
		// index of it, say) answers as a fresh one would, with no
		// embedding: search it.
		held, err := a.engine.CollectionHolding(c.Context, corpus)
		if err != nil {
			return fmt.Errorf("eval: look for a collection holding the corpus: %w", err)
		}
		if held != "" && held != collection {
			fmt.Fprintf(c.App.ErrWriter, "eval: collection %q already holds exactly this corpus (%s, same content and model settings): searching it instead of embedding the corpus again\n",
				termLine(held), plural(len(corpus), "document", "documents"))
			collection, reused = held, true
		}
	}
	opt := eval.RunOptions{Collection: collection, Ks: ks, Search: engine.Query{Mode: a.cfg.mode}}
	// Pruning keeps an eval collection equal to its corpus; a collection
	// the user named, or one found holding the corpus, is left as it is.
	opt.Prune = !c.IsSet("eval-collection") && !reused
	opt.Rebuild = c.Bool("rebuild")
	if sw := c.String("sweep"); sw != "" {
		if len(mins) > 0 || baseline != nil || c.String("out") != "" {
			return usagef("eval: --sweep prints a table only; run without it for --min, --baseline or --out")
		}
		return runSweep(c, a, ds, corpus, opt, sw)
	}
	if showProgress(c.App.ErrWriter, c.Bool("quiet")) {
		bar := newIndexProgress(c.App.ErrWriter, "indexing the corpus:")
		defer bar.Finish()
		opt.IndexProgress = bar.Update
		opt.Progress = func(done, total int) {
			bar.Finish()
			if done%20 == 0 || done == total {
				fmt.Fprintf(c.App.ErrWriter, "\rqueries: %d/%d", done, total)
			}
			if done == total {
				fmt.Fprintln(c.App.ErrWriter)
			}
		}
	}
	before := a.embed.Stats()
	rep, st, err := eval.Run(c.Context, a.engine, ds, corpus, opt)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	calls := a.embed.Stats().Requests - before.Requests
	rep.Settings = map[string]any{
		"dataset":        ds.Name,
		"collection":     collection,
		"model":          a.cfg.emb.model,
		"chunking":       a.engine.Chunking(),
		"queries":        len(ds.Queries),
		"documents":      len(corpus),
		"passages":       st.Index.Total,
		"mode":           string(a.cfg.mode),
		"fusion":         a.cfg.engine.Fusion,
		"search_ms":      float64(st.MeanLatency.Microseconds()) / 1000,
		"embed_requests": calls,
	}
	fmt.Fprintf(c.App.ErrWriter, "eval %s: %s over %s in collection %q (%s; indexing: %d new, %d updated, %d unchanged, %s embedded in %s); mean search latency %s\n",
		ds.Name, plural(len(ds.Queries), "query", "queries"), plural(len(corpus), "document", "documents"), termLine(collection), plural(st.Index.Total, "passage", "passages"),
		st.Index.New, st.Index.Updated, st.Index.Unchanged,
		plural(st.Index.Passages, "passage", "passages"), st.Index.EmbedTime.Round(time.Millisecond), st.MeanLatency.Round(10*time.Microsecond))
	if p := c.String("out"); p != "" {
		if err := writeReportFile(p, rep); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		err = rep.WriteJSON(c.App.Writer)
	} else {
		err = rep.WriteText(c.App.Writer)
	}
	if err != nil {
		return err
	}
	return checkEval(c, rep, mins, baseline)
}

func checkEval(c *cli.Context, rep *eval.Report, mins []eval.Min, baseline *eval.Report) error {
	var failed []string
	for _, f := range rep.CheckMin(mins) {
		failed = append(failed, f.String())
	}
	if baseline != nil {
		deltas, err := eval.Compare(baseline, rep, c.Float64("tolerance"))
		if err != nil {
			return fmt.Errorf("eval: --baseline: %w", err)
		}
		fmt.Fprintln(c.App.ErrWriter, "against baseline "+c.String("baseline")+":")
		if err := eval.WriteDeltas(c.App.ErrWriter, deltas); err != nil {
			return err
		}
		for _, d := range deltas {
			if d.Regressed {
				failed = append(failed, fmt.Sprintf("%s dropped from %.4f to %.4f", d.Metric, d.Old, d.New))
			}
		}
	}
	if len(failed) > 0 {
		return cli.Exit("eval: quality below threshold: "+strings.Join(failed, "; "), 3)
	}
	return nil
}

// loadEvalData reads the dataset and the corpus its queries are about.
func loadEvalData(c *cli.Context) (*eval.Dataset, []article.Article, error) {
	given := 0
	for _, f := range []string{"dataset", "beir", "bbc"} {
		if c.String(f) != "" {
			given++
		}
	}
	if given != 1 {
		return nil, nil, usagef("eval: give exactly one of --dataset (with --corpus), --beir or --bbc")
	}
	ctx := c.Context
	switch {
	case c.String("beir") != "":
		dir := c.String("beir")
		ds, err := eval.LoadBEIR(ctx, dir, c.String("split"))
		if err != nil {
			return nil, nil, fmt.Errorf("eval: %w", err)
		}
		ds.Name = filepath.Base(filepath.Clean(dir))
		var docs []eval.Doc
		if err := eval.WalkBEIRCorpus(ctx, dir, func(d eval.Doc) error { docs = append(docs, d); return nil }); err != nil {
			return nil, nil, fmt.Errorf("eval: %w", err)
		}
		return ds, eval.Articles(filepath.Join(dir, "corpus.jsonl"), docs), nil
	case c.String("bbc") != "":
		ds, stats, err := eval.LoadBBC(ctx, c.String("bbc"))
		if err != nil {
			return nil, nil, fmt.Errorf("eval: %w", err)
		}
		fmt.Fprintf(c.App.ErrWriter, "bbc: %s\n", stats)
		return ds, eval.Articles(c.String("bbc"), ds.Docs), nil
	default:
		if len(c.StringSlice("corpus")) == 0 {
			return nil, nil, usagef("eval: --dataset needs --corpus PATH: the articles its queries are about")
		}
		ds, err := eval.LoadQueries(ctx, c.String("dataset"))
		if err != nil {
			return nil, nil, fmt.Errorf("eval: %w", err)
		}
		dir := filepath.Dir(c.String("dataset"))
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs // "." names nothing
		}
		ds.Name = filepath.Base(dir)
		res, err := article.Load(ctx, c.StringSlice("corpus"), c.App.Reader, article.LoadOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("eval: load corpus: %w", err)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(c.App.ErrWriter, "warning: %s: %s\n", termLine(p.Source), termLine(p.Reason))
		}
		return ds, res.Articles, nil
	}
}

// checkRelevant warns about relevant ids the corpus lacks, which would score
// 0 in silence, naming the corpus ids that look like them ("047.txt" for
// "business/047.txt"), and refuses to run (a usage error: the dataset is
// wrong) when a query has no relevant id in the corpus at all. Checked
// before anything is indexed.
func checkRelevant(c *cli.Context, ds *eval.Dataset, corpus []article.Article) error {
	ids := make([]string, len(corpus))
	for i, a := range corpus {
		ids[i] = a.ID
	}
	const shown = 10 // a dataset judged against another corpus would flood the terminal
	var warned int
	var none []string
	describe := func(m eval.MissingRelevant) string {
		parts := make([]string, len(m.Missing))
		for i, id := range m.Missing {
			parts[i] = strconv.Quote(id)
			if cl := m.Closest[id]; len(cl) > 0 {
				parts[i] += " (did you mean " + suggest.Or(cl) + "?)"
			}
		}
		return strings.Join(parts, ", ")
	}
	for _, m := range eval.CheckRelevant(ds, ids) {
		if m.None {
			none = append(none, "query "+termLine(m.Query)+": "+termLine(describe(m)))
			continue
		}
		for _, id := range m.Missing {
			if warned++; warned > shown {
				continue
			}
			hint := ""
			if cl := m.Closest[id]; len(cl) > 0 {
				hint = " (did you mean " + suggest.Or(cl) + "?)"
			}
			fmt.Fprintf(c.App.ErrWriter, "warning: query %s: relevant id %q is not in the corpus%s\n", termLine(m.Query), id, termLine(hint))
		}
	}
	if warned > shown {
		fmt.Fprintf(c.App.ErrWriter, "warning: %d more relevant ids are not in the corpus\n", warned-shown)
	}
	if len(none) == 0 {
		return nil
	}
	n := len(none)
	if n > 3 {
		none = append(none[:3], fmt.Sprintf("and %d more", n-3))
	}
	return usagef("eval: %s of %d can never score, as none of its relevant ids is in the corpus: %s; make the dataset's \"relevant\" ids the corpus's ids (as semsearch list prints them)",
		plural(n, "query", "queries"), len(ds.Queries), strings.Join(none, "; "))
}

// evalCollection names the collection of an eval's corpus after its dataset:
// eval-<dataset file or directory name>-<8 hex digits of a hash of the
// dataset's and corpus's absolute paths>, so two datasets never share (and
// prune) one collection, wherever they are run from.
func evalCollection(c *cli.Context) string {
	var name string
	paths := []string{}
	switch {
	case c.String("beir") != "":
		name = filepath.Base(filepath.Clean(c.String("beir")))
		paths = append(paths, "beir", c.String("beir"), c.String("split"))
	case c.String("bbc") != "":
		name = filepath.Base(filepath.Clean(c.String("bbc")))
		paths = append(paths, "bbc", c.String("bbc"))
	default:
		name = strings.TrimSuffix(filepath.Base(c.String("dataset")), filepath.Ext(c.String("dataset")))
		paths = append(paths, "dataset", c.String("dataset"))
		paths = append(paths, c.StringSlice("corpus")...)
	}
	h := sha256.New()
	for i, p := range paths {
		if abs, err := filepath.Abs(p); err == nil && i > 0 {
			p = abs
		}
		h.Write([]byte(p + "\x00"))
	}
	clean := strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-') {
			return r
		}
		return '_'
	}, name)
	clean = strings.Trim(clean, ".")
	if len(clean) > 40 {
		clean = clean[:40]
	}
	if clean == "" {
		clean = "dataset"
	}
	return engine.EvalCollectionPrefix + clean + "-" + hex.EncodeToString(h.Sum(nil))[:8]
}

// parseKs reads --k values, each a cut-off or a comma-separated list (flag
// values keep their commas, and numbers hold none); none means the default.
func parseKs(values []string) ([]int, error) {
	var ks []int
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || k < 1 {
				return nil, usagef("eval: --k %q: want cut-offs of 1 or more, e.g. --k 1,5,10", v)
			}
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	if len(ks) == 0 {
		return eval.DefaultKs(), nil
	}
	slices.Sort(ks)
	return ks, nil
}

// metricCutoff returns the k of a metric name like "ndcg@10"; 0 if none.
func metricCutoff(metric string) int {
	i := strings.LastIndexByte(metric, '@')
	if i < 0 {
		return 0
	}
	k, _ := strconv.Atoi(metric[i+1:])
	return k
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func writeReportFile(path string, rep *eval.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("eval: --out: %w", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("eval: --out: %w", err)
	}
	return f.Close()
}

var _ eval.Engine = (*engine.Engine)(nil)

// runSweep evaluates the same queries once per value of one search setting.
// The corpus is indexed by the first run; later runs find it unchanged.
func runSweep(c *cli.Context, a *app, ds *eval.Dataset, corpus []article.Article, opt eval.RunOptions, spec string) error {
	name, list, ok := strings.Cut(spec, "=")
	if !ok || list == "" {
		return usagef("eval: --sweep: want SETTING=V1,V2,...")
	}
	if err := removedSweep(name); err != nil {
		return err
	}
	values := strings.Split(list, ",")
	type row struct {
		Value   string             `json:"value"`
		Metrics map[string]float64 `json:"metrics"`
		Passage map[string]float64 `json:"passage_metrics,omitempty"`
		Latency float64            `json:"search_ms"`
	}
	// Every value is checked before the first run, which may index a whole
	// corpus.
	searches := make([]engine.Query, len(values))
	for i, v := range values {
		q, err := sweepQuery(a, opt.Search, name, v)
		if err != nil {
			return err
		}
		searches[i] = q
	}
	var rows []row
	for i, v := range values {
		o := opt
		o.Search = searches[i]
		rep, st, err := eval.Run(c.Context, a.engine, ds, corpus, o)
		if err != nil {
			return fmt.Errorf("eval: %s=%s: %w", name, v, err)
		}
		rows = append(rows, row{Value: v, Metrics: rep.Metrics, Passage: rep.PassageMetrics, Latency: float64(st.MeanLatency.Microseconds()) / 1000})
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, map[string]any{"dataset": ds.Name, "model": a.cfg.emb.model, "sweep": name, "runs": rows})
	}
	cols, pcols := sweepColumns(opt.Ks)
	cell := func(m map[string]float64, k string) string {
		if v, ok := m[k]; ok {
			return fmt.Sprintf("%.4f", v)
		}
		return "-" // not computed: a 0 would read as a measured failure
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t", name)
	for _, k := range cols {
		fmt.Fprintf(tw, "%s\t", k)
	}
	if rows[0].Passage != nil {
		for _, k := range pcols {
			fmt.Fprintf(tw, "passage_%s\t", k)
		}
	}
	fmt.Fprintln(tw, "search_ms\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t", r.Value)
		for _, k := range cols {
			fmt.Fprintf(tw, "%s\t", cell(r.Metrics, k))
		}
		if r.Passage != nil {
			for _, k := range pcols {
				fmt.Fprintf(tw, "%s\t", cell(r.Passage, k))
			}
		}
		fmt.Fprintf(tw, "%.2f\t\n", r.Latency)
	}
	return tw.Flush()
}

// sweepColumns picks the sweep table's columns among the cut-offs ks
// computes: ndcg, recall and mrr at the largest k up to 10, recall at the
// smallest and largest k; passage hits at the smallest k and the largest up
// to 5, and mrr at the largest up to 10. With the default cut-offs they
// are ndcg@10, recall@1, recall@10, mrr@10, recall@100 and hits@1, hits@5,
// mrr@10.
func sweepColumns(ks []int) (doc, passage []string) {
	if len(ks) == 0 {
		ks = eval.DefaultKs()
	}
	ks = slices.Sorted(slices.Values(ks))
	upTo := func(limit int) int {
		best := ks[0]
		for _, k := range ks {
			if k <= limit {
				best = k
			}
		}
		return best
	}
	first, last, ten := ks[0], ks[len(ks)-1], upTo(10)
	add := func(cols []string, family string, k int) []string {
		key := family + "@" + strconv.Itoa(k)
		if slices.Contains(cols, key) {
			return cols
		}
		return append(cols, key)
	}
	doc = add(doc, "ndcg", ten)
	doc = add(doc, "recall", first)
	doc = add(doc, "recall", ten)
	doc = add(doc, "mrr", ten)
	doc = add(doc, "recall", last)
	passage = add(passage, "hits", first)
	passage = add(passage, "hits", upTo(5))
	passage = add(passage, "mrr", ten)
	return doc, passage
}

// sweepQuery returns the search settings of one sweep value: q with the
// setting called name set to v, over the engine's fusion settings.
func sweepQuery(a *app, q engine.Query, name, v string) (engine.Query, error) {
	f := a.cfg.engine.Fusion
	q.Fusion = &f
	var err error
	switch name {
	case "mode":
		q.Mode, err = engine.ParseMode(v)
	case "fusion":
		f.Method = engine.FusionMethod(v)
	case "vector-weight":
		f.VectorWeight, err = strconv.ParseFloat(v, 64)
	case "fusion-depth":
		f.Depth, err = strconv.Atoi(v)
	case "mmr":
		q.MMR, err = strconv.ParseFloat(v, 64)
	case "max-per-doc":
		q.MaxPerDoc, err = strconv.Atoi(v)
	default:
		return q, usagef("eval: --sweep: unknown setting %q", name)
	}
	if err == nil {
		err = engine.ValidateSettings(q, f)
	}
	if err != nil {
		return q, usagef("eval: --sweep %s=%s: %v", name, v, err)
	}
	return q, nil
}
