package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// RankedPassage is one passage of a search result list.
type RankedPassage struct {
	DocID string  // the document the passage belongs to
	Text  string  // the passage text, matched against a query's answers
	Score float64 // higher ranks first; any scale
}

// RankedDoc is one document of a ranking.
type RankedDoc struct {
	DocID string  `json:"doc_id"`
	Score float64 `json:"score"` // higher ranks first; any scale
}

// DocRanking collapses a passage ranking into a document ranking: each
// document appears once, at the position of its first passage, with the
// highest score of its passages. When passages are sorted by [SortPassages]
// the result is sorted the same way. The result is a new slice.
func DocRanking(passages []RankedPassage) []RankedDoc {
	docs := make([]RankedDoc, 0, len(passages))
	index := make(map[string]int, len(passages))
	for _, p := range passages {
		i, ok := index[p.DocID]
		if !ok {
			index[p.DocID] = len(docs)
			docs = append(docs, RankedDoc{DocID: p.DocID, Score: p.Score})
			continue
		}
		if p.Score > docs[i].Score || math.IsNaN(docs[i].Score) {
			docs[i].Score = p.Score
		}
	}
	return docs
}

// SortDocs sorts docs in place by score descending, then doc id ascending,
// so that ties rank the same way on every run. NaN scores sort last.
func SortDocs(docs []RankedDoc) {
	slices.SortStableFunc(docs, func(a, b RankedDoc) int {
		return compareRank(a.Score, b.Score, a.DocID, b.DocID)
	})
}

// SortPassages sorts passages in place by score descending, then doc id
// ascending; passages that tie on both keep their order. NaN scores sort
// last.
func SortPassages(passages []RankedPassage) {
	slices.SortStableFunc(passages, func(a, b RankedPassage) int {
		return compareRank(a.Score, b.Score, a.DocID, b.DocID)
	})
}

func compareRank(scoreA, scoreB float64, idA, idB string) int {
	if c := cmp.Compare(scoreB, scoreA); c != 0 { // cmp.Compare puts NaN lowest
		return c
	}
	return strings.Compare(idA, idB)
}

// DocIDs returns the doc ids of docs, in order.
func DocIDs(docs []RankedDoc) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.DocID
	}
	return ids
}

// The per-query metrics below take a ranking of doc ids, best first, and the
// query's judgements (doc id -> grade; a doc is relevant when its grade is
// at least 1). They return a value in [0, 1], and 0 when k < 1 or the query
// has no relevant doc. The ranking should hold each doc once ([DocRanking]);
// a repeated doc still takes up its rank but counts only where it first
// appears.

// Recall returns the fraction of the query's relevant docs that appear in
// the top k of ranking (trec_eval recall_k).
func Recall(ranking []string, relevant map[string]int, k int) float64 {
	n := numRelevant(relevant)
	if n == 0 || k < 1 {
		return 0
	}
	return float64(countHits(judge(ranking, relevant, k))) / float64(n)
}

// Precision returns the fraction of the top k ranks that hold a relevant
// doc. The denominator is k even when the ranking is shorter (trec_eval
// P_k).
func Precision(ranking []string, relevant map[string]int, k int) float64 {
	if numRelevant(relevant) == 0 || k < 1 {
		return 0
	}
	return float64(countHits(judge(ranking, relevant, k))) / float64(k)
}

// Hits returns 1 when a relevant doc is in the top k of ranking, else 0.
func Hits(ranking []string, relevant map[string]int, k int) float64 {
	if numRelevant(relevant) == 0 || k < 1 {
		return 0
	}
	if countHits(judge(ranking, relevant, k)) > 0 {
		return 1
	}
	return 0
}

// ReciprocalRank returns 1/rank of the first relevant doc in the top k of
// ranking (ranks start at 1), or 0 when there is none. Its mean over
// queries is mrr@k.
func ReciprocalRank(ranking []string, relevant map[string]int, k int) float64 {
	if numRelevant(relevant) == 0 || k < 1 {
		return 0
	}
	for i, g := range judge(ranking, relevant, k) {
		if g > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// NDCG returns the normalised discounted cumulative gain of the top k of
// ranking: DCG = sum of grade/log2(rank+1) over the relevant docs in the top
// k (linear gain; ranks start at 1), divided by the DCG of the ideal
// ranking, which puts all of the query's relevant docs first, best grade
// first, whether retrieved or not (trec_eval ndcg_cut).
func NDCG(ranking []string, relevant map[string]int, k int) float64 {
	if numRelevant(relevant) == 0 || k < 1 {
		return 0
	}
	var dcg float64
	for i, g := range judge(ranking, relevant, k) {
		if g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	ideal := make([]int, 0, len(relevant))
	for _, g := range relevant {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	slices.SortFunc(ideal, func(a, b int) int { return cmp.Compare(b, a) })
	var idcg float64
	for i, g := range ideal[:min(k, len(ideal))] {
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	return dcg / idcg
}

// AveragePrecision returns the average precision of the top k of ranking:
// the sum of precision@rank at each rank in the top k that holds a relevant
// doc, divided by the number of the query's relevant docs, retrieved or not
// (trec_eval map_cut; not by min(k, relevant)). Its mean over queries is
// map@k.
func AveragePrecision(ranking []string, relevant map[string]int, k int) float64 {
	n := numRelevant(relevant)
	if n == 0 || k < 1 {
		return 0
	}
	var sum float64
	found := 0
	for i, g := range judge(ranking, relevant, k) {
		if g > 0 {
			found++
			sum += float64(found) / float64(i+1)
		}
	}
	return sum / float64(n)
}

// judge returns the grade of each of the top k docs of ranking: 0 for docs
// that are not relevant and for repeats of a doc ranked earlier.
func judge(ranking []string, relevant map[string]int, k int) []int {
	ranking = ranking[:min(k, len(ranking))]
	grades := make([]int, len(ranking))
	var seen map[string]bool
	for i, id := range ranking {
		g := relevant[id]
		if g < 1 {
			continue
		}
		if seen[id] {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[id] = true
		grades[i] = g
	}
	return grades
}

func countHits(grades []int) int {
	n := 0
	for _, g := range grades {
		if g > 0 {
			n++
		}
	}
	return n
}

func numRelevant(relevant map[string]int) int {
	n := 0
	for _, g := range relevant {
		if g > 0 {
			n++
		}
	}
	return n
}

// ContainsAnswer reports whether a passage text contains answer: as an
// exact, case-sensitive substring, or else after both are whitespace
// normalised (each run of Unicode white space collapsed to one space, ends
// trimmed), so an answer written on one line still matches a passage that
// wraps it across lines or uses non-breaking spaces. No other normalisation
// (case, Unicode forms, punctuation) is applied. An empty or all-space
// answer matches nothing.
func ContainsAnswer(text, answer string) bool {
	if strings.TrimSpace(answer) == "" {
		return false
	}
	if strings.Contains(text, answer) {
		return true
	}
	return strings.Contains(normalizeSpace(text), normalizeSpace(answer))
}

// answersIn reports which of answers text contains, as ContainsAnswer does,
// normalising text at most once.
func answersIn(text string, answers []string) []bool {
	found := make([]bool, len(answers))
	var norm string
	normDone := false
	for i, a := range answers {
		if strings.TrimSpace(a) == "" {
			continue
		}
		if strings.Contains(text, a) {
			found[i] = true
			continue
		}
		if !normDone {
			norm, normDone = normalizeSpace(text), true
		}
		found[i] = strings.Contains(norm, normalizeSpace(a))
	}
	return found
}

// Metric families, in report order. Report keys are family@k.
var (
	docFamilies     = []string{"ndcg", "recall", "mrr", "precision", "hits", "map"}
	passageFamilies = []string{"hits", "mrr", "precision", "recall"}
)

// PassagePrefix marks passage-level metrics in the flat metric names used by
// [ParseMin], [Report.CheckMin] and [Compare]: "passage_hits@10" is
// PassageMetrics["hits@10"].
const PassagePrefix = "passage_"

// reportDepth is the least number of docs per query a report keeps.
const reportDepth = 100

// DefaultKs returns the cutoffs reports use when none are given: 1, 3, 5, 10
// and 100. The slice is new on each call.
func DefaultKs() []int { return []int{1, 3, 5, 10, 100} }

// metricKey returns the report key of family at cutoff k, e.g. "ndcg@10".
func metricKey(family string, k int) string { return fmt.Sprintf("%s@%d", family, k) }

// docMetric computes one document-level family at cutoff k.
func docMetric(family string, ranking []string, relevant map[string]int, k int) float64 {
	switch family {
	case "ndcg":
		return NDCG(ranking, relevant, k)
	case "recall":
		return Recall(ranking, relevant, k)
	case "mrr":
		return ReciprocalRank(ranking, relevant, k)
	case "precision":
		return Precision(ranking, relevant, k)
	case "hits":
		return Hits(ranking, relevant, k)
	case "map":
		return AveragePrecision(ranking, relevant, k)
	}
	return 0
}

// checkKs validates cutoffs and returns them sorted without duplicates;
// nil or empty means DefaultKs.
func checkKs(ks []int) ([]int, error) {
	if len(ks) == 0 {
		return DefaultKs(), nil
	}
	for _, k := range ks {
		if k < 1 {
			return nil, fmt.Errorf("cutoff k=%d: want k >= 1", k)
		}
	}
	ks = slices.Clone(ks)
	slices.Sort(ks)
	return slices.Compact(ks), nil
}

// meanMetrics accumulates per-query values in query order and averages them.
type meanMetrics struct {
	sums map[string]float64
	n    int
}

func (m *meanMetrics) addDocs(ranking []string, relevant map[string]int, ks []int) {
	if m.sums == nil {
		m.sums = map[string]float64{}
	}
	for _, k := range ks {
		for _, f := range docFamilies {
			m.sums[metricKey(f, k)] += docMetric(f, ranking, relevant, k)
		}
	}
	m.n++
}

func (m *meanMetrics) mean() map[string]float64 {
	out := make(map[string]float64, len(m.sums))
	for key, sum := range m.sums {
		out[key] = sum / float64(m.n)
	}
	return out
}

// EvaluateDocs scores document rankings, one per query id, best first, at
// each cutoff in ks (nil means [DefaultKs]) and returns a report with the
// mean of every document-level metric (see the package doc) under keys
// like "ndcg@10". Ranks are taken in the order given: sort with [SortDocs]
// first. Queries with no relevant doc are skipped; a query without a ranking
// scores 0. Rankings for ids that are not among queries are ignored. The
// report keeps each query's ranking, cut to max(100, largest k), in query
// order, which makes it enough for [Recompute]; it does not share the
// caller's slices. Settings is empty for the caller to fill.
func EvaluateDocs(queries []Query, rankings map[string][]RankedDoc, ks []int) (*Report, error) {
	ks, err := checkKs(ks)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	depth := max(reportDepth, ks[len(ks)-1])
	r := &Report{Settings: map[string]any{}, Queries: []QueryResult{}}
	var acc meanMetrics
	seen := map[string]bool{}
	for _, q := range queries {
		if numRelevant(q.Relevant) == 0 {
			continue
		}
		if seen[q.ID] {
			return nil, fmt.Errorf("evaluate: duplicate query id %q", q.ID)
		}
		seen[q.ID] = true
		docs := rankings[q.ID]
		docs = slices.Clone(docs[:min(depth, len(docs))])
		if docs == nil {
			docs = []RankedDoc{}
		}
		r.Queries = append(r.Queries, QueryResult{ID: q.ID, Ranking: docs})
		acc.addDocs(DocIDs(docs), q.Relevant, ks)
	}
	if acc.n == 0 {
		return nil, fmt.Errorf("evaluate: no query with a relevant doc")
	}
	r.Metrics = acc.mean()
	return r, nil
}

// Evaluate scores passage rankings, one per query id, best first. It
// collapses each into a document ranking with [DocRanking] and computes the
// document-level metrics as [EvaluateDocs] does. For the queries that have
// answers it also computes passage-level metrics, where a passage is a hit
// when its text contains any of the query's answers ([ContainsAnswer]),
// whichever doc it comes from:
//
//   - hits@k: 1 when a hit is in the top k passages.
//   - mrr@k: 1/rank of the first hit in the top k passages.
//   - precision@k: hits in the top k passages / k.
//   - recall@k: the fraction of the query's answers found in the top k
//     passages.
//
// These are averaged over the queries with answers and stored in
// PassageMetrics, which stays nil when no query has answers. Passages are
// ranked in the order given: sort with [SortPassages] first.
func Evaluate(queries []Query, rankings map[string][]RankedPassage, ks []int) (*Report, error) {
	docRankings := make(map[string][]RankedDoc, len(rankings))
	for id, passages := range rankings {
		docRankings[id] = DocRanking(passages)
	}
	r, err := EvaluateDocs(queries, docRankings, ks)
	if err != nil {
		return nil, err
	}
	ks, _ = checkKs(ks) // validated by EvaluateDocs
	sums := map[string]float64{}
	n := 0
	for _, q := range queries {
		if numRelevant(q.Relevant) == 0 || len(q.Answers) == 0 {
			continue
		}
		for key, v := range passageMetrics(rankings[q.ID], q.Answers, ks) {
			sums[key] += v
		}
		n++
	}
	if n > 0 {
		r.PassageMetrics = make(map[string]float64, len(sums))
		for key, sum := range sums {
			r.PassageMetrics[key] = sum / float64(n)
		}
	}
	return r, nil
}

// passageMetrics computes the passage-level metrics of one query.
func passageMetrics(passages []RankedPassage, answers []string, ks []int) map[string]float64 {
	maxK := ks[len(ks)-1]
	passages = passages[:min(maxK, len(passages))]
	found := make([][]bool, len(passages))
	for i, p := range passages {
		found[i] = answersIn(p.Text, answers)
	}
	out := make(map[string]float64, len(ks)*len(passageFamilies))
	for _, k := range ks {
		var hits, firstHit int
		answered := make([]bool, len(answers))
		for i := range passages[:min(k, len(passages))] {
			hit := false
			for j, f := range found[i] {
				if f {
					hit = true
					answered[j] = true
				}
			}
			if hit {
				hits++
				if firstHit == 0 {
					firstHit = i + 1
				}
			}
		}
		var rr, hitsAtK float64
		if firstHit > 0 {
			rr, hitsAtK = 1/float64(firstHit), 1
		}
		nAnswered := 0
		for _, a := range answered {
			if a {
				nAnswered++
			}
		}
		out[metricKey("hits", k)] = hitsAtK
		out[metricKey("mrr", k)] = rr
		out[metricKey("precision", k)] = float64(hits) / float64(k)
		out[metricKey("recall", k)] = float64(nAnswered) / float64(len(answers))
	}
	return out
}
