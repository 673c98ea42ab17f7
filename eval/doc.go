// Package eval measures retrieval quality: it loads evaluation datasets
// (the project's own JSON Lines query sets, BEIR directories and a BBC News
// headline task), computes the standard ranking metrics over per-query
// rankings, and writes, reads, checks and compares reports.
//
// Everything here is pure apart from reading dataset and report files: the
// caller runs the queries against a search engine and hands the rankings to
// [Evaluate] or [EvaluateDocs].
//
// # Metrics
//
// Document-level metrics follow pytrec_eval (trec_eval 9), which BEIR uses,
// so numbers are comparable to published BEIR results:
//
//   - recall@k: relevant docs in the top k / all relevant docs of the query
//     (trec_eval recall_k).
//   - precision@k: relevant docs in the top k / k, even when fewer than k
//     docs were retrieved (trec_eval P_k).
//   - hits@k: 1 when any relevant doc is in the top k, else 0.
//   - mrr@k: 1/rank of the first relevant doc in the top k, else 0 (BEIR's
//     own mrr; trec_eval's recip_rank has no cutoff).
//   - ndcg@k: sum of grade/log2(rank+1) over the top k, divided by the same
//     sum for the ideal ranking of all judged relevant docs of the query,
//     retrieved or not (trec_eval ndcg_cut: linear gain, not 2^grade-1).
//   - map@k: sum of precision@rank at each relevant doc in the top k, divided
//     by the number of relevant docs of the query, not by min(k, relevant)
//     (trec_eval map_cut).
//
// A doc is relevant when its grade is at least 1. Each metric is averaged
// over the queries that have at least one relevant doc; a query with no
// ranking scores zero. Ranks follow the order given: sort with [SortDocs] or
// [SortPassages] (score descending, then doc id ascending) before scoring.
// On ties this differs from trec_eval, which breaks ties by doc id
// descending, and from BEIR, which also drops queries that returned no
// results from the average and drops results whose doc id equals the query
// id. With distinct scores and non-empty rankings the numbers are identical.
//
// Passage-level metrics (hits, mrr, precision and recall, see
// [Evaluate]) judge a passage by its text instead: it is a hit when it
// contains one of the query's answers ([ContainsAnswer]).
package eval
