// Package bm25 is semsearch's keyword index: a persistent BM25 index over
// passages, in files of its own format (see files.go and segment.go).
//
// A passage is identified by its article's document id and its chunk number.
// [Index.Replace] swaps all passages of one document, and a record of the
// document's content hash, in one atomic, durable batch, so the engine can
// keep this index in step with the vector store and use [Index.Hashes] to
// find and repair drift after a crash between the two.
//
// The index keeps, per passage, its analysed length and the frequency of
// each term, in a segment of postings written now and then and a log of the
// batches since; it analyses text and ranks with Lucene's BM25 formula (see
// [Index.Search]), applying a caller's filter before the top k is cut. On
// SciFact it reaches nDCG@10 0.678 (Pyserini: 0.679).
//
// Until format 2 the postings lived in a bleve (scorch) index. Building and
// merging bleve's segments cost more than half the CPU of indexing
// (docs/indexing.md); an index in that format is reported damaged, and the
// engine rebuilds it from the stored passages. bleve's analysis packages
// are still what defines the tokens (see [newAnalyzer]).
//
// Queries are bags of plain words: no query syntax is interpreted.
package bm25
