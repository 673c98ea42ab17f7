package eval

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// fixtureQueries and fixtureRankings make a small report with both document
// and passage metrics.
func fixtureQueries() []Query {
	return []Query{
		{ID: "q1", Text: "Who met Lavrov?", Relevant: map[string]int{"oval.txt": 2, "lavrov.txt": 1}, Answers: []string{"Tillerson"}},
		{ID: "q2", Text: "Why was Comey fired?", Relevant: map[string]int{"lavrov.txt": 1}, Answers: []string{"fired Comey"}},
		{ID: "q3", Text: "Unanswered", Relevant: map[string]int{"other.txt": 1}},
	}
}

func fixtureRankings() map[string][]RankedPassage {
	rankings := map[string][]RankedPassage{
		"q1": {
			{DocID: "lavrov.txt", Text: "Lavrov met Tillerson.", Score: 0.82},
			{DocID: "oval.txt", Text: "in the Oval Office", Score: 0.79},
			{DocID: "lavrov.txt", Text: "a quip", Score: 0.5},
		},
		"q2": {
			{DocID: "oval.txt", Text: "photos", Score: 0.61},
			{DocID: "lavrov.txt", Text: "after Trump\nfired Comey", Score: 0.61},
		},
		"q3": {},
	}
	for _, p := range rankings {
		SortPassages(p)
	}
	return rankings
}

func fixtureReport(t *testing.T) *Report {
	t.Helper()
	r, err := Evaluate(fixtureQueries(), fixtureRankings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Settings["dataset"] = "fixture"
	r.Settings["model"] = "all-minilm"
	r.Settings["chunk_size"] = 200
	return r
}

func TestReport_WriteJSON(t *testing.T) {
	r := fixtureReport(t)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", buf.Bytes())

	// Exactly these lower-case keys at each level.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(top); !reflect.DeepEqual(got, []string{"metrics", "passage_metrics", "queries", "settings"}) {
		t.Errorf("top-level keys = %v", got)
	}
	var queries []map[string]json.RawMessage
	if err := json.Unmarshal(top["queries"], &queries); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(queries[0]); !reflect.DeepEqual(got, []string{"id", "ranking"}) {
		t.Errorf("query keys = %v", got)
	}
	var ranking []map[string]json.RawMessage
	if err := json.Unmarshal(queries[0]["ranking"], &ranking); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(ranking[0]); !reflect.DeepEqual(got, []string{"doc_id", "score"}) {
		t.Errorf("ranking keys = %v", got)
	}
	if string(queries[2]["ranking"]) != "[]" {
		t.Errorf("empty ranking encodes as %s, want []", queries[2]["ranking"])
	}

	// No queries: still valid JSON with an empty list.
	empty := &Report{Metrics: map[string]float64{"ndcg@10": 0}}
	buf.Reset()
	if err := empty.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"queries": []`) {
		t.Errorf("empty report:\n%s", buf.String())
	}
	if _, err := ReadReport(&buf); err != nil {
		t.Errorf("empty report does not read back: %v", err)
	}

	// A NaN score cannot be written.
	bad := &Report{Metrics: map[string]float64{}, Queries: []QueryResult{{ID: "q", Ranking: []RankedDoc{{"d", math.NaN()}}}}}
	if err := bad.WriteJSON(io.Discard); err == nil {
		t.Error("WriteJSON with a NaN score succeeded")
	}

	// Without passage metrics the key is left out.
	r.PassageMetrics = nil
	buf.Reset()
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "passage_metrics") {
		t.Error("passage_metrics written although empty")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestReport_WriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := fixtureReport(t).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.txt", buf.Bytes())
}

func TestReport_WriteText_sparse(t *testing.T) {
	r := &Report{Metrics: map[string]float64{"ndcg@10": 0.5, "recall@1": 0.25, "custom@10": 1, "latency_ms": 12}}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := "queries: 0\n" +
		"metric       @1      @10\n" +
		"ndcg          -   0.5000\n" +
		"recall   0.2500        -\n" +
		"custom        -   1.0000\n" +
		"latency_ms: 12.0000\n"
	if buf.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestReadReport(t *testing.T) {
	r := fixtureReport(t)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metrics, r.Metrics) || !reflect.DeepEqual(got.PassageMetrics, r.PassageMetrics) ||
		!reflect.DeepEqual(got.Queries, r.Queries) {
		t.Error("report changed in a JSON round trip")
	}
	if got.Settings["chunk_size"] != 200.0 || got.Settings["model"] != "all-minilm" {
		t.Errorf("settings = %v", got.Settings)
	}

	for name, input := range map[string]string{
		"not json":   "ndcg@10 0.5",
		"no metrics": `{"settings": {}}`,
	} {
		if _, err := ReadReport(strings.NewReader(input)); err == nil {
			t.Errorf("%s: ReadReport succeeded", name)
		}
	}
	if _, err := LoadReport(filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Error("LoadReport of a missing file succeeded")
	}
}

func TestRecompute(t *testing.T) {
	t.Run("fixture", func(t *testing.T) {
		r := fixtureReport(t)
		back := roundTrip(t, r)
		ds := &Dataset{Queries: fixtureQueries()}
		got, err := Recompute(back, ds.Qrels())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r.Metrics) {
			t.Errorf("Recompute =\n%v\nwant\n%v", got, r.Metrics)
		}
	})

	t.Run("seeded random", func(t *testing.T) {
		queries, rankings := randomRun(rand.New(rand.NewPCG(1, 2)), 300)
		r, err := EvaluateDocs(queries, rankings, []int{1, 3, 5, 10, 20, 100})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Recompute(roundTrip(t, r), (&Dataset{Queries: queries}).Qrels())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r.Metrics) {
			for key, v := range r.Metrics {
				if got[key] != v {
					t.Errorf("%s: recomputed %v, reported %v", key, got[key], v)
				}
			}
		}
	})
}

func TestRecompute_errors(t *testing.T) {
	r := fixtureReport(t)
	qrels := (&Dataset{Queries: fixtureQueries()}).Qrels()
	tests := []struct {
		name   string
		report *Report
		qrels  Qrels
		want   string
	}{
		{"report query not judged", r, Qrels{"q1": qrels["q1"], "q2": qrels["q2"]}, `report query "q3" has no relevant doc`},
		{"judged query not in report", r, Qrels{"q1": qrels["q1"], "q2": qrels["q2"], "q3": qrels["q3"], "q9": {"d": 1}}, `1 judged queries are not in the report (first "q9")`},
		{"no cutoffs", &Report{Metrics: map[string]float64{"latency": 1}}, qrels, "no family@k metrics"},
		{"duplicate query", &Report{Metrics: r.Metrics, Queries: []QueryResult{{ID: "q1"}, {ID: "q1"}}}, qrels, `query "q1" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Recompute(tt.report, tt.qrels)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// roundTrip writes r as JSON and reads it back.
func roundTrip(t *testing.T, r *Report) *Report {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// randomRun makes n queries with 1-5 graded relevant docs out of a pool of
// 500, and a sorted ranking of 0-150 docs for each (some queries none).
func randomRun(rng *rand.Rand, n int) ([]Query, map[string][]RankedDoc) {
	queries := make([]Query, n)
	rankings := map[string][]RankedDoc{}
	doc := func() string { return fmt.Sprintf("doc%03d", rng.IntN(500)) }
	for i := range queries {
		id := fmt.Sprintf("q%d", i)
		rel := map[string]int{}
		for range 1 + rng.IntN(5) {
			rel[doc()] = 1 + rng.IntN(3)
		}
		queries[i] = Query{ID: id, Relevant: rel}
		if rng.IntN(10) == 0 {
			continue // no ranking
		}
		seen := map[string]bool{}
		var docs []RankedDoc
		for range rng.IntN(151) {
			d := doc()
			if rng.IntN(4) == 0 {
				for r := range rel {
					d = r // make hits likely
					break
				}
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			docs = append(docs, RankedDoc{DocID: d, Score: float64(rng.IntN(1000)) / 1000})
		}
		SortDocs(docs)
		rankings[id] = docs
	}
	return queries, rankings
}

func TestParseMin(t *testing.T) {
	tests := []struct {
		in      string
		want    Min
		wantErr string
	}{
		{in: "ndcg@10=0.6", want: Min{"ndcg@10", 0.6}},
		{in: " recall@100 = 1 ", want: Min{"recall@100", 1}},
		{in: "map@1=0", want: Min{"map@1", 0}},
		{in: "passage_hits@5=0.8", want: Min{"passage_hits@5", 0.8}},
		{in: "ndcg@10", wantErr: "want METRIC=VALUE"},
		{in: "ndcg=0.5", wantErr: "is not FAMILY@K"},
		{in: "ndcg@0=0.5", wantErr: "is not FAMILY@K"},
		{in: "ndcg@x=0.5", wantErr: "is not FAMILY@K"},
		{in: "ndgc@10=0.5", wantErr: `unknown metric "ndgc"`},
		{in: "passage_ndcg@10=0.5", wantErr: `unknown metric "ndcg"`},
		{in: "ndcg@10=high", wantErr: "not a number in [0, 1]"},
		{in: "ndcg@10=1.5", wantErr: "not a number in [0, 1]"},
		{in: "ndcg@10=NaN", wantErr: "not a number in [0, 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMin(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseMin(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseMin(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if again, err := ParseMin(got.String()); err != nil || again != got {
				t.Errorf("ParseMin(%q.String()) = %v, %v", tt.in, again, err)
			}
		})
	}
}

func TestReport_CheckMin(t *testing.T) {
	r := &Report{
		Metrics:        map[string]float64{"ndcg@10": 0.65, "recall@10": 0.8},
		PassageMetrics: map[string]float64{"hits@10": 0.7},
	}
	mins := []Min{
		{"ndcg@10", 0.6},         // passes
		{"recall@10", 0.85},      // fails
		{"ndcg@5", 0.1},          // missing
		{"passage_hits@10", 0.7}, // passes: equal is enough
		{"passage_hits@10", 0.75},
	}
	got := r.CheckMin(mins)
	want := []MinFailure{
		{Min: Min{"recall@10", 0.85}, Got: 0.8},
		{Min: Min{"ndcg@5", 0.1}, Missing: true},
		{Min: Min{"passage_hits@10", 0.75}, Got: 0.7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckMin = %+v, want %+v", got, want)
	}
	var lines []string
	for _, f := range got {
		lines = append(lines, f.String())
	}
	wantLines := []string{
		"recall@10 = 0.8000, want >= 0.85",
		"ndcg@5 missing from report, want >= 0.1",
		"passage_hits@10 = 0.7000, want >= 0.75",
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("failure strings = %q, want %q", lines, wantLines)
	}
	if got := r.CheckMin(mins[:1]); got != nil {
		t.Errorf("CheckMin(passing) = %v, want none", got)
	}
}

func TestCompare(t *testing.T) {
	baseline := &Report{
		Metrics:        map[string]float64{"ndcg@10": 0.65, "recall@10": 0.80, "mrr@10": 0.60, "hits@1": 0.40, "ndcg@1": 0.5},
		PassageMetrics: map[string]float64{"hits@10": 0.90},
	}
	current := &Report{
		Metrics: map[string]float64{
			"ndcg@10":      0.64, // drop of exactly 0.01: within tolerance
			"recall@10":    0.78, // drop of 0.02: regressed
			"mrr@10":       0.70, // improved
			"ndcg@1":       0.5,
			"precision@10": 0.10, // new
			// hits@1 missing: regressed
		},
		PassageMetrics: map[string]float64{"hits@10": 0.85}, // regressed
	}
	deltas, err := Compare(baseline, current, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	var regressed []string
	for _, d := range deltas {
		if d.Regressed {
			regressed = append(regressed, d.Metric)
		}
	}
	if want := []string{"recall@10", "hits@1", "passage_hits@10"}; !reflect.DeepEqual(regressed, want) {
		t.Errorf("regressed = %v, want %v", regressed, want)
	}
	var buf bytes.Buffer
	if err := WriteDeltas(&buf, deltas); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"metric           baseline   current     delta\n" +
		"ndcg@1             0.5000    0.5000   +0.0000\n" +
		"ndcg@10            0.6500    0.6400   -0.0100\n" +
		"recall@10          0.8000    0.7800   -0.0200  REGRESSED\n" +
		"mrr@10             0.6000    0.7000   +0.1000\n" +
		"precision@10            -    0.1000         -\n" +
		"hits@1             0.4000         -         -  REGRESSED\n" +
		"passage_hits@10    0.9000    0.8500   -0.0500  REGRESSED\n"
	if buf.String() != want {
		t.Errorf("WriteDeltas:\n%s\nwant:\n%s", buf.String(), want)
	}

	// A larger tolerance lets the drops pass; missing metrics still fail.
	deltas, err = Compare(baseline, current, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deltas {
		if d.Regressed != (d.Metric == "hits@1") {
			t.Errorf("tolerance 0.1: %s regressed = %v", d.Metric, d.Regressed)
		}
	}
	if _, err := Compare(baseline, current, -0.01); err == nil {
		t.Error("Compare with a negative tolerance succeeded")
	}
}

func TestCompare_sameReport(t *testing.T) {
	r := fixtureReport(t)
	deltas, err := Compare(r, roundTrip(t, r), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(deltas) != len(r.Metrics)+len(r.PassageMetrics) {
		t.Errorf("%d deltas for %d metrics", len(deltas), len(r.Metrics)+len(r.PassageMetrics))
	}
	for _, d := range deltas {
		if d.Regressed || d.Diff != 0 {
			t.Errorf("%+v: want no change", d)
		}
	}
}
