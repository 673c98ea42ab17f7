package eval

import (
	"bytes"
	"context"
	"testing"
)

// FuzzReadQueries: any query-set file is parsed or rejected with an error,
// never a panic, and what is accepted has ids and text.
func FuzzReadQueries(f *testing.F) {
	for _, s := range []string{
		`{"id": "q1", "query": "Who was fired?", "relevant": ["a.txt"]}`,
		`{"id": "q1", "query": "x", "answers": ["Comey"], "relevant": {"a.txt": 2}}` + "\n" + `{"id": "q1", "query": "y"}`,
		"\xef\xbb\xbf{\"id\":1}\n\n{}",
		`{"id": "q", "query": "", "relevant": [null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		qs, err := readQueries(context.Background(), bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, q := range qs {
			if q.ID == "" {
				t.Fatalf("accepted a query without id: %+v", q)
			}
		}
	})
}

// FuzzReadBEIR feeds the same bytes to the three BEIR readers (qrels TSV,
// queries and corpus JSON Lines): none panics.
func FuzzReadBEIR(f *testing.F) {
	for _, s := range []string{
		"query-id\tcorpus-id\tscore\n1\t31715818\t1\n",
		`{"_id": "1", "text": "0-dimensional biomaterials show inductive properties."}`,
		`{"_id": "4983", "title": "Microstructural development", "text": "Alterations"}`,
		"1\t2\n\t\t\n1\tx\t-1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		qrels, _, _, _ := readQrels(ctx, bytes.NewReader(data), "fuzz")
		_, _ = readBEIRQueries(ctx, bytes.NewReader(data), "fuzz", qrels)
		_ = walkBEIRCorpus(ctx, bytes.NewReader(data), "fuzz", func(Doc) error { return nil })
	})
}
