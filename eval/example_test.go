package eval_test

import (
	"fmt"
	"os"

	"github.com/semsearch/semsearch/eval"
)

func ExampleDocRanking() {
	passages := []eval.RankedPassage{
		{DocID: "b", Score: 0.7},
		{DocID: "a", Score: 0.9},
		{DocID: "b", Score: 0.9},
		{DocID: "c", Score: 0.4},
	}
	eval.SortPassages(passages) // score desc, then doc id asc
	for _, d := range eval.DocRanking(passages) {
		fmt.Println(d.DocID, d.Score)
	}
	// Output:
	// a 0.9
	// b 0.9
	// c 0.4
}

func ExampleNDCG() {
	relevant := map[string]int{"a": 2, "b": 1} // doc id -> grade
	ranking := []string{"b", "x", "a"}
	// DCG = 1/log2(2) + 2/log2(4) = 2; ideal = 2/log2(2) + 1/log2(3) = 2.631
	fmt.Printf("ndcg@10 %.4f\n", eval.NDCG(ranking, relevant, 10))
	fmt.Printf("map@10  %.4f\n", eval.AveragePrecision(ranking, relevant, 10))
	// Output:
	// ndcg@10 0.7602
	// map@10  0.8333
}

func ExampleEvaluate() {
	queries := []eval.Query{
		{ID: "q1", Text: "Who met Lavrov?", Relevant: map[string]int{"oval.txt": 1}, Answers: []string{"Tillerson"}},
	}
	rankings := map[string][]eval.RankedPassage{
		"q1": {
			{DocID: "comey.txt", Text: "Comey was fired.", Score: 0.8},
			{DocID: "oval.txt", Text: "Lavrov met Tillerson.", Score: 0.7},
		},
	}
	report, err := eval.Evaluate(queries, rankings, []int{1, 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	report.WriteText(os.Stdout)
	for _, f := range report.CheckMin([]eval.Min{{Metric: "mrr@3", Value: 0.6}}) {
		fmt.Println("FAIL", f)
	}
	// Output:
	// queries: 1
	// metric          @1       @3
	// ndcg        0.0000   0.6309
	// recall      0.0000   1.0000
	// mrr         0.0000   0.5000
	// precision   0.0000   0.3333
	// hits        0.0000   1.0000
	// map         0.0000   0.5000
	//
	// passage         @1       @3
	// hits        0.0000   1.0000
	// mrr         0.0000   0.5000
	// precision   0.0000   0.3333
	// recall      0.0000   1.0000
	// FAIL mrr@3 = 0.5000, want >= 0.6
}
