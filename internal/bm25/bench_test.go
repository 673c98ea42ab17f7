package bm25

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// syntheticCorpus returns n seeded passages of about 120 words each, drawn
// from a Zipf-distributed vocabulary of 30,000 made-up words, ten passages
// per document, and 64 queries of 2 to 12 words drawn the same way.
func syntheticCorpus(n int) (docs []Document, queries []string) {
	rng := rand.New(rand.NewSource(1))
	syllables := []string{"ka", "to", "mi", "ren", "sul", "va", "dor", "pe", "lin", "zu", "ash", "qui", "bo", "ner", "fa", "tes"}
	vocab := make([]string, 30000)
	for i := range vocab {
		var b strings.Builder
		for range 2 + rng.Intn(3) {
			b.WriteString(syllables[rng.Intn(len(syllables))])
		}
		vocab[i] = b.String()
	}
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
	for i := 0; i < n; i += 10 {
		d := Document{ID: fmt.Sprintf("doc%05d", i/10), Hash: "h"}
		for c := range min(10, n-i) {
			d.Passages = append(d.Passages, Passage{Chunk: c, Title: words(6), Text: words(100 + rng.Intn(40))})
		}
		docs = append(docs, d)
	}
	for range 64 {
		queries = append(queries, words(2+rng.Intn(11)))
	}
	return docs, queries
}

// BenchmarkIndex_Search measures one search over 10,000 synthetic
// passages, unfiltered and with a filter that admits one document in ten.
func BenchmarkIndex_Search(b *testing.B) {
	docs, queries := syntheticCorpus(10000)
	ix, err := Open(filepath.Join(b.TempDir(), "bm25"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for i := 0; i < len(docs); i += 200 {
		if err := ix.ReplaceMany(context.Background(), docs[i:min(i+200, len(docs))]...); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name  string
		allow func(string) bool
	}{
		{"passages=10000/k=10", nil},
		{"passages=10000/k=10/allow=10pct", func(id string) bool { return id[len(id)-1] == '7' }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := ix.Search(context.Background(), queries[i%len(queries)], 10, bc.allow); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkIndex_Search_SciFact measures one search of a SciFact test claim
// over the 5,183 SciFact abstracts.
func BenchmarkIndex_Search_SciFact(b *testing.B) {
	sf := loadSciFact(b)
	ix, _ := sf.build(b, Options{}, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ix.Search(context.Background(), sf.queries[i%len(sf.queries)].Text, 10, nil); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkIndex_ReplaceMany measures indexing 1,000 synthetic passages
// (100 documents) in one batch into an index of 10,000.
func BenchmarkIndex_ReplaceMany(b *testing.B) {
	docs, _ := syntheticCorpus(10000)
	ix, err := Open(filepath.Join(b.TempDir(), "bm25"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if err := ix.ReplaceMany(context.Background(), docs...); err != nil {
		b.Fatal(err)
	}
	b.Run("passages=1000", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			batch := docs[i%10*100 : i%10*100+100]
			if err := ix.ReplaceMany(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "passages/s")
	})
}

// BenchmarkCollections_readOnlySearch measures a read-only search over
// 10,000 synthetic passages, which opens (checking the files), searches
// and closes the index each time, so that a reader never keeps a writer
// out (see [Collections]).
func BenchmarkCollections_readOnlySearch(b *testing.B) {
	docs, queries := syntheticCorpus(10000)
	dir := b.TempDir()
	ix, err := Open(filepath.Join(dir, "c.bm25"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(docs); i += 200 {
		if err := ix.ReplaceMany(context.Background(), docs[i:min(i+200, len(docs))]...); err != nil {
			b.Fatal(err)
		}
	}
	ix.Close()
	ro := OpenCollections(dir, Options{ReadOnly: true})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		err := ro.Use("c", func(ix *Index) error {
			_, err := ix.Search(context.Background(), queries[i%len(queries)], 10, nil)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkIndex_writerMemory reports what a writer holds in memory between
// generations: the heap the postings of 10,000 synthetic passages (about
// 120 words each) take once written to the log and applied, per passage,
// and the analyser's word cache, per distinct word, beside the log's
// bytes per passage.
func BenchmarkIndex_writerMemory(b *testing.B) {
	docs, _ := syntheticCorpus(10000)
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		b.StopTimer()
		ix, err := Open(filepath.Join(b.TempDir(), "m.bm25"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix.compactMin = 1 << 40 // everything stays in the log and in memory
		base := heap()
		for i := 0; i < len(docs); i += 100 {
			if err := ix.ReplaceMany(context.Background(), docs[i:min(i+100, len(docs))]...); err != nil {
				b.Fatal(err)
			}
		}
		total := heap() - base
		ta := ix.an.(*termAnalyzer)
		words := len(ta.terms)
		cache := uint64(0)
		func() { // the analyser's share, measured on a fresh one
			an, _ := newAnalyzer(AnalyzerEnglish)
			before := heap()
			for _, d := range docs {
				for _, p := range d.Passages {
					an.(*termAnalyzer).count([]byte(p.Title + "\n" + p.Text))
				}
			}
			cache = heap() - before
			runtime.KeepAlive(an)
		}()
		b.ReportMetric(float64(total-cache)/10000, "postings-B/passage")
		b.ReportMetric(float64(cache)/float64(words), "cache-B/word")
		b.ReportMetric(float64(ix.logSize)/10000, "log-B/passage")
		ix.Close()
		b.StartTimer()
	}
}
