package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// KeywordIndex is a lexical (BM25) index over the same passages as the
// vector store, kept in step with it by the engine.
type KeywordIndex interface {
	// Replace stores each document with exactly the given passages, replacing
	// earlier versions, and records its content hash.
	Replace(ctx context.Context, collection string, docs []KeywordDoc) error
	// Delete removes documents; unknown ids are ignored.
	Delete(ctx context.Context, collection string, ids ...string) error
	// Hashes returns the recorded content hash of every document.
	Hashes(ctx context.Context, collection string) (map[string]string, error)
	// Search returns the k best passages for query among the documents
	// allow accepts (nil: all), best first. The filter applies before the
	// top k is cut.
	Search(ctx context.Context, collection, query string, k int, allow func(docID string) bool) ([]KeywordHit, error)
	// Drop removes a collection's whole index.
	Drop(ctx context.Context, collection string) error
}

// FilteringKeywordIndex is a [KeywordIndex] that applies a search filter
// itself, before ranking (e.g. as a database where filter), instead of
// being handed the matching document ids. The engine uses SearchFilter when
// the index has it.
type FilteringKeywordIndex interface {
	KeywordIndex
	SearchFilter(ctx context.Context, collection, query string, k int, f vectorstore.Filter) ([]KeywordHit, error)
}

// KeywordDoc is one document for a [KeywordIndex].
type KeywordDoc struct {
	ID, Hash string
	Passages []KeywordPassage
}

// KeywordPassage is one passage of a [KeywordDoc]; Title is the article's.
type KeywordPassage struct {
	Chunk       int
	Title, Text string
}

// KeywordHit is one passage found by a [KeywordIndex], with its BM25 score.
type KeywordHit struct {
	DocID string
	Chunk int
	Score float64
	// Hash is the content hash the keyword index recorded for the hit's
	// document: the version it scored. The engine drops hits whose version
	// the vector store does not hold. "" means unknown (never trusted).
	Hash string
}

// checkKeywords runs syncKeywords once per collection and engine before
// the first keyword search, so a collection indexed without a BM25 index (or
// whose index lost a write in a crash) searches correctly right away.
func (e *Engine) checkKeywords(ctx context.Context, collection string) error {
	if e.cfg.ReadOnly {
		return nil // repairs are for writers; search drops what the store lacks
	}
	// An index run writing meanwhile would race the comparison of the two
	// indexes; it repairs drift itself, and until a later check succeeds
	// searches drop BM25 hits of versions the store does not hold.
	if !e.indexMu.TryLock() {
		return nil
	}
	defer e.indexMu.Unlock()
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	if e.synced[collection] {
		return nil
	}
	if err := e.syncKeywords(ctx, collection); err != nil {
		return err
	}
	e.synced[collection] = true
	return nil
}

// RepairStats says what [Engine.RepairKeywords] did.
type RepairStats struct {
	// Documents is how many documents the store holds.
	Documents int
	// Replaced and Removed count the keyword index's documents re-sent from
	// the store and deleted because the store lacks them.
	Replaced, Removed int
	// Rebuilt says the keyword index was damaged or missing and was built
	// afresh.
	Rebuilt  bool
	Duration time.Duration
}

// RepairKeywords brings a collection's keyword index in line with the vector
// store without embedding anything: a damaged or missing index is rebuilt
// from the stored passages, drifted documents are re-sent, documents the
// store lacks are removed. It needs a writable engine but not the embedding
// backend.
func (e *Engine) RepairKeywords(ctx context.Context, collection string) (RepairStats, error) {
	start := time.Now()
	var st RepairStats
	if e.keywords == nil {
		return st, fmt.Errorf("%w: no BM25 index is configured", ErrInvalid)
	}
	if e.cfg.ReadOnly {
		return st, fmt.Errorf("%w: repairing the BM25 index needs a writable engine", ErrInvalid)
	}
	if _, err := e.Collection(ctx, collection); err != nil {
		return st, err
	}
	e.indexMu.Lock() // no index run writes meanwhile
	defer e.indexMu.Unlock()
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	want, err := e.store.Hashes(ctx, collection)
	if err != nil {
		return st, err
	}
	st.Documents = len(want)
	have, err := e.keywords.Hashes(ctx, collection)
	switch {
	case errors.Is(err, ErrKeywordsDamaged):
		st.Rebuilt, have = true, nil
	case err != nil:
		return st, fmt.Errorf("keyword index of %q: %w", collection, err)
	}
	for id, h := range want {
		if have[id] != h {
			st.Replaced++
		}
	}
	st.Rebuilt = st.Rebuilt || (len(have) == 0 && len(want) > 0) // missing: created empty
	for id := range have {
		if _, ok := want[id]; !ok {
			st.Removed++
		}
	}
	if err := e.syncKeywords(ctx, collection); err != nil {
		return st, err
	}
	e.synced[collection] = true
	st.Duration = time.Since(start)
	return st, nil
}

// CheckKeywords reports whether every collection's keyword index can be
// searched, probing each with a query. A writable engine rebuilds a damaged
// one from the store. Drift between an index and the store is repaired by
// the collection's first search or index run, not here: that reads the
// whole collection, and readiness is asked often (every /readyz), of
// collections that may not be in use.
func (e *Engine) CheckKeywords(ctx context.Context) error {
	if e.keywords == nil {
		return nil
	}
	cols, err := e.store.Collections(ctx)
	if err != nil {
		return err
	}
	probe := func(name string) error {
		_, err := e.keywords.Search(ctx, name, "semsearch readiness probe", 1, nil)
		if errors.Is(err, ErrKeywordsBusy) {
			return nil
		}
		return err
	}
	for _, c := range cols {
		err := probe(c.Name)
		if errors.Is(err, ErrKeywordsDamaged) && !e.cfg.ReadOnly {
			e.forgetKeywordCheck(c.Name)
			if err = e.checkKeywords(ctx, c.Name); err == nil {
				err = probe(c.Name)
			}
		}
		if err != nil {
			e.forgetKeywordCheck(c.Name)
			return fmt.Errorf("BM25 index of %q: %w", c.Name, err)
		}
	}
	return nil
}

// keywordsDamaged is the error of a search that needs a keyword index that
// is damaged or missing, saying how to rebuild it.
func keywordsDamaged(collection string, err error) error {
	return fmt.Errorf("collection %q: %w; rebuild it from the stored passages (nothing is re-embedded): semsearch repair --collection %s, or search with --mode vector meanwhile",
		collection, err, collection)
}

// keywordsBusy is the error of a search that needs a keyword index another
// process holds, saying what to do instead.
func keywordsBusy(collection string, err error) error {
	return fmt.Errorf("collection %q: %w (another semsearch process, such as serve, is writing it); ask the running server instead (its /mcp endpoint or --server URL), or search with mode vector",
		collection, err)
}

// forgetKeywordCheck makes the next search check the keyword index again,
// after a write to it failed.
func (e *Engine) forgetKeywordCheck(collection string) {
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	delete(e.synced, collection)
}

// keywordBatch is how many documents one repair step sends to the keyword
// index: its writes are synced per call, so fewer, larger calls are faster.
const keywordBatch = 256

// syncKeywords makes the keyword index match the vector store, which is the
// source of truth: documents whose hash differs or is missing are re-sent from
// the store's catalog, documents the store lacks are deleted. It repairs the
// drift a crash between the two stores' writes can leave, and builds the
// keyword index of a collection indexed before it existed, without embedding
// anything.
func (e *Engine) syncKeywords(ctx context.Context, collection string) error {
	if e.keywords == nil {
		return nil
	}
	want, err := e.store.Hashes(ctx, collection)
	if err != nil {
		return err
	}
	have, err := e.keywords.Hashes(ctx, collection)
	if errors.Is(err, ErrKeywordsDamaged) {
		// It holds nothing the store lacks: start it afresh.
		e.log.Warn("BM25 index damaged or missing: rebuilding it from the stored passages (nothing is re-embedded)",
			"collection", collection, "documents", len(want), "error", err)
		if err := e.keywords.Drop(ctx, collection); err != nil {
			return fmt.Errorf("keyword index of %q: drop the damaged index: %w", collection, err)
		}
		have, err = e.keywords.Hashes(ctx, collection)
	}
	if err != nil {
		return fmt.Errorf("keyword index of %q: %w", collection, err)
	}
	var gone, stale []string
	for id := range have {
		if _, ok := want[id]; !ok {
			gone = append(gone, id)
		}
	}
	for id, h := range want {
		if have[id] != h {
			stale = append(stale, id)
		}
	}
	if len(gone) > 0 {
		if err := e.keywords.Delete(ctx, collection, gone...); err != nil {
			return fmt.Errorf("keyword index of %q: %w", collection, err)
		}
	}
	sort.Strings(stale)
	if len(gone)+len(stale) > 0 {
		e.log.Info("bringing the keyword index in line with the vector store", "collection", collection, "replace", len(stale), "remove", len(gone))
	}
	for len(stale) > 0 {
		n := min(len(stale), keywordBatch)
		docs := make([]KeywordDoc, 0, n)
		for _, id := range stale[:n] {
			d, hits, err := vectorstore.DocumentPassages(ctx, e.store, collection, id)
			if err != nil {
				return err
			}
			kd := KeywordDoc{ID: id, Hash: d.Hash, Passages: make([]KeywordPassage, len(hits))}
			for i, h := range hits {
				kd.Passages[i] = KeywordPassage{Chunk: h.Chunk, Title: d.Title, Text: h.Text}
			}
			docs = append(docs, kd)
		}
		if err := e.keywords.Replace(ctx, collection, docs); err != nil {
			return fmt.Errorf("keyword index of %q: %w", collection, err)
		}
		stale = stale[n:]
	}
	return nil
}
