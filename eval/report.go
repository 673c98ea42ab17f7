package eval

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Report is the result of an evaluation run, as written to and read from
// JSON. [EvaluateDocs] and [Evaluate] build it; the caller fills Settings.
type Report struct {
	// Metrics maps "family@k" (ndcg, recall, mrr, precision, hits, map; see
	// the package doc) to its mean over the evaluated queries, in [0, 1].
	Metrics map[string]float64 `json:"metrics"`
	// PassageMetrics maps "family@k" (hits, mrr, precision, recall) to the
	// passage-level means over the queries with answers (see [Evaluate]).
	PassageMetrics map[string]float64 `json:"passage_metrics,omitempty"`
	// Settings records how the run was made (model, chunk size, dataset,
	// ...), for people and for comparing reports. Values must be JSON
	// encodable.
	Settings map[string]any `json:"settings"`
	// Queries holds every evaluated query's document ranking, in evaluation
	// order; enough to recompute Metrics ([Recompute]).
	Queries []QueryResult `json:"queries"`
}

// QueryResult is one query's document ranking in a [Report], best first,
// cut to at least the top 100.
type QueryResult struct {
	ID      string      `json:"id"`
	Ranking []RankedDoc `json:"ranking"`
}

// WriteJSON writes r as JSON: metrics and settings indented, one line per
// query so that large reports stay short and diff well. Map keys are sorted,
// so equal reports give equal bytes. Scores must be finite.
func (r *Report) WriteJSON(w io.Writer) error {
	head, err := json.MarshalIndent(struct {
		Metrics        map[string]float64 `json:"metrics"`
		PassageMetrics map[string]float64 `json:"passage_metrics,omitempty"`
		Settings       map[string]any     `json:"settings"`
	}{r.Metrics, r.PassageMetrics, r.Settings}, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var b bytes.Buffer
	b.Write(bytes.TrimSuffix(head, []byte("\n}")))
	b.WriteString(",\n  \"queries\": [")
	for i, q := range r.Queries {
		line, err := json.Marshal(q)
		if err != nil {
			return fmt.Errorf("write report: query %q: %w", q.ID, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(line)
	}
	if len(r.Queries) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ReadReport decodes a report written by [Report.WriteJSON].
func ReadReport(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(bufio.NewReader(rd)).Decode(&r); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if r.Metrics == nil {
		return nil, errors.New("read report: no metrics")
	}
	return &r, nil
}

// LoadReport reads a JSON report from path.
func LoadReport(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	defer f.Close()
	r, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteText writes r as tables a person can read: the number of queries,
// then one row per metric family and one column per cutoff, values to four
// decimals, "-" where a cell is missing; passage metrics follow in a second
// table when present.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "queries: %d\n", len(r.Queries))
	writeTable(&b, "metric", r.Metrics, docFamilies)
	if len(r.PassageMetrics) > 0 {
		b.WriteString("\n")
		writeTable(&b, "passage", r.PassageMetrics, passageFamilies)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes metrics as a families x cutoffs table. Families in order
// come first, then any others alphabetically; keys without "@k" are listed
// after the table.
func writeTable(b *strings.Builder, title string, metrics map[string]float64, order []string) {
	var ks []int
	families := map[string]bool{}
	var other []string
	for key := range metrics {
		f, k, ok := splitKey(key)
		if !ok {
			other = append(other, key)
			continue
		}
		families[f] = true
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	rows := orderFamilies(families, order)
	width := len(title)
	for _, f := range rows {
		width = max(width, len(f))
	}
	fmt.Fprintf(b, "%-*s", width, title)
	for _, k := range ks {
		fmt.Fprintf(b, " %8s", "@"+strconv.Itoa(k))
	}
	b.WriteString("\n")
	for _, f := range rows {
		fmt.Fprintf(b, "%-*s", width, f)
		for _, k := range ks {
			if v, ok := metrics[metricKey(f, k)]; ok {
				fmt.Fprintf(b, " %8.4f", v)
			} else {
				fmt.Fprintf(b, " %8s", "-")
			}
		}
		b.WriteString("\n")
	}
	slices.Sort(other)
	for _, key := range other {
		fmt.Fprintf(b, "%s: %.4f\n", key, metrics[key])
	}
}

// orderFamilies lists the families present: those in order first, in that
// order, then the rest sorted.
func orderFamilies(present map[string]bool, order []string) []string {
	var out, rest []string
	for _, f := range order {
		if present[f] {
			out = append(out, f)
		}
	}
	for f := range present {
		if !slices.Contains(order, f) {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// splitKey splits "family@k" into its parts.
func splitKey(key string) (family string, k int, ok bool) {
	family, kStr, found := strings.Cut(key, "@")
	if !found || family == "" {
		return "", 0, false
	}
	k, err := strconv.Atoi(kStr)
	if err != nil || k < 1 || strconv.Itoa(k) != kStr {
		return "", 0, false
	}
	return family, k, true
}

// flatMetrics returns r's metrics in one map, passage metrics under
// PassagePrefix.
func (r *Report) flatMetrics() map[string]float64 {
	out := make(map[string]float64, len(r.Metrics)+len(r.PassageMetrics))
	for k, v := range r.Metrics {
		out[k] = v
	}
	for k, v := range r.PassageMetrics {
		out[PassagePrefix+k] = v
	}
	return out
}

// compareMetricNames orders flat metric names: document metrics before
// passage metrics, families in report order, then by cutoff.
func compareMetricNames(a, b string) int {
	rank := func(name string) (int, int, int, string) {
		group, families := 0, docFamilies
		if rest, ok := strings.CutPrefix(name, PassagePrefix); ok {
			group, families, name = 1, passageFamilies, rest
		}
		f, k, ok := splitKey(name)
		if !ok {
			return group, len(families) + 1, 0, name
		}
		i := slices.Index(families, f)
		if i < 0 {
			i = len(families)
		}
		return group, i, k, f
	}
	ga, fa, ka, na := rank(a)
	gb, fb, kb, nb := rank(b)
	return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(fa, fb), strings.Compare(na, nb), cmp.Compare(ka, kb))
}

// Min is a floor on one metric, as given to --min: the metric must be at
// least Value.
type Min struct {
	// Metric is "family@k" for a document metric ("ndcg@10") or
	// PassagePrefix+"family@k" for a passage metric ("passage_hits@10").
	Metric string
	Value  float64
}

// String returns m in the form ParseMin reads.
func (m Min) String() string {
	return m.Metric + "=" + strconv.FormatFloat(m.Value, 'g', -1, 64)
}

// ParseMin parses "METRIC=VALUE", e.g. "ndcg@10=0.6" or
// "passage_hits@5=0.8". METRIC must be a known family at a cutoff >= 1 and
// VALUE a number in [0, 1].
func ParseMin(s string) (Min, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return Min{}, fmt.Errorf("parse min %q: want METRIC=VALUE, e.g. ndcg@10=0.6", s)
	}
	name = strings.TrimSpace(name)
	families := docFamilies
	bare := name
	if rest, ok := strings.CutPrefix(name, PassagePrefix); ok {
		families, bare = passageFamilies, rest
	}
	f, _, ok := splitKey(bare)
	if !ok {
		return Min{}, fmt.Errorf("parse min %q: metric %q is not FAMILY@K with K >= 1", s, name)
	}
	if !slices.Contains(families, f) {
		return Min{}, fmt.Errorf("parse min %q: unknown metric %q (want one of %s)", s, f, strings.Join(families, ", "))
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
		return Min{}, fmt.Errorf("parse min %q: value %q is not a number in [0, 1]", s, value)
	}
	return Min{Metric: name, Value: v}, nil
}

// MinFailure is a [Min] that a report did not meet.
type MinFailure struct {
	Min
	Got     float64 // the report's value; 0 when Missing
	Missing bool    // the report has no such metric (e.g. k was not evaluated)
}

// String describes the failure, e.g. "ndcg@10 = 0.5812, want >= 0.6".
func (f MinFailure) String() string {
	if f.Missing {
		return fmt.Sprintf("%s missing from report, want >= %g", f.Metric, f.Value)
	}
	return fmt.Sprintf("%s = %.4f, want >= %g", f.Metric, f.Got, f.Value)
}

// CheckMin returns the floors in mins that r does not meet, in the order
// given; none means r passes. A metric missing from r fails.
func (r *Report) CheckMin(mins []Min) []MinFailure {
	metrics := r.flatMetrics()
	var failed []MinFailure
	for _, m := range mins {
		got, ok := metrics[m.Metric]
		switch {
		case !ok:
			failed = append(failed, MinFailure{Min: m, Missing: true})
		case got < m.Value:
			failed = append(failed, MinFailure{Min: m, Got: got})
		}
	}
	return failed
}

// DefaultTolerance is the absolute drop in a metric that [Compare] lets pass.
const DefaultTolerance = 0.01

// floatSlack absorbs rounding when comparing a drop with a tolerance.
const floatSlack = 1e-9

// Delta compares one metric between a baseline report and a current one.
type Delta struct {
	Metric   string  // flat name, passage metrics under PassagePrefix
	Old, New float64 // baseline and current values; 0 where missing
	Diff     float64 // New - Old; 0 unless both exist
	// OnlyOld and OnlyNew say the metric exists in one report only.
	OnlyOld, OnlyNew bool
	// Regressed says the metric dropped by more than the tolerance, or is
	// missing from the current report.
	Regressed bool
}

// Compare compares every metric of baseline and current. A metric regresses
// when it drops by more than tolerance (absolute; pass [DefaultTolerance]
// for the default) or when current lacks it; a metric only in current is
// listed but never regresses. Rows are sorted: document metrics before
// passage metrics, families in report order, then by cutoff. The caller
// fails the run when any Delta is Regressed; [WriteDeltas] prints them.
// A negative or NaN tolerance is an error.
func Compare(baseline, current *Report, tolerance float64) ([]Delta, error) {
	if tolerance < 0 || math.IsNaN(tolerance) {
		return nil, fmt.Errorf("compare reports: tolerance %g, want >= 0", tolerance)
	}
	old, cur := baseline.flatMetrics(), current.flatMetrics()
	var names []string
	for name := range old {
		names = append(names, name)
	}
	for name := range cur {
		if _, ok := old[name]; !ok {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, compareMetricNames)
	deltas := make([]Delta, 0, len(names))
	for _, name := range names {
		o, inOld := old[name]
		n, inNew := cur[name]
		d := Delta{Metric: name, Old: o, New: n, OnlyOld: !inNew, OnlyNew: !inOld}
		if inOld && inNew {
			d.Diff = n - o
			d.Regressed = o-n > tolerance+floatSlack
		}
		if !inNew {
			d.Regressed = true
		}
		deltas = append(deltas, d)
	}
	return deltas, nil
}

// WriteDeltas writes deltas as a table: metric, baseline, current, delta,
// and "REGRESSED" on rows that regressed.
func WriteDeltas(w io.Writer, deltas []Delta) error {
	width := len("metric")
	for _, d := range deltas {
		width = max(width, len(d.Metric))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %9s %9s %9s\n", width, "metric", "baseline", "current", "delta")
	cell := func(v float64, present bool) string {
		if !present {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	for _, d := range deltas {
		diff := "-"
		if !d.OnlyOld && !d.OnlyNew {
			diff = fmt.Sprintf("%+.4f", d.Diff)
		}
		line := fmt.Sprintf("%-*s %9s %9s %9s", width, d.Metric, cell(d.Old, !d.OnlyNew), cell(d.New, !d.OnlyOld), diff)
		if d.Regressed {
			line += "  REGRESSED"
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Recompute recomputes r's document-level metrics from its per-query
// rankings and qrels (query id -> doc id -> grade), at the cutoffs found in
// r.Metrics, in the report's query order. For a report from [EvaluateDocs]
// or [Evaluate] with the same judgements the result equals r.Metrics
// exactly, which shows the JSON report is self-sufficient. It is an error
// when a report query has no relevant doc in qrels, or when qrels has a
// query with relevant docs that the report lacks. Passage metrics need the
// passage texts, which a report does not keep, so they are not recomputed.
func Recompute(r *Report, qrels Qrels) (map[string]float64, error) {
	var ks []int
	for key := range r.Metrics {
		if _, k, ok := splitKey(key); ok && !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return nil, errors.New("recompute: report has no family@k metrics")
	}
	slices.Sort(ks)
	var acc meanMetrics
	inReport := make(map[string]bool, len(r.Queries))
	for _, q := range r.Queries {
		if inReport[q.ID] {
			return nil, fmt.Errorf("recompute: query %q appears twice in the report", q.ID)
		}
		inReport[q.ID] = true
		rel := qrels[q.ID]
		if numRelevant(rel) == 0 {
			return nil, fmt.Errorf("recompute: report query %q has no relevant doc in qrels", q.ID)
		}
		acc.addDocs(DocIDs(q.Ranking), rel, ks)
	}
	var missing []string
	for id, rel := range qrels {
		if !inReport[id] && numRelevant(rel) > 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("recompute: %d judged queries are not in the report (first %q)", len(missing), missing[0])
	}
	if acc.n == 0 {
		return nil, errors.New("recompute: report has no queries")
	}
	return acc.mean(), nil
}
