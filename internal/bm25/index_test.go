package bm25

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// openTemp opens a new index in a temporary directory, closed at cleanup.
func openTemp(t *testing.T, opt Options) (*Index, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bm25")
	ix, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, dir
}

// put replaces docID's passages with texts, chunk i holding texts[i].
func put(t *testing.T, ix *Index, docID string, texts ...string) {
	t.Helper()
	ps := make([]Passage, len(texts))
	for i, s := range texts {
		ps[i] = Passage{Chunk: i, Text: s}
	}
	if err := ix.Replace(t.Context(), docID, "hash-"+docID, ps); err != nil {
		t.Fatal(err)
	}
}

// mustSearch runs a search that must succeed.
func mustSearch(t *testing.T, ix *Index, q string, k int, allow func(string) bool) []Hit {
	t.Helper()
	hits, err := ix.Search(t.Context(), q, k, allow)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return hits
}

// ids renders hits as "doc/chunk" strings.
func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s/%d", h.DocID, h.Chunk)
	}
	return out
}

func wantCount(t *testing.T, ix *Index, docs, passages int) {
	t.Helper()
	d, p, err := ix.Count()
	if err != nil {
		t.Fatal(err)
	}
	if d != docs || p != passages {
		t.Errorf("Count() = %d docs, %d passages; want %d, %d", d, p, docs, passages)
	}
}

func TestIndex_Replace(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "a", "the quick brown fox", "jumps over the lazy dog", "foxes are quick")
	put(t, ix, "b", "a dog sleeps")
	wantCount(t, ix, 2, 4)

	if got := ids(mustSearch(t, ix, "fox", 10, nil)); !slices.Equal(got, []string{"a/2", "a/0"}) && !slices.Equal(got, []string{"a/0", "a/2"}) {
		t.Fatalf("before replace: fox -> %v", got)
	}

	// The new version has fewer chunks and other words: no old chunk may
	// come back, whatever the query.
	put(t, ix, "a", "a cat naps in the sun")
	wantCount(t, ix, 2, 2)
	for _, q := range []string{"fox", "quick", "lazy dog", "jumps"} {
		for _, h := range mustSearch(t, ix, q, 10, nil) {
			if h.DocID == "a" {
				t.Errorf("%q returned old passage %s/%d", q, h.DocID, h.Chunk)
			}
		}
	}
	if got := ids(mustSearch(t, ix, "cat", 10, nil)); !slices.Equal(got, []string{"a/0"}) {
		t.Errorf("cat -> %v, want [a/0]", got)
	}

	// Replacing with no passages keeps the hash record only.
	if err := ix.Replace(t.Context(), "a", "empty", nil); err != nil {
		t.Fatal(err)
	}
	wantCount(t, ix, 2, 1)
	if got := mustSearch(t, ix, "cat", 10, nil); len(got) != 0 {
		t.Errorf("cat after emptying a -> %v", ids(got))
	}
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if h["a"] != "empty" {
		t.Errorf("hash of emptied document = %q, want %q", h["a"], "empty")
	}
}

func TestIndex_Replace_title(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	err := ix.Replace(t.Context(), "d", "h", []Passage{
		{Chunk: 0, Title: "Photosynthesis", Text: "Plants turn light into sugar."},
		{Chunk: 1, Title: "Photosynthesis", Text: "Chlorophyll absorbs red and blue."},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The title is indexed with every passage.
	if got := mustSearch(t, ix, "photosynthesis", 10, nil); len(got) != 2 {
		t.Errorf("title search -> %v, want both passages", ids(got))
	}
}

func TestIndex_ReplaceMany(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	err := ix.ReplaceMany(t.Context(),
		Document{ID: "x", Hash: "1", Passages: []Passage{{Chunk: 0, Text: "red apples"}, {Chunk: 1, Text: "green pears"}}},
		Document{ID: "y", Hash: "2", Passages: []Passage{{Chunk: 0, Text: "yellow bananas"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	wantCount(t, ix, 2, 3)
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"x": "1", "y": "2"}; !maps.Equal(h, want) {
		t.Errorf("Hashes() = %v, want %v", h, want)
	}
}

func TestIndex_Replace_invalid(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	for _, tc := range []struct {
		name string
		docs []Document
	}{
		{"empty id", []Document{{ID: ""}}},
		{"negative chunk", []Document{{ID: "a", Passages: []Passage{{Chunk: -1, Text: "x"}}}}},
		{"repeated chunk", []Document{{ID: "a", Passages: []Passage{{Chunk: 1, Text: "x"}, {Chunk: 1, Text: "y"}}}}},
		{"repeated document", []Document{{ID: "a"}, {ID: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ix.ReplaceMany(t.Context(), tc.docs...); err == nil {
				t.Error("ReplaceMany succeeded, want an error")
			}
		})
	}
	wantCount(t, ix, 0, 0)
}

func TestIndex_Delete(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "a", "alpha one", "alpha two")
	put(t, ix, "b", "alpha three")
	put(t, ix, "c", "alpha four")

	if err := ix.Delete(t.Context(), "a", "c", "unknown", "a"); err != nil {
		t.Fatal(err)
	}
	wantCount(t, ix, 1, 1)
	if got := ids(mustSearch(t, ix, "alpha", 10, nil)); !slices.Equal(got, []string{"b/0"}) {
		t.Errorf("alpha -> %v, want [b/0]", got)
	}
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"b": "hash-b"}; !maps.Equal(h, want) {
		t.Errorf("Hashes() = %v, want %v", h, want)
	}
	// Deleting everything leaves an empty index that still answers.
	if err := ix.Delete(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	wantCount(t, ix, 0, 0)
	if got := mustSearch(t, ix, "alpha", 10, nil); len(got) != 0 {
		t.Errorf("alpha on empty index -> %v", ids(got))
	}
	if err := ix.Delete(t.Context()); err != nil {
		t.Errorf("Delete() with no ids: %v", err)
	}
}

func TestIndex_Hashes(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	h, err := ix.Hashes(t.Context())
	if err != nil || len(h) != 0 {
		t.Fatalf("Hashes() on a new index = %v, %v", h, err)
	}
	for _, id := range []string{"a", "b/c", "with space", "ünï"} {
		put(t, ix, id, "some text about "+id)
	}
	if err := ix.Replace(t.Context(), "a", "new-hash", []Passage{{Text: "changed"}}); err != nil {
		t.Fatal(err)
	}
	h, err = ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "new-hash", "b/c": "hash-b/c", "with space": "hash-with space", "ünï": "hash-ünï"}
	if !maps.Equal(h, want) {
		t.Errorf("Hashes() = %v, want %v", h, want)
	}
}

func TestIndex_reopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bm25")
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, ix, "a", "persistent storage of passages", "second chunk")
	put(t, ix, "b", "unrelated words")
	before := mustSearch(t, ix, "storage passages", 10, nil)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := ix.Search(t.Context(), "storage", 1, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Search after Close: %v, want ErrClosed", err)
	}

	// Scoring parameters may change between opens.
	ix, err = Open(dir, Options{K1: 1.2, B: 0.75})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	wantCount(t, ix, 2, 3)
	after := mustSearch(t, ix, "storage passages", 10, nil)
	if !slices.Equal(ids(after), ids(before)) {
		t.Errorf("after reopen: %v, before: %v", ids(after), ids(before))
	}
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "hash-a", "b": "hash-b"}; !maps.Equal(h, want) {
		t.Errorf("Hashes() after reopen = %v, want %v", h, want)
	}
}

func TestOpen_optionsMismatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bm25")
	ix, err := Open(dir, Options{Analyzer: AnalyzerEnglish})
	if err != nil {
		t.Fatal(err)
	}
	put(t, ix, "a", "text")
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Options{{Analyzer: AnalyzerSimple}, {Analyzer: AnalyzerStandard}} {
		_, err = Open(dir, opt)
		if !errors.Is(err, ErrOptionsMismatch) || !strings.Contains(err.Error(), "rebuild") {
			t.Errorf("Open(%+v) on an index built with the defaults: %v, want ErrOptionsMismatch saying to rebuild", opt, err)
		}
	}
	// The default analyzer is "en", so the zero Options match.
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen with matching options: %v", err)
	}
	ix.Close()
}

func TestOpen_locked(t *testing.T) {
	_, dir := openTemp(t, Options{})
	ix, err := Open(dir, Options{})
	if err == nil {
		ix.Close()
		t.Fatal("second Open of an open index succeeded")
	}
	if !strings.Contains(err.Error(), "another process") {
		t.Errorf("second Open: %v, want it to say another process may use the index", err)
	}
}

func TestOpen_invalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"unknown analyzer", Options{Analyzer: "klingon"}},
		{"negative k1", Options{K1: -1}},
		{"b above 1", Options{B: 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ix, err := Open(filepath.Join(t.TempDir(), "x"), tc.opt); err == nil {
				ix.Close()
				t.Error("Open succeeded, want an error")
			}
		})
	}
}

// TestIndex_Search_score checks scores against Lucene's BM25 formula
// computed by hand.
func TestIndex_Search_score(t *testing.T) {
	const k1, b = 1.1, 0.6
	ix, _ := openTemp(t, Options{Analyzer: AnalyzerSimple, K1: k1, B: b})
	docs := map[string]string{
		"a": "apple apple banana",
		"b": "apple cherry cherry cherry date",
		"c": "banana",
		"d": "elderberry fig",
	}
	for id, text := range docs {
		put(t, ix, id, text)
	}
	n, avgdl := 4.0, 11.0/4
	bm25 := func(tf, dl, df float64) float64 {
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		return idf * tf * (k1 + 1) / (tf + k1*(1-b+b*dl/avgdl))
	}
	want := map[string]float64{
		"a": 2*bm25(2, 3, 2) + bm25(1, 3, 2), // "apple" twice in the query
		"b": 2 * bm25(1, 5, 2),
		"c": bm25(1, 1, 2),
	}
	hits := mustSearch(t, ix, "Apple, apple & BANANA?", 10, nil)
	if len(hits) != len(want) {
		t.Fatalf("hits = %v, want a, b and c", ids(hits))
	}
	for i, h := range hits {
		if math.Abs(h.Score-want[h.DocID]) > 1e-9 {
			t.Errorf("score of %s = %.9f, want %.9f", h.DocID, h.Score, want[h.DocID])
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("hits not best first: %v", hits)
		}
	}
}

func TestIndex_Search_allow(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	// Fifty short, strongly matching passages outrank five long ones that
	// mention the word once.
	var docs []Document
	for i := range 50 {
		docs = append(docs, Document{ID: fmt.Sprintf("strong%02d", i), Passages: []Passage{{Text: "zebra zebra zebra stripes"}}})
	}
	filler := strings.Repeat("grassland savanna herd migration water ", 40)
	for i := range 5 {
		docs = append(docs, Document{ID: fmt.Sprintf("weak%d", i), Passages: []Passage{{Text: filler + "zebra"}, {Chunk: 1, Text: filler}}})
	}
	if err := ix.ReplaceMany(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	weak := func(id string) bool { return strings.HasPrefix(id, "weak") }

	all := mustSearch(t, ix, "zebra", 10, nil)
	for _, h := range all {
		if weak(h.DocID) {
			t.Fatalf("unfiltered top 10 holds weak passage %s: the test corpus is wrong", h.DocID)
		}
	}
	for _, tc := range []struct {
		k, want int
	}{{3, 3}, {5, 5}, {10, 5}} {
		hits := mustSearch(t, ix, "zebra", tc.k, weak)
		if len(hits) != tc.want {
			t.Errorf("k=%d with filter: %d hits %v, want %d", tc.k, len(hits), ids(hits), tc.want)
		}
		for _, h := range hits {
			if !weak(h.DocID) || h.Chunk != 0 {
				t.Errorf("k=%d: hit %s/%d should have been filtered out", tc.k, h.DocID, h.Chunk)
			}
		}
	}
	if got := mustSearch(t, ix, "zebra", 10, func(string) bool { return false }); len(got) != 0 {
		t.Errorf("allow rejecting everything -> %v", ids(got))
	}
}

func TestIndex_Search_ties(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	var docs []Document
	for _, id := range []string{"e", "c", "a", "d", "b"} {
		docs = append(docs, Document{ID: id, Passages: []Passage{{Text: "identical words"}}})
	}
	if err := ix.ReplaceMany(t.Context(), docs...); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustSearch(t, ix, "identical", 3, nil)); !slices.Equal(got, []string{"a/0", "b/0", "c/0"}) {
		t.Errorf("ties -> %v, want [a/0 b/0 c/0]", got)
	}
}

// TestIndex_Search_plainWords checks that query syntax is not interpreted.
func TestIndex_Search_plainWords(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "a", "title: golang concurrency patterns")
	put(t, ix, "b", "rust ownership")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{`"golang`, []string{"a/0"}},
		{`title: golang`, []string{"a/0"}},
		// UAX #29 keeps a colon between letters inside the word (as Lucene's
		// StandardTokenizer does), so this is the one term "title:golang".
		{`title:golang`, nil},
		{`+golang -rust`, []string{"a/0", "b/0"}}, // no negation: both words count
		{`golang AND NOT rust`, []string{"a/0", "b/0"}},
		{`(golang) [rust] {x} ~ ^2 * ? \ / ! || &&`, []string{"a/0", "b/0"}},
		{`golang*`, []string{"a/0"}},
		{`/regexp.*/`, nil},
		{``, nil},
		{`   `, nil},
		{`the and of`, nil}, // only stopwords
		{`"" :: ++ --`, nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			hits := mustSearch(t, ix, tc.query, 10, nil)
			got := ids(hits)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Search(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
	if _, err := ix.Search(t.Context(), "golang", 0, nil); err == nil {
		t.Error("Search with k=0 succeeded, want an error")
	}
}

func TestIndex_Search_canceled(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "a", "words")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ix.Search(ctx, "words", 1, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Search with a canceled context: %v", err)
	}
	if err := ix.Replace(ctx, "b", "h", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Replace with a canceled context: %v", err)
	}
}

// TestIndex_concurrent searches while a document is replaced over and over,
// and checks every search sees exactly one version of it. Run it with -race.
func TestIndex_concurrent(t *testing.T) {
	ix, _ := openTemp(t, Options{})
	put(t, ix, "other", "unrelated passage about gamma rays", "more")
	version := func(i int) []Passage {
		ps := make([]Passage, 2+i%3) // 2, 3 or 4 chunks
		for c := range ps {
			ps[c] = Passage{Chunk: c, Text: fmt.Sprintf("gamma radiation version %d chunk %d", i, c)}
		}
		return ps
	}
	if err := ix.Replace(t.Context(), "x", "0", version(0)); err != nil {
		t.Fatal(err)
	}

	const rounds = 12
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				hits, err := ix.Search(context.Background(), "gamma radiation", 10, func(id string) bool { return id == "x" })
				if err != nil {
					errs <- err
					return
				}
				chunks := make([]int, len(hits))
				for i, h := range hits {
					chunks[i] = h.Chunk
				}
				slices.Sort(chunks)
				if len(chunks) < 2 || len(chunks) > 4 || chunks[0] != 0 || chunks[len(chunks)-1] != len(chunks)-1 {
					errs <- fmt.Errorf("search saw a mix of versions: chunks %v", chunks)
					return
				}
				if _, _, err := ix.Count(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 1; i <= rounds; i++ {
		if err := ix.Replace(t.Context(), "x", fmt.Sprint(i), version(i)); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h, err := ix.Hashes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if h["x"] != fmt.Sprint(rounds) {
		t.Errorf("hash of x = %q, want %q", h["x"], fmt.Sprint(rounds))
	}
	wantCount(t, ix, 2, 2+len(version(rounds)))
}

func TestAnalyzers(t *testing.T) {
	for _, tc := range []struct {
		analyzer, text string
		want           []string
	}{
		{AnalyzerEnglish, "The Running dogs' owner's houses", []string{"run", "dog", "owner", "hous"}},
		{AnalyzerEnglish, "Should we do COVID-19 tests?", []string{"should", "we", "do", "covid", "19", "test"}},
		{AnalyzerStandard, "The Running dogs", []string{"running", "dogs"}},
		{AnalyzerSimple, "The Running dogs", []string{"the", "running", "dogs"}},
	} {
		t.Run(tc.analyzer+"/"+tc.text, func(t *testing.T) {
			an, err := newAnalyzer(tc.analyzer)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tok := range an.Analyze([]byte(tc.text)) {
				got = append(got, string(tok.Term))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Analyze(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
