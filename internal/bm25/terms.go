package bm25

import "fmt"

// Terms returns the index terms the named analyzer makes of text, in order:
// what this package indexes for a passage and searches for a query. Another
// BM25 engine fed these terms (e.g. Weaviate with whitespace tokenization)
// ranks with the same vocabulary: stemming, stopwords and possessives as here.
func Terms(analyzer, text string) ([]string, error) {
	terms, err := NewTerms(analyzer)
	if err != nil {
		return nil, err
	}
	return terms(text)
}

// NewTerms returns [Terms] for one analyzer, built once: for callers that
// analyse every passage or query (the analyzer is safe for concurrent use).
func NewTerms(analyzer string) (func(text string) ([]string, error), error) {
	a, err := newAnalyzer(analyzer)
	if err != nil {
		return nil, fmt.Errorf("bm25 terms: %w", err)
	}
	return func(text string) ([]string, error) {
		toks := a.Analyze([]byte(text))
		out := make([]string, len(toks))
		for i, t := range toks {
			out[i] = string(t.Term)
		}
		return out, nil
	}, nil
}
