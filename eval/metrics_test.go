package eval

import (
	"math"
	"reflect"
	"testing"
)

// Shared cases. Values were computed by hand; the arithmetic is in the
// comments (log2(3) = 1.5849625, log2(5) = 2.3219281, log2(6) = 2.5849625).
var (
	// Three relevant docs, retrieved at ranks 1, 3 and 5.
	binaryRel     = map[string]int{"a": 1, "c": 1, "e": 1}
	binaryRanking = []string{"a", "b", "c", "d", "e"}
	// Relevant docs not retrieved at all.
	missRanking = []string{"x", "y", "z"}
	// A repeat of "a" takes rank 2 but counts only at rank 1.
	dupRel     = map[string]int{"a": 1, "b": 1}
	dupRanking = []string{"a", "a", "b"}
)

type metricCase struct {
	name     string
	ranking  []string
	relevant map[string]int
	k        int
	want     float64
}

func runMetric(t *testing.T, metric func([]string, map[string]int, int) float64, tests []metricCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metric(tt.ranking, tt.relevant, tt.k); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %.10f, want %.10f", got, tt.want)
			}
		})
	}
}

func TestRecall(t *testing.T) {
	runMetric(t, Recall, []metricCase{
		{"k=1", binaryRanking, binaryRel, 1, 1.0 / 3},
		{"k=3", binaryRanking, binaryRel, 3, 2.0 / 3},
		{"k=5", binaryRanking, binaryRel, 5, 1},
		{"k beyond ranking", binaryRanking, binaryRel, 100, 1},
		{"none retrieved", missRanking, binaryRel, 10, 0},
		{"empty ranking", nil, binaryRel, 10, 0},
		{"no relevant docs", binaryRanking, nil, 10, 0},
		{"grade 0 is not relevant", []string{"a"}, map[string]int{"a": 0, "b": 1}, 10, 0},
		{"k=0", binaryRanking, binaryRel, 0, 0},
		{"duplicate counted once", dupRanking, dupRel, 3, 1},
		{"duplicate pushes b out", dupRanking, dupRel, 2, 0.5},
	})
}

func TestPrecision(t *testing.T) {
	runMetric(t, Precision, []metricCase{
		{"k=1", binaryRanking, binaryRel, 1, 1},
		{"k=3", binaryRanking, binaryRel, 3, 2.0 / 3},
		{"k=5", binaryRanking, binaryRel, 5, 3.0 / 5},
		// trec_eval P_k divides by k, not by the docs retrieved.
		{"k beyond ranking", binaryRanking, binaryRel, 10, 3.0 / 10},
		{"none retrieved", missRanking, binaryRel, 3, 0},
		{"no relevant docs", binaryRanking, map[string]int{}, 3, 0},
		{"duplicate counted once", dupRanking, dupRel, 3, 2.0 / 3},
	})
}

func TestHits(t *testing.T) {
	runMetric(t, Hits, []metricCase{
		{"k=1", binaryRanking, binaryRel, 1, 1},
		{"first hit below k", []string{"x", "a"}, binaryRel, 1, 0},
		{"first hit at k", []string{"x", "a"}, binaryRel, 2, 1},
		{"k beyond ranking", []string{"x", "a"}, binaryRel, 100, 1},
		{"none retrieved", missRanking, binaryRel, 10, 0},
		{"empty ranking", []string{}, binaryRel, 10, 0},
	})
}

func TestReciprocalRank(t *testing.T) {
	runMetric(t, ReciprocalRank, []metricCase{
		{"rank 1", binaryRanking, binaryRel, 10, 1},
		{"rank 3", []string{"x", "y", "c", "a"}, binaryRel, 10, 1.0 / 3},
		{"rank 3 cut at k=2", []string{"x", "y", "c"}, binaryRel, 2, 0},
		{"none retrieved", missRanking, binaryRel, 10, 0},
		// The repeat of x does not move b: it is still rank 3.
		{"duplicate non-relevant", []string{"x", "x", "b"}, dupRel, 10, 1.0 / 3},
	})
}

func TestNDCG(t *testing.T) {
	graded := map[string]int{"a": 2, "b": 1, "c": 3}
	gradedRanking := []string{"a", "x", "c", "b"}
	runMetric(t, NDCG, []metricCase{
		// DCG@5 = 1/log2(2) + 1/log2(4) + 1/log2(6) = 1 + 0.5 + 0.3868528
		//       = 1.8868528
		// IDCG@5 = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309298 + 0.5 = 2.1309298
		{"binary k=5", binaryRanking, binaryRel, 5, 0.8854598816},
		// DCG@1 = 1 = IDCG@1
		{"binary k=1", binaryRanking, binaryRel, 1, 1},
		// Graded, linear gain: DCG@4 = 2/1 + 0 + 3/log2(4) + 1/log2(5)
		//   = 2 + 1.5 + 0.4306766 = 3.9306766
		// IDCG@4 (grades 3, 2, 1) = 3 + 2/log2(3) + 1/log2(4)
		//   = 3 + 1.2618595 + 0.5 = 4.7618595
		{"graded k=4", gradedRanking, graded, 4, 0.8254499219},
		{"graded k beyond ranking", gradedRanking, graded, 100, 0.8254499219},
		// DCG@1 = 2; IDCG@1 = 3.
		{"graded k=1", gradedRanking, graded, 1, 2.0 / 3},
		// DCG@2 = 2; IDCG@2 = 3 + 2/log2(3) = 4.2618595.
		{"graded k=2", gradedRanking, graded, 2, 0.4692787260},
		// The ideal counts relevant docs that were not retrieved:
		// DCG = 1; IDCG@10 = 1 + 1/log2(3) = 1.6309298.
		{"ideal includes unretrieved", []string{"a"}, dupRel, 10, 0.6131471928},
		{"none retrieved", missRanking, graded, 10, 0},
		{"no relevant docs", gradedRanking, nil, 10, 0},
		// Repeat of a gains nothing at rank 2; b at rank 3:
		// DCG = 1 + 1/log2(4) = 1.5; IDCG = 1.6309298.
		{"duplicate counted once", dupRanking, dupRel, 3, 0.9197207891},
	})
}

func TestAveragePrecision(t *testing.T) {
	runMetric(t, AveragePrecision, []metricCase{
		// (1/1 + 2/3 + 3/5) / 3 relevant = (15 + 10 + 9) / 45 = 34/45
		{"k=5", binaryRanking, binaryRel, 5, 34.0 / 45},
		{"k beyond ranking", binaryRanking, binaryRel, 100, 34.0 / 45},
		// (1/1 + 2/3) / 3 = 5/9: the denominator stays 3 (all relevant
		// docs), as in trec_eval map_cut, not min(k, 3).
		{"k=3", binaryRanking, binaryRel, 3, 5.0 / 9},
		// 1/1 / 3, not 1/1 / min(1, 3) = 1.
		{"k=1", binaryRanking, binaryRel, 1, 1.0 / 3},
		{"none retrieved", missRanking, binaryRel, 10, 0},
		// a at rank 1 (P=1), repeat ignored, b at rank 3 (P=2/3): (1 + 2/3)/2.
		{"duplicate counted once", dupRanking, dupRel, 3, 5.0 / 6},
	})
}

func TestDocRanking(t *testing.T) {
	tests := []struct {
		name     string
		passages []RankedPassage
		want     []RankedDoc
	}{
		{
			name: "sorted passages, duplicate docs collapse to their best",
			passages: []RankedPassage{
				{DocID: "A", Score: 0.9}, {DocID: "B", Score: 0.8}, {DocID: "A", Score: 0.7},
				{DocID: "C", Score: 0.7}, {DocID: "B", Score: 0.6},
			},
			want: []RankedDoc{{"A", 0.9}, {"B", 0.8}, {"C", 0.7}},
		},
		{
			name: "unsorted passages keep first-occurrence order, max score",
			passages: []RankedPassage{
				{DocID: "A", Score: 0.5}, {DocID: "B", Score: 0.8}, {DocID: "A", Score: 0.9},
			},
			want: []RankedDoc{{"A", 0.9}, {"B", 0.8}},
		},
		{
			name:     "NaN score replaced by a real one",
			passages: []RankedPassage{{DocID: "A", Score: math.NaN()}, {DocID: "A", Score: 0.1}},
			want:     []RankedDoc{{"A", 0.1}},
		},
		{name: "empty", passages: nil, want: []RankedDoc{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DocRanking(tt.passages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DocRanking = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSortDocs(t *testing.T) {
	docs := []RankedDoc{
		{"d", 0.5}, {"nan", math.NaN()}, {"b", 0.5}, {"a", 0.2}, {"c", 0.9}, {"a2", 0.5},
	}
	SortDocs(docs)
	want := []string{"c", "a2", "b", "d", "a", "nan"}
	if got := DocIDs(docs); !reflect.DeepEqual(got, want) {
		t.Errorf("SortDocs order = %v, want %v", got, want)
	}
}

func TestSortPassages(t *testing.T) {
	passages := []RankedPassage{
		{DocID: "b", Text: "b1", Score: 0.5},
		{DocID: "a", Text: "a1", Score: 0.5},
		{DocID: "b", Text: "b2", Score: 0.5},
		{DocID: "c", Text: "c1", Score: 0.7},
	}
	SortPassages(passages)
	var got []string
	for _, p := range passages {
		got = append(got, p.Text)
	}
	// Score desc, doc id asc; b1 before b2 because the sort is stable.
	if want := []string{"c1", "a1", "b1", "b2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SortPassages order = %v, want %v", got, want)
	}
}

func TestSortDocs_ties(t *testing.T) {
	// d1 and d2 tie. Sorted by doc id ascending, d1 ranks first, so the
	// relevant d2 is at rank 2: RR = 0.5 on every run. (trec_eval breaks
	// ties by doc id descending and would rank d2 first; see the package doc.)
	docs := []RankedDoc{{"d2", 0.5}, {"d1", 0.5}, {"d0", 0.1}}
	SortDocs(docs)
	rel := map[string]int{"d2": 1}
	if got := ReciprocalRank(DocIDs(docs), rel, 10); got != 0.5 {
		t.Errorf("ReciprocalRank after SortDocs = %v, want 0.5", got)
	}
}

func TestContainsAnswer(t *testing.T) {
	tests := []struct {
		name, text, answer string
		want               bool
	}{
		{"exact", "Lavrov met Tillerson on Wednesday.", "met Tillerson", true},
		{"case sensitive", "Lavrov met Tillerson.", "met tillerson", false},
		{"absent", "Lavrov met Tillerson.", "Comey", false},
		{"wrapped across lines", "Lavrov met\nTillerson.", "met Tillerson", true},
		{"non-breaking space", "Lavrov met\u00a0Tillerson.", "met Tillerson", true},
		{"answer with extra spaces", "Lavrov met Tillerson.", "met   Tillerson\n", true},
		{"ideographic space", "Lavrov met\u3000 Tillerson.", "met Tillerson", true},
		{"empty answer", "anything", "", false},
		{"blank answer", "anything", " \t", false},
		{"no word-boundary rule", "metadata", "eta", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContainsAnswer(tt.text, tt.answer); got != tt.want {
				t.Errorf("ContainsAnswer(%q, %q) = %v, want %v", tt.text, tt.answer, got, tt.want)
			}
		})
	}
}

// TestEvaluateDocs_pytrecEval cross-checks the means against pytrec_eval's
// own example (qrel and run below, as in its README), worked by hand with
// trec_eval's rules:
//
//	qrel = {'q1': {'d1': 0, 'd2': 1, 'd3': 2}, 'q2': {'d2': 1, 'd3': 1}}
//	run  = {'q1': {'d1': 1.0, 'd2': 0.0, 'd3': 1.5},
//	        'q2': {'d1': 1.5, 'd2': 0.2, 'd3': 0.5}}
//
//	q1 ranks d3 (2), d1 (0), d2 (1); 2 relevant docs.
//	  ndcg_cut_5 = (2/1 + 1/log2(4)) / (2/1 + 1/log2(3)) = 2.5/2.6309298 = 0.9502344
//	  map_cut_5  = (1/1 + 2/3) / 2 = 0.8333333
//	  map_cut_1  = (1/1) / 2 = 0.5
//	q2 ranks d1 (0), d3 (1), d2 (1); 2 relevant docs.
//	  ndcg_cut_5 = (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)) = 1.1309298/1.6309298 = 0.6934264
//	  map_cut_5  = (1/2 + 2/3) / 2 = 0.5833333
//	  map_cut_1  = 0
//	mean: ndcg_cut_5 = 0.8218304, map_cut_5 = 0.7083333, map_cut_1 = 0.25,
//	      P_5 = (2/5 + 2/5)/2 = 0.4, recall_1 = (1/2 + 0)/2 = 0.25
func TestEvaluateDocs_pytrecEval(t *testing.T) {
	queries := []Query{
		{ID: "q1", Relevant: map[string]int{"d2": 1, "d3": 2}}, // d1: 0 is left out at load time
		{ID: "q2", Relevant: map[string]int{"d2": 1, "d3": 1}},
	}
	runs := map[string][]RankedDoc{
		"q1": {{"d1", 1.0}, {"d2", 0.0}, {"d3", 1.5}},
		"q2": {{"d1", 1.5}, {"d2", 0.2}, {"d3", 0.5}},
	}
	for _, docs := range runs {
		SortDocs(docs)
	}
	r, err := EvaluateDocs(queries, runs, []int{1, 5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"ndcg@5":      0.8218304102,
		"map@5":       0.7083333333,
		"map@1":       0.25,
		"precision@5": 0.4,
		"recall@1":    0.25,
		"mrr@5":       (1 + 0.5) / 2,
		"hits@1":      0.5,
	}
	for key, w := range want {
		if got := r.Metrics[key]; math.Abs(got-w) > 1e-9 {
			t.Errorf("%s = %.10f, want %.10f", key, got, w)
		}
	}
}

func TestEvaluateDocs(t *testing.T) {
	queries := []Query{
		{ID: "hit", Relevant: map[string]int{"a": 1}},
		{ID: "miss", Relevant: map[string]int{"b": 1}},     // relevant doc not retrieved: all zeros
		{ID: "unranked", Relevant: map[string]int{"c": 1}}, // no ranking at all: all zeros
		{ID: "unjudged", Relevant: map[string]int{}},       // skipped
		{ID: "zero", Relevant: map[string]int{"a": 0}},     // skipped: grade 0 is not relevant
	}
	rankings := map[string][]RankedDoc{
		"hit":   {{"a", 0.9}, {"x", 0.1}},
		"miss":  {{"x", 0.9}, {"y", 0.8}},
		"other": {{"a", 1}}, // not a query: ignored
	}
	r, err := EvaluateDocs(queries, rankings, []int{10, 1, 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range docFamilies {
		for _, k := range []int{1, 10} {
			key := metricKey(f, k)
			want := 1.0 / 3 // "hit" scores 1 on every metric at k=1, the others 0
			if f == "precision" && k == 10 {
				want = 0.1 / 3
			}
			if got := r.Metrics[key]; math.Abs(got-want) > 1e-12 {
				t.Errorf("%s = %v, want %v", key, got, want)
			}
		}
	}
	if len(r.Metrics) != 2*len(docFamilies) {
		t.Errorf("metrics = %v, want 6 families at k = 1, 10", r.Metrics)
	}
	var ids []string
	for _, q := range r.Queries {
		ids = append(ids, q.ID)
		if q.Ranking == nil {
			t.Errorf("query %s: nil ranking, want empty", q.ID)
		}
	}
	if want := []string{"hit", "miss", "unranked"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("report queries = %v, want %v", ids, want)
	}
	if r.PassageMetrics != nil || r.Settings == nil {
		t.Errorf("PassageMetrics = %v, Settings = %v; want nil, empty", r.PassageMetrics, r.Settings)
	}

	// The report must not share the caller's slices.
	rankings["hit"][0].DocID = "changed"
	if r.Queries[0].Ranking[0].DocID != "a" {
		t.Error("report shares the caller's ranking")
	}
}

func TestEvaluateDocs_depth(t *testing.T) {
	long := make([]RankedDoc, 250)
	for i := range long {
		long[i] = RankedDoc{DocID: string(rune('a'+i%26)) + string(rune('0'+i/26)), Score: -float64(i)}
	}
	queries := []Query{{ID: "q", Relevant: map[string]int{long[249].DocID: 1}}}
	tests := []struct {
		ks        []int
		wantDepth int
	}{
		{nil, 100},
		{[]int{1, 10}, 100},
		{[]int{200}, 200},
		{[]int{1000}, 250},
	}
	for _, tt := range tests {
		r, err := EvaluateDocs(queries, map[string][]RankedDoc{"q": long}, tt.ks)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Queries[0].Ranking); got != tt.wantDepth {
			t.Errorf("ks %v: kept %d docs, want %d", tt.ks, got, tt.wantDepth)
		}
		if tt.ks == nil && len(r.Metrics) != len(docFamilies)*len(DefaultKs()) {
			t.Errorf("default ks: %d metrics", len(r.Metrics))
		}
	}
}

func TestEvaluateDocs_errors(t *testing.T) {
	q := Query{ID: "q", Relevant: map[string]int{"a": 1}}
	tests := []struct {
		name    string
		queries []Query
		ks      []int
	}{
		{"k=0", []Query{q}, []int{0, 10}},
		{"negative k", []Query{q}, []int{-1}},
		{"duplicate query", []Query{q, q}, nil},
		{"no judged query", []Query{{ID: "q"}}, nil},
		{"no queries", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := EvaluateDocs(tt.queries, nil, tt.ks); err == nil {
				t.Error("EvaluateDocs succeeded, want an error")
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	queries := []Query{
		{ID: "q1", Relevant: map[string]int{"B": 1}, Answers: []string{"met Tillerson", "Oval Office"}},
		{ID: "q2", Relevant: map[string]int{"C": 1}, Answers: []string{"fired Comey"}},
		{ID: "q3", Relevant: map[string]int{"A": 1}}, // no answers: doc metrics only
	}
	rankings := map[string][]RankedPassage{
		// Doc ranking collapses to A, B: the relevant B is rank 2, not 3.
		// Passage hits at ranks 2 ("met\nTillerson", whitespace-normalised)
		// and 3 ("Oval Office").
		"q1": {
			{DocID: "A", Text: "nothing here", Score: 0.9},
			{DocID: "A", Text: "Lavrov met\nTillerson", Score: 0.8},
			{DocID: "B", Text: "in the Oval Office", Score: 0.7},
		},
		// No passage contains the answer; C is not retrieved.
		"q2": {{DocID: "D", Text: "Comey was fired", Score: 0.5}},
		"q3": {{DocID: "A", Text: "x", Score: 0.5}},
	}
	r, err := Evaluate(queries, rankings, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Metrics["mrr@3"], (0.5+0+1)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("mrr@3 = %v, want %v", got, want)
	}
	if got := DocIDs(r.Queries[0].Ranking); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("q1 doc ranking = %v, want [A B]", got)
	}
	// Passage metrics average over q1 and q2 only.
	// q1: hits@1 0, hits@3 1, mrr@3 1/2, precision@3 2/3, recall@3 2/2.
	// q2: all 0.
	want := map[string]float64{
		"hits@1": 0, "mrr@1": 0, "precision@1": 0, "recall@1": 0,
		"hits@3": 0.5, "mrr@3": 0.25, "precision@3": 1.0 / 3, "recall@3": 0.5,
	}
	if len(r.PassageMetrics) != len(want) {
		t.Errorf("passage metrics = %v", r.PassageMetrics)
	}
	for key, w := range want {
		if got := r.PassageMetrics[key]; math.Abs(got-w) > 1e-12 {
			t.Errorf("passage %s = %v, want %v", key, got, w)
		}
	}

	// Without answers there are no passage metrics.
	r, err = Evaluate(queries[2:], rankings, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.PassageMetrics != nil {
		t.Errorf("PassageMetrics = %v, want nil", r.PassageMetrics)
	}
	if _, err := Evaluate(queries, rankings, []int{0}); err == nil {
		t.Error("Evaluate with k=0 succeeded")
	}
}

func TestEvaluate_answerRecall(t *testing.T) {
	// Two answers found in different passages: recall@1 = 1/2, recall@2 = 1.
	queries := []Query{{ID: "q", Relevant: map[string]int{"d": 1}, Answers: []string{"alpha", "beta"}}}
	rankings := map[string][]RankedPassage{"q": {
		{DocID: "d", Text: "alpha", Score: 2},
		{DocID: "d", Text: "beta", Score: 1},
	}}
	r, err := Evaluate(queries, rankings, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.PassageMetrics["recall@1"] != 0.5 || r.PassageMetrics["recall@2"] != 1 || r.PassageMetrics["precision@2"] != 1 {
		t.Errorf("passage metrics = %v", r.PassageMetrics)
	}
}
