// Package storetest is a conformance suite for [vectorstore.Store]
// implementations. A backend's test calls [Run] with a function that opens
// its store in a directory; every subtest gets a fresh directory, and a
// subtest that reopens a store calls the function again with the same one.
//
// The suite keeps a reference model of everything it stores and checks each
// query against a brute-force ranking of that model, so it tests what the
// results are, not only their shape.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// dims is the vector size of every collection the suite creates.
const dims = 16

// scoreTolerance bounds the difference between a store's float32 score and
// the suite's float64 cosine.
const scoreTolerance = 1e-4

var testSettings = vectorstore.Settings{Model: "storetest-model", Dimensions: dims, Chunking: "lines"}

// Run runs the conformance suite against the store that open returns. open
// must return a writable store in dir (creating dir's contents as needed)
// and fail the test if it cannot; the suite closes every store it opens.
func Run(t *testing.T, open func(t *testing.T, dir string) vectorstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"Collections", testCollections},
		{"CollectionNotFound", testCollectionNotFound},
		{"PutQuery", testPutQuery},
		{"Replace", testReplace},
		{"Delete", testDelete},
		{"Documents", testDocuments},
		{"Hashes", testHashes},
		{"Filters", testFilters},
		{"FilterLowRanked", testFilterLowRanked},
		{"ZeroVectors", testZeroVectors},
		{"InvalidPut", testInvalidPut},
		{"CallerOwnsInputs", testCallerOwnsInputs},
		{"CanceledContext", testCanceledContext},
		{"Reopen", testReopen},
		{"ReopenEmptyCollection", testReopenEmptyCollection},
		{"Flush", testFlush},
		{"Concurrent", testConcurrent},
		{"ReplaceCollection", testReplaceCollection},
		{"RecordSettings", testRecordSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &harness{t: t, open: open, dir: t.TempDir(), rng: rand.New(rand.NewPCG(1, uint64(len(tc.name))))}
			tc.fn(t, h)
		})
	}
}

// harness opens stores in one directory and makes test documents.
type harness struct {
	t    *testing.T
	open func(t *testing.T, dir string) vectorstore.Store
	dir  string
	rng  *rand.Rand
}

// store opens the store in the harness directory. The returned function
// closes it (once; the test's cleanup closes it otherwise).
func (h *harness) store() (vectorstore.Store, func()) {
	h.t.Helper()
	s := h.open(h.t, h.dir)
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				h.t.Errorf("Close: %v", err)
			}
		})
	}
	h.t.Cleanup(closeFn)
	return s, closeFn
}

// collection opens a store and creates collection "c" in it.
func (h *harness) collection() (vectorstore.Store, func()) {
	h.t.Helper()
	s, closeFn := h.store()
	if _, err := s.CreateCollection(h.t.Context(), "c", testSettings); err != nil {
		h.t.Fatalf("CreateCollection: %v", err)
	}
	return s, closeFn
}

func (h *harness) vector() []float32 { return unitVector(h.rng) }

func unitVector(rng *rand.Rand) []float32 { return storebench.UnitVector(rng, dims) }

var words = strings.Fields("vector passage index search query store snapshot article embedding cosine model chunk filter author source title")

// doc makes a document of n passages, one per line. Every passage text
// starts with "<id> <marker> p<i>", so a test can tell versions apart.
func (h *harness) doc(id, marker string, n int) (vectorstore.Document, []vectorstore.Passage) {
	return makeDoc(h.rng, id, marker, n)
}

func makeDoc(rng *rand.Rand, id, marker string, n int) (vectorstore.Document, []vectorstore.Passage) {
	var text strings.Builder
	ps := make([]vectorstore.Passage, n)
	for i := range n {
		if i > 0 {
			text.WriteByte('\n')
		}
		start := text.Len()
		fmt.Fprintf(&text, "%s %s p%d", id, marker, i)
		for range 6 + rng.IntN(6) {
			text.WriteString(" " + words[rng.IntN(len(words))])
		}
		ps[i] = vectorstore.Passage{Chunk: i, Start: start, End: text.Len(), LineStart: i + 1, LineEnd: i + 1, Vector: unitVector(rng)}
	}
	d := vectorstore.Document{
		ID:        id,
		Source:    "articles/" + id + ".md",
		Format:    "markdown",
		Title:     "Title of " + id,
		Author:    "author-" + strconv.Itoa(len(id)%3),
		URL:       "https://example.org/" + id,
		Published: time.Date(2024, 1, 1+len(id)%28, 12, 0, 0, 0, time.UTC),
		Meta:      map[string]string{"lang": "en", "marker": marker},
		Hash:      "hash-" + id + "-" + marker,
		Text:      text.String(),
		Indexed:   time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC),
		// What a rebuild needs to chunk the text again: the first word
		// skipped, each line from two lines of a source file.
		Skip:           []article.Span{{Start: 0, End: len(id)}},
		LayoutRecorded: true,
	}
	for i := range n {
		d.Lines = append(d.Lines, article.LineRange{First: 2*i + 3, Last: 2*i + 4})
		// A PDF's pages and an EPUB's chapters: every other passage
		// starts a page, the second half of the text a chapter.
		if i%2 == 0 {
			d.Pages = append(d.Pages, ps[i].Start)
		}
	}
	if n > 0 {
		d.Chapters = []article.Chapter{{Start: 0, Title: "Opening of " + id}, {Start: ps[n/2].Start, Title: "Close"}}
	}
	for i := range ps {
		ps[i].Text = d.Text[ps[i].Start:ps[i].End]
	}
	return d, ps
}

// put stores a document in the store and the model, failing the test on error.
func put(t *testing.T, s vectorstore.Store, m *model, coll string, d vectorstore.Document, ps []vectorstore.Passage) {
	t.Helper()
	if err := s.Put(t.Context(), coll, d, ps); err != nil {
		t.Fatalf("Put %q: %v", d.ID, err)
	}
	m.put(d, ps)
}

// model is what the suite expects one collection to hold.
type model struct {
	docs map[string]modelDoc
}

type modelDoc struct {
	doc      vectorstore.Document
	passages []vectorstore.Passage
}

func newModel() *model { return &model{docs: map[string]modelDoc{}} }

// put records a deep copy, so that tests may change their inputs afterwards.
func (m *model) put(d vectorstore.Document, ps []vectorstore.Passage) {
	d.Meta = maps.Clone(d.Meta)
	d.Passages = len(ps)
	cp := make([]vectorstore.Passage, len(ps))
	for i, p := range ps {
		p.Vector = slices.Clone(p.Vector)
		p.Text = d.Text[p.Start:p.End]
		cp[i] = p
	}
	m.docs[d.ID] = modelDoc{doc: d, passages: cp}
}

func (m *model) delete(ids ...string) int {
	n := 0
	for _, id := range ids {
		if _, ok := m.docs[id]; ok {
			delete(m.docs, id)
			n++
		}
	}
	return n
}

func (m *model) passages() int {
	n := 0
	for _, d := range m.docs {
		n += len(d.passages)
	}
	return n
}

// matches reports whether the filter admits the document. A document with no
// publication date fails any date bound.
func matches(d vectorstore.Document, f vectorstore.Filter) bool {
	if len(f.DocIDs) > 0 && !slices.Contains(f.DocIDs, d.ID) {
		return false
	}
	if f.DocPrefix != "" && !strings.HasPrefix(d.ID, f.DocPrefix) && !strings.HasPrefix(d.Source, f.DocPrefix) {
		return false
	}
	for k, want := range f.Meta {
		var got string
		switch k {
		case "title":
			got = d.Title
		case "source":
			got = d.Source
		case "author":
			got = d.Author
		default:
			got = d.Meta[k]
		}
		if got != want {
			return false
		}
	}
	if !f.After.IsZero() && (d.Published.IsZero() || d.Published.Before(f.After)) {
		return false
	}
	if !f.Before.IsZero() && (d.Published.IsZero() || !d.Published.Before(f.Before)) {
		return false
	}
	return true
}

type ranked struct {
	docID string
	chunk int
	score float64
}

// rank returns every passage that the filter admits and that has a vector,
// best first, scored by cosine similarity in float64.
func (m *model) rank(v []float32, f vectorstore.Filter) []ranked {
	var out []ranked
	for _, d := range m.docs {
		if !matches(d.doc, f) {
			continue
		}
		for i, p := range d.passages {
			if isZero(p.Vector) {
				continue
			}
			out = append(out, ranked{d.doc.ID, i, cosine(v, p.Vector)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// checkQuery queries the store and checks the hits against the model: the
// right number, each one a live passage that passes the filter with its
// document's fields, cosine scores in [-1, 1] best first, and no better
// passage left out.
func checkQuery(t *testing.T, s vectorstore.Store, coll string, m *model, v []float32, k int, f vectorstore.Filter) []vectorstore.Hit {
	t.Helper()
	hits, err := s.Query(t.Context(), coll, v, k, f)
	if err != nil {
		t.Fatalf("Query(k=%d, %+v): %v", k, f, err)
	}
	checkHits(t, hits, m, v, k, f)
	return hits
}

func checkHits(t *testing.T, hits []vectorstore.Hit, m *model, v []float32, k int, f vectorstore.Filter) {
	t.Helper()
	all := m.rank(v, f)
	want := min(k, len(all))
	if len(hits) != want {
		t.Errorf("Query(k=%d, %+v) returned %d hits, want %d (%d passages match)", k, f, len(hits), want, len(all))
	}
	seen := map[string]bool{}
	for i, h := range hits {
		key := h.DocID + "#" + strconv.Itoa(h.Chunk)
		if seen[key] {
			t.Errorf("hit %d: passage %s returned twice", i, key)
		}
		seen[key] = true
		d, ok := m.docs[h.DocID]
		if !ok {
			t.Errorf("hit %d: document %q is not stored (deleted or stale)", i, h.DocID)
			continue
		}
		if !matches(d.doc, f) {
			t.Errorf("hit %d: document %q does not pass filter %+v", i, h.DocID, f)
		}
		if h.Chunk < 0 || h.Chunk >= len(d.passages) {
			t.Errorf("hit %d: %q has no passage %d (it has %d)", i, h.DocID, h.Chunk, len(d.passages))
			continue
		}
		p := d.passages[h.Chunk]
		if isZero(p.Vector) {
			t.Errorf("hit %d: %s has a zero vector and must never be returned", i, key)
		}
		if h.Text != p.Text || h.Start != p.Start || h.End != p.End || h.LineStart != p.LineStart || h.LineEnd != p.LineEnd {
			t.Errorf("hit %d: passage %s = {%q [%d,%d) lines %d-%d}, want {%q [%d,%d) lines %d-%d}", i, key,
				h.Text, h.Start, h.End, h.LineStart, h.LineEnd, p.Text, p.Start, p.End, p.LineStart, p.LineEnd)
		}
		if h.Title != d.doc.Title || h.Source != d.doc.Source || h.Author != d.doc.Author || h.URL != d.doc.URL ||
			!h.Published.Equal(d.doc.Published) || !maps.Equal(h.Meta, d.doc.Meta) {
			t.Errorf("hit %d: citation fields of %q = %q %q %q %q %v %v, want %q %q %q %q %v %v", i, h.DocID,
				h.Title, h.Source, h.Author, h.URL, h.Published, h.Meta,
				d.doc.Title, d.doc.Source, d.doc.Author, d.doc.URL, d.doc.Published, d.doc.Meta)
		}
		// Hits are cited by the pages and chapter of their document.
		if ps, pe, ch := article.PageOf(d.doc.Pages, p.Start), article.PageOf(d.doc.Pages, p.End-1), article.ChapterOf(d.doc.Chapters, p.Start); h.PageStart != ps ||
			h.PageEnd != pe || h.Chapter != ch || h.Format != d.doc.Format {
			t.Errorf("hit %d: %s on pages %d-%d chapter %q format %q, want %d-%d %q %q", i, key, h.PageStart, h.PageEnd, h.Chapter, h.Format, ps, pe, ch, d.doc.Format)
		}
		if h.Score < -1 || h.Score > 1 {
			t.Errorf("hit %d: score %v outside [-1, 1]", i, h.Score)
		}
		if c := cosine(v, p.Vector); math.Abs(float64(h.Score)-c) > scoreTolerance {
			t.Errorf("hit %d: score %v, want cosine %v", i, h.Score, c)
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("hit %d: score %v above previous %v: not best first", i, h.Score, hits[i-1].Score)
		}
	}
	if want > 0 && len(hits) > 0 {
		if last, kth := float64(hits[len(hits)-1].Score), all[want-1].score; last < kth-scoreTolerance {
			t.Errorf("lowest hit scores %v but the %d-th best matching passage scores %v: a better passage was left out", last, want, kth)
		}
	}
}

// checkDocuments checks Document, Documents, Hashes and Collection counts
// against the model.
func checkDocuments(t *testing.T, s vectorstore.Store, coll string, m *model) {
	t.Helper()
	ctx := t.Context()
	for id, want := range m.docs {
		got, err := s.Document(ctx, coll, id)
		if err != nil {
			t.Errorf("Document(%q): %v", id, err)
			continue
		}
		if diff := docDiff(got, want.doc); diff != "" {
			t.Errorf("Document(%q): %s", id, diff)
		}
	}
	list, total, err := s.Documents(ctx, coll, 0, 0)
	if err != nil {
		t.Fatalf("Documents: %v", err)
	}
	if total != len(m.docs) || len(list) != len(m.docs) {
		t.Errorf("Documents: %d documents, total %d, want %d", len(list), total, len(m.docs))
	}
	for _, d := range list {
		want, ok := m.docs[d.ID]
		if !ok {
			t.Errorf("Documents lists %q, which is not stored", d.ID)
			continue
		}
		if d.Text != "" {
			t.Errorf("Documents: %q has text; the list omits it", d.ID)
		}
		w := want.doc
		w.Text = ""
		if diff := docDiff(d, w); diff != "" {
			t.Errorf("Documents: %q: %s", d.ID, diff)
		}
	}
	hashes, err := s.Hashes(ctx, coll)
	if err != nil {
		t.Fatalf("Hashes: %v", err)
	}
	wantHashes := map[string]string{}
	for id, d := range m.docs {
		wantHashes[id] = d.doc.Hash
	}
	if !maps.Equal(hashes, wantHashes) {
		t.Errorf("Hashes = %v, want %v", hashes, wantHashes)
	}
	c, err := s.Collection(ctx, coll)
	if err != nil {
		t.Fatalf("Collection: %v", err)
	}
	if c.Documents != len(m.docs) || c.Passages != m.passages() {
		t.Errorf("Collection counts %d documents, %d passages, want %d, %d", c.Documents, c.Passages, len(m.docs), m.passages())
	}
}

// docDiff describes how got differs from want, or returns "". Times are
// compared with Equal and a nil map equals an empty one.
func docDiff(got, want vectorstore.Document) string {
	var d []string
	cmp := func(field string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	cmp("ID", got.ID, want.ID)
	cmp("Source", got.Source, want.Source)
	cmp("Format", got.Format, want.Format)
	cmp("Title", got.Title, want.Title)
	cmp("Author", got.Author, want.Author)
	cmp("URL", got.URL, want.URL)
	cmp("Hash", got.Hash, want.Hash)
	cmp("Text", got.Text, want.Text)
	cmp("Passages", got.Passages, want.Passages)
	cmp("LayoutRecorded", got.LayoutRecorded, want.LayoutRecorded)
	if !slices.Equal(got.Skip, want.Skip) {
		d = append(d, fmt.Sprintf("Skip = %v, want %v", got.Skip, want.Skip))
	}
	if !slices.Equal(got.Lines, want.Lines) {
		d = append(d, fmt.Sprintf("Lines = %v, want %v", got.Lines, want.Lines))
	}
	if !slices.Equal(got.Pages, want.Pages) {
		d = append(d, fmt.Sprintf("Pages = %v, want %v", got.Pages, want.Pages))
	}
	if !slices.Equal(got.Chapters, want.Chapters) {
		d = append(d, fmt.Sprintf("Chapters = %v, want %v", got.Chapters, want.Chapters))
	}
	if !got.Published.Equal(want.Published) {
		d = append(d, fmt.Sprintf("Published = %v, want %v", got.Published, want.Published))
	}
	if !want.Indexed.IsZero() && !got.Indexed.Equal(want.Indexed) {
		d = append(d, fmt.Sprintf("Indexed = %v, want %v", got.Indexed, want.Indexed))
	}
	if !maps.Equal(got.Meta, want.Meta) {
		d = append(d, fmt.Sprintf("Meta = %v, want %v", got.Meta, want.Meta))
	}
	return strings.Join(d, "; ")
}

func testCollections(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.store()
	list, err := s.Collections(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("Collections of an empty store = %v, %v; want none", list, err)
	}
	setB := testSettings
	setB.Model = "model-b"
	before := time.Now().Add(-time.Second)
	b, err := s.CreateCollection(ctx, "b", setB)
	if err != nil {
		t.Fatalf("CreateCollection(b): %v", err)
	}
	if b.Name != "b" || b.Settings != setB || b.Documents != 0 || b.Passages != 0 || b.Created.Before(before) {
		t.Errorf("CreateCollection(b) = %+v", b)
	}
	if _, err := s.CreateCollection(ctx, "a", testSettings); err != nil {
		t.Fatalf("CreateCollection(a): %v", err)
	}
	got, err := s.Collection(ctx, "b")
	if err != nil || got.Name != "b" || got.Settings != setB || !got.Created.Equal(b.Created) {
		t.Errorf("Collection(b) = %+v, %v; want %+v", got, err, b)
	}

	// Documents stay in their own collection.
	ma, mb := newModel(), newModel()
	d, ps := h.doc("doc", "in-a", 3)
	put(t, s, ma, "a", d, ps)
	checkDocuments(t, s, "a", ma)
	checkDocuments(t, s, "b", mb)
	checkQuery(t, s, "b", mb, ps[0].Vector, 10, vectorstore.Filter{})

	// CreateCollection on an existing collection returns it unchanged: its
	// settings, not the new ones, and its current counts.
	other := testSettings
	other.Model, other.Dimensions = "other-model", dims*2
	again, err := s.CreateCollection(ctx, "a", other)
	if err != nil {
		t.Fatalf("CreateCollection(a) again: %v", err)
	}
	cur, err := s.Collection(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if again.Settings != testSettings || again.Documents != 1 || again.Passages != 3 || !again.Created.Equal(cur.Created) {
		t.Errorf("CreateCollection(a) again = %+v, want the existing collection %+v", again, cur)
	}
	checkDocuments(t, s, "a", ma)

	list, err = s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := collectionNames(list); !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("Collections = %v, want [a b]", names)
	}
	for _, c := range list {
		if c.Name == "a" && (c.Documents != 1 || c.Passages != 3) {
			t.Errorf("Collections: a counts %d documents, %d passages, want 1, 3", c.Documents, c.Passages)
		}
	}

	if err := s.DeleteCollection(ctx, "a"); err != nil {
		t.Fatalf("DeleteCollection(a): %v", err)
	}
	if _, err := s.Collection(ctx, "a"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("Collection(a) after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Document(ctx, "a", "doc"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("Document in a deleted collection: err = %v, want ErrNotFound", err)
	}
	list, err = s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := collectionNames(list); !slices.Equal(names, []string{"b"}) {
		t.Errorf("Collections after delete = %v, want [b]", names)
	}
	// A collection created again under a deleted name starts empty.
	if _, err := s.CreateCollection(ctx, "a", testSettings); err != nil {
		t.Fatal(err)
	}
	checkDocuments(t, s, "a", newModel())
	checkQuery(t, s, "a", newModel(), ps[0].Vector, 10, vectorstore.Filter{})
}

func collectionNames(list []vectorstore.Collection) []string {
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.Name
	}
	return names
}

func testCollectionNotFound(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	d, ps := h.doc("doc", "v1", 2)
	if err := s.Put(ctx, "c", d, ps); err != nil {
		t.Fatal(err)
	}
	const missing = "missing"
	_, docErr := s.Document(ctx, "c", "no-such-doc")
	_, colErr := s.Collection(ctx, missing)
	_, docsErr := s.Document(ctx, missing, "doc")
	_, _, listErr := s.Documents(ctx, missing, 0, 0)
	_, hashErr := s.Hashes(ctx, missing)
	_, queryErr := s.Query(ctx, missing, h.vector(), 3, vectorstore.Filter{})
	_, delErr := s.Delete(ctx, missing, "doc")
	for name, err := range map[string]error{
		"Document(missing doc)":            docErr,
		"Collection":                       colErr,
		"Document":                         docsErr,
		"Documents":                        listErr,
		"Hashes":                           hashErr,
		"Query":                            queryErr,
		"Delete":                           delErr,
		"Put":                              s.Put(ctx, missing, d, ps),
		"DeleteCollection":                 s.DeleteCollection(ctx, missing),
		"Collection(invalid name \"../\")": func() error { _, err := s.Collection(ctx, "../c"); return err }(),
	} {
		if !errors.Is(err, vectorstore.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
	list, err := s.Collections(ctx)
	if err != nil || !slices.Equal(collectionNames(list), []string{"c"}) {
		t.Errorf("Collections = %v, %v; a failed Put must not create a collection", collectionNames(list), err)
	}
}

func testPutQuery(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	for i := range 10 {
		d, ps := h.doc(fmt.Sprintf("doc-%02d", i), "v1", 2+i%5)
		put(t, s, m, "c", d, ps)
	}
	checkDocuments(t, s, "c", m)
	total := m.passages()
	for _, k := range []int{1, 3, 10, total, total + 1, 1000} {
		for range 4 {
			checkQuery(t, s, "c", m, h.vector(), k, vectorstore.Filter{})
		}
	}
	// A passage's own vector finds it first, with a score of about 1.
	p := m.docs["doc-03"].passages[2]
	hits := checkQuery(t, s, "c", m, p.Vector, 5, vectorstore.Filter{})
	if len(hits) == 0 || hits[0].DocID != "doc-03" || hits[0].Chunk != 2 || hits[0].Score < 0.999 {
		t.Errorf("querying with the vector of doc-03 passage 2: hits = %+v, want doc-03#2 first", hits)
	}
	// The opposite vector scores about -1 and comes last.
	neg := slices.Clone(p.Vector)
	for i := range neg {
		neg[i] = -neg[i]
	}
	hits = checkQuery(t, s, "c", m, neg, 1000, vectorstore.Filter{})
	if len(hits) == 0 {
		t.Fatal("no hits")
	}
	if last := hits[len(hits)-1]; last.DocID != "doc-03" || last.Chunk != 2 || last.Score > -0.999 {
		t.Errorf("querying with the opposite vector: last hit = %s#%d score %v, want doc-03#2 about -1", last.DocID, last.Chunk, last.Score)
	}
	// A query vector need not be exactly unit length.
	scaled := slices.Clone(p.Vector)
	for i := range scaled {
		scaled[i] *= 3
	}
	checkQuery(t, s, "c", m, scaled, 5, vectorstore.Filter{})
}

func testReplace(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	other, ops := h.doc("other", "v1", 3)
	put(t, s, m, "c", other, ops)

	var old [][]float32
	for _, v := range []struct {
		marker string
		n      int
	}{{"v1", 6}, {"v2", 3}, {"v3", 8}, {"v4", 0}, {"v5", 2}} {
		d, ps := h.doc("doc", v.marker, v.n)
		put(t, s, m, "c", d, ps)
		checkDocuments(t, s, "c", m)
		// Query with every vector the document ever had: the hits hold no
		// passage of an older version.
		for _, p := range ps {
			old = append(old, p.Vector)
		}
		for _, q := range old {
			hits := checkQuery(t, s, "c", m, q, 1000, vectorstore.Filter{})
			for _, hit := range hits {
				if hit.DocID == "doc" && !strings.HasPrefix(hit.Text, "doc "+v.marker+" ") {
					t.Errorf("after putting %s: stale passage %q", v.marker, hit.Text)
				}
			}
		}
	}
}

func testDelete(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	m := newModel()
	var vecs [][]float32
	for i := range 6 {
		d, ps := h.doc(fmt.Sprintf("doc-%d", i), "v1", 4)
		put(t, s, m, "c", d, ps)
		for _, p := range ps {
			vecs = append(vecs, p.Vector)
		}
	}
	for _, tc := range []struct {
		ids  []string
		want int
	}{
		{nil, 0},
		{[]string{"nope"}, 0},
		{[]string{"doc-1", "nope", "doc-2", "doc-1"}, 2},
		{[]string{"doc-1"}, 0},
		{[]string{"doc-0", "doc-3", "doc-4", "doc-5"}, 4},
	} {
		n, err := s.Delete(ctx, "c", tc.ids...)
		if err != nil {
			t.Fatalf("Delete(%q): %v", tc.ids, err)
		}
		if n != tc.want {
			t.Errorf("Delete(%q) = %d, want %d", tc.ids, n, tc.want)
		}
		m.delete(tc.ids...)
		checkDocuments(t, s, "c", m)
		for _, v := range vecs {
			checkQuery(t, s, "c", m, v, 1000, vectorstore.Filter{})
		}
		for _, id := range tc.ids {
			if _, err := s.Document(ctx, "c", id); !errors.Is(err, vectorstore.ErrNotFound) {
				t.Errorf("Document(%q) after Delete: err = %v, want ErrNotFound", id, err)
			}
		}
	}
}

func testDocuments(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	m := newModel()
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc-%02d", i)
	}
	shuffled := slices.Clone(ids)
	h.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, id := range shuffled {
		d, ps := h.doc(id, "v1", 1+len(m.docs)%3)
		put(t, s, m, "c", d, ps)
	}
	checkDocuments(t, s, "c", m)
	for _, tc := range []struct {
		offset, limit int
		want          []string
	}{
		{0, 0, ids},
		{0, -1, ids},
		{0, 10, ids[:10]},
		{10, 10, ids[10:20]},
		{20, 10, ids[20:]},
		{24, 0, ids[24:]},
		{25, 10, nil},
		{100, 0, nil},
	} {
		list, total, err := s.Documents(ctx, "c", tc.offset, tc.limit)
		if err != nil {
			t.Fatalf("Documents(%d, %d): %v", tc.offset, tc.limit, err)
		}
		got := make([]string, len(list))
		for i, d := range list {
			got[i] = d.ID
			if d.Text != "" {
				t.Errorf("Documents(%d, %d): %q has text", tc.offset, tc.limit, d.ID)
			}
		}
		if total != len(ids) || !slices.Equal(got, tc.want) {
			t.Errorf("Documents(%d, %d) = %v, total %d; want %v, total %d", tc.offset, tc.limit, got, total, tc.want, len(ids))
		}
	}
	d, err := s.Document(ctx, "c", "doc-07")
	if err != nil || d.Text == "" || d.Text != m.docs["doc-07"].doc.Text {
		t.Errorf("Document(doc-07) = text %q, %v; want its text", d.Text, err)
	}

	// A document stored without an Indexed time gets one.
	nd, nps := h.doc("no-indexed", "v1", 1)
	nd.Indexed = time.Time{}
	put(t, s, m, "c", nd, nps)
	if got, err := s.Document(ctx, "c", "no-indexed"); err != nil || got.Indexed.IsZero() {
		t.Errorf("Document(no-indexed).Indexed = %v, %v; want the time it was stored", got.Indexed, err)
	}
}

func testHashes(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	if hs, err := s.Hashes(ctx, "c"); err != nil || len(hs) != 0 {
		t.Errorf("Hashes of an empty collection = %v, %v", hs, err)
	}
	m := newModel()
	for i := range 5 {
		d, ps := h.doc(fmt.Sprintf("doc-%d", i), "v1", 2)
		put(t, s, m, "c", d, ps)
	}
	d, ps := h.doc("doc-2", "v2", 2)
	put(t, s, m, "c", d, ps)
	if _, err := s.Delete(ctx, "c", "doc-4"); err != nil {
		t.Fatal(err)
	}
	m.delete("doc-4")
	checkDocuments(t, s, "c", m)
}

// filterCorpus stores documents that differ in every filterable field.
func filterCorpus(t *testing.T, h *harness, s vectorstore.Store, m *model) {
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	for i := range 12 {
		d, ps := h.doc(fmt.Sprintf("doc-%02d", i), "v1", 3+i%4)
		d.Title = fmt.Sprintf("Title %d", i%3)
		d.Source = fmt.Sprintf("source-%d.md", i%4)
		d.Author = []string{"ada", "bob", "cy"}[i%3]
		d.Meta = map[string]string{"topic": []string{"go", "rust", "zig", "go"}[i%4]}
		if i%5 == 0 {
			d.Meta["lang"] = "de"
		}
		d.Published = day(1 + i)
		if i == 11 {
			d.Published = time.Time{} // unknown date
		}
		put(t, s, m, "c", d, ps)
	}
}

func testFilters(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	filterCorpus(t, h, s, m)
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		f    vectorstore.Filter
	}{
		{"none", vectorstore.Filter{}},
		{"one doc", vectorstore.Filter{DocIDs: []string{"doc-04"}}},
		{"docs", vectorstore.Filter{DocIDs: []string{"doc-01", "doc-07", "unknown"}}},
		{"unknown doc", vectorstore.Filter{DocIDs: []string{"unknown"}}},
		{"title", vectorstore.Filter{Meta: map[string]string{"title": "Title 1"}}},
		{"source", vectorstore.Filter{Meta: map[string]string{"source": "source-2.md"}}},
		{"author", vectorstore.Filter{Meta: map[string]string{"author": "bob"}}},
		{"custom", vectorstore.Filter{Meta: map[string]string{"topic": "go"}}},
		{"custom and author", vectorstore.Filter{Meta: map[string]string{"topic": "go", "author": "ada"}}},
		{"missing key", vectorstore.Filter{Meta: map[string]string{"lang": "de"}}},
		{"no match", vectorstore.Filter{Meta: map[string]string{"author": "nobody"}}},
		{"after (inclusive)", vectorstore.Filter{After: day(6)}},
		{"before (exclusive)", vectorstore.Filter{Before: day(6)}},
		{"range", vectorstore.Filter{After: day(3), Before: day(9)}},
		{"empty range", vectorstore.Filter{After: day(9), Before: day(3)}},
		{"range and docs", vectorstore.Filter{DocIDs: []string{"doc-00", "doc-05", "doc-06"}, After: day(5)}},
		{"range and author", vectorstore.Filter{Meta: map[string]string{"author": "cy"}, Before: day(10)}},
		// A prefix of ids or of sources (a folder), applied before ranking.
		{"id prefix", vectorstore.Filter{DocPrefix: "doc-0"}},
		{"source prefix", vectorstore.Filter{DocPrefix: "source-2"}},
		{"prefix of nothing", vectorstore.Filter{DocPrefix: "elsewhere/"}},
		{"prefix with a wildcard", vectorstore.Filter{DocPrefix: "doc-1*"}},
		{"prefix and author", vectorstore.Filter{DocPrefix: "doc-1", Meta: map[string]string{"author": "ada"}}},
		{"prefix and docs", vectorstore.Filter{DocPrefix: "doc-0", DocIDs: []string{"doc-01", "doc-10"}}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			if tc.f.Empty() != (tc.name == "none") {
				t.Errorf("Filter.Empty() = %v", tc.f.Empty())
			}
			for _, k := range []int{1, 4, 1000} {
				for range 3 {
					checkQuery(t, s, "c", m, h.vector(), k, tc.f)
				}
			}
		})
	}
}

// testFilterLowRanked checks that a filter is applied before ranking: when
// only the worst-ranked passages match, the query still returns k of them.
func testFilterLowRanked(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	for i := range 30 {
		d, ps := h.doc(fmt.Sprintf("doc-%02d", i), "v1", 8)
		put(t, s, m, "c", d, ps)
	}
	q := h.vector()
	all := m.rank(q, vectorstore.Filter{})
	// The document whose best passage ranks lowest.
	bestRank := map[string]int{}
	for i, r := range all {
		if _, ok := bestRank[r.docID]; !ok {
			bestRank[r.docID] = i
		}
	}
	worst := ""
	for id, r := range bestRank {
		if worst == "" || r > bestRank[worst] {
			worst = id
		}
	}
	t.Logf("best passage of %s ranks %d of %d", worst, bestRank[worst], len(all))
	for _, f := range []vectorstore.Filter{
		{DocIDs: []string{worst}},
		{Meta: map[string]string{"title": m.docs[worst].doc.Title}},
		{Meta: map[string]string{"source": m.docs[worst].doc.Source}},
	} {
		for _, k := range []int{1, 3, 8} {
			hits := checkQuery(t, s, "c", m, q, k, f)
			if len(hits) != k {
				t.Errorf("filter %+v, k=%d: %d hits, want %d", f, k, len(hits), k)
			}
		}
	}
}

func testZeroVectors(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	m := newModel()
	d, ps := h.doc("mixed", "v1", 5)
	ps[0].Vector = make([]float32, dims)
	ps[3].Vector = make([]float32, dims)
	put(t, s, m, "c", d, ps)
	z, zps := h.doc("all-zero", "v1", 3)
	for i := range zps {
		zps[i].Vector = make([]float32, dims)
	}
	put(t, s, m, "c", z, zps)
	checkDocuments(t, s, "c", m) // zero-vector passages count
	for range 10 {
		checkQuery(t, s, "c", m, h.vector(), 1000, vectorstore.Filter{})
	}
	checkQuery(t, s, "c", m, h.vector(), 1000, vectorstore.Filter{DocIDs: []string{"all-zero"}})
	// A zero query vector is similar to nothing.
	hits, err := s.Query(ctx, "c", make([]float32, dims), 10, vectorstore.Filter{})
	if err != nil || len(hits) != 0 {
		t.Errorf("Query with a zero vector = %d hits, %v; want none, no error", len(hits), err)
	}
	// Replacing zero vectors with real ones, and the reverse.
	d2, ps2 := h.doc("mixed", "v2", 4)
	ps2[1].Vector = make([]float32, dims)
	put(t, s, m, "c", d2, ps2)
	z2, zps2 := h.doc("all-zero", "v2", 2)
	put(t, s, m, "c", z2, zps2)
	checkDocuments(t, s, "c", m)
	for range 10 {
		checkQuery(t, s, "c", m, h.vector(), 1000, vectorstore.Filter{})
	}
}

func testInvalidPut(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	m := newModel()
	d, ps := h.doc("doc", "v1", 4)
	put(t, s, m, "c", d, ps)
	other, ops := h.doc("other", "v1", 2)
	put(t, s, m, "c", other, ops)

	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name   string
		id     string
		change func(d *vectorstore.Document, ps []vectorstore.Passage)
	}{
		{"NaN", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[2].Vector[5] = nan }},
		{"NaN in a new document", "new", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[0].Vector[0] = nan }},
		{"Inf", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[1].Vector[0] = inf }},
		{"-Inf", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[3].Vector[0] = -inf }},
		{"too few dimensions", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[1].Vector = ps[1].Vector[:dims-1] }},
		{"too many dimensions", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[3].Vector = append(ps[3].Vector, 0) }},
		{"no vector", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[0].Vector = nil }},
		{"wrong dimensions in a new document", "new", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[0].Vector = ps[0].Vector[:3] }},
		{"negative start", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[0].Start = -1 }},
		{"end past text", "doc", func(d *vectorstore.Document, ps []vectorstore.Passage) { ps[3].End = len(d.Text) + 1 }},
		{"start after end", "doc", func(_ *vectorstore.Document, ps []vectorstore.Passage) { ps[2].Start = ps[2].End + 1 }},
		{"start past text", "doc", func(d *vectorstore.Document, ps []vectorstore.Passage) {
			ps[2].Start, ps[2].End = len(d.Text)+5, len(d.Text)+6
		}},
		{"empty id", "", func(*vectorstore.Document, []vectorstore.Passage) {}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			nd, nps := h.doc(tc.id, "bad", 4)
			tc.change(&nd, nps)
			if err := s.Put(ctx, "c", nd, nps); err == nil {
				t.Fatalf("Put accepted a document with %s", tc.name)
			}
			// The old version is untouched.
			checkDocuments(t, s, "c", m)
			for _, p := range append(slices.Clone(ps), nps...) {
				if len(p.Vector) == dims && finite(p.Vector) {
					checkQuery(t, s, "c", m, p.Vector, 1000, vectorstore.Filter{})
				}
			}
			if _, err := s.Document(ctx, "c", "new"); !errors.Is(err, vectorstore.ErrNotFound) {
				t.Errorf("a rejected new document is stored: err = %v", err)
			}
		})
	}
}

// testCallerOwnsInputs checks that a store keeps its own copy of what Put
// receives and hands out copies: a caller that reuses its buffers, or
// changes what it got back, changes nothing in the store.
func testCallerOwnsInputs(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	d, ps := h.doc("doc", "v1", 4)
	put(t, s, m, "c", d, ps)
	// Reuse the buffers as a caller filling the next batch would.
	for _, p := range ps {
		copy(p.Vector, h.vector())
	}
	d.Meta["lang"] = "changed"
	d.Meta["added"] = "x"
	checkDocuments(t, s, "c", m)
	for _, p := range m.docs["doc"].passages {
		hits := checkQuery(t, s, "c", m, p.Vector, 1, vectorstore.Filter{})
		if len(hits) == 1 && hits[0].Chunk != p.Chunk {
			t.Errorf("query with the stored vector of passage %d found passage %d", p.Chunk, hits[0].Chunk)
		}
	}
	checkQuery(t, s, "c", m, h.vector(), 1000, vectorstore.Filter{Meta: map[string]string{"lang": "en"}})

	ctx := t.Context()
	hits, err := s.Query(ctx, "c", h.vector(), 1, vectorstore.Filter{})
	if err != nil || len(hits) != 1 {
		t.Fatalf("Query = %d hits, %v", len(hits), err)
	}
	hits[0].Meta["lang"] = "from-hit"
	got, err := s.Document(ctx, "c", "doc")
	if err != nil {
		t.Fatal(err)
	}
	got.Meta["lang"] = "from-document"
	list, _, err := s.Documents(ctx, "c", 0, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("Documents = %v, %v", list, err)
	}
	list[0].Meta["lang"] = "from-list"
	checkDocuments(t, s, "c", m)
	checkQuery(t, s, "c", m, h.vector(), 1000, vectorstore.Filter{Meta: map[string]string{"lang": "en"}})
}

// testCanceledContext checks that a canceled context never leaves half a
// document: Put either fails and keeps the old version or stores the new one
// whole, and Query either fails or returns complete results.
func testCanceledContext(t *testing.T, h *harness) {
	s, _ := h.collection()
	m := newModel()
	for i := range 5 {
		d, ps := h.doc(fmt.Sprintf("doc-%d", i), "v1", 6)
		put(t, s, m, "c", d, ps)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, id := range []string{"doc-2", "new"} {
		d, ps := h.doc(id, "v2", 7)
		if err := s.Put(ctx, "c", d, ps); err == nil {
			m.put(d, ps)
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("Put(%s) with a canceled context: err = %v, want context.Canceled or success", id, err)
		}
	}
	checkDocuments(t, s, "c", m)
	for range 5 {
		q := h.vector()
		checkQuery(t, s, "c", m, q, 1000, vectorstore.Filter{})
		hits, err := s.Query(ctx, "c", q, 1000, vectorstore.Filter{})
		if err == nil {
			checkHits(t, hits, m, q, 1000, vectorstore.Filter{})
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("Query with a canceled context: err = %v, want context.Canceled or full results", err)
		}
	}
}

// snapshot is everything a store returns about one collection.
type snapshot struct {
	info    vectorstore.Collection
	docs    []vectorstore.Document
	full    map[string]vectorstore.Document
	hashes  map[string]string
	queries [][]vectorstore.Hit
}

func takeSnapshot(t *testing.T, s vectorstore.Store, coll string, queries []vectorstore.Filter, vecs [][]float32) snapshot {
	t.Helper()
	ctx := t.Context()
	var sn snapshot
	var err error
	if sn.info, err = s.Collection(ctx, coll); err != nil {
		t.Fatalf("Collection(%s): %v", coll, err)
	}
	if sn.docs, _, err = s.Documents(ctx, coll, 0, 0); err != nil {
		t.Fatal(err)
	}
	sn.full = map[string]vectorstore.Document{}
	for _, d := range sn.docs {
		if sn.full[d.ID], err = s.Document(ctx, coll, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	if sn.hashes, err = s.Hashes(ctx, coll); err != nil {
		t.Fatal(err)
	}
	for _, v := range vecs {
		for _, f := range queries {
			hits, err := s.Query(ctx, coll, v, 7, f)
			if err != nil {
				t.Fatal(err)
			}
			sn.queries = append(sn.queries, hits)
		}
	}
	return sn
}

func compareSnapshots(t *testing.T, coll string, got, want snapshot) {
	t.Helper()
	gi, wi := got.info, want.info
	if gi.Name != wi.Name || gi.Settings != wi.Settings || gi.Documents != wi.Documents || gi.Passages != wi.Passages ||
		!gi.Created.Equal(wi.Created) || !gi.Updated.Equal(wi.Updated) {
		t.Errorf("%s: Collection after reopen = %+v, want %+v", coll, gi, wi)
	}
	if len(got.docs) != len(want.docs) {
		t.Fatalf("%s: %d documents after reopen, want %d", coll, len(got.docs), len(want.docs))
	}
	for i := range want.docs {
		if diff := docDiff(got.docs[i], want.docs[i]); diff != "" {
			t.Errorf("%s: Documents[%d] after reopen: %s", coll, i, diff)
		}
		id := want.docs[i].ID
		if diff := docDiff(got.full[id], want.full[id]); diff != "" {
			t.Errorf("%s: Document(%s) after reopen: %s", coll, id, diff)
		}
	}
	if !maps.Equal(got.hashes, want.hashes) {
		t.Errorf("%s: Hashes after reopen = %v, want %v", coll, got.hashes, want.hashes)
	}
	for i := range want.queries {
		g, w := got.queries[i], want.queries[i]
		if len(g) != len(w) {
			t.Errorf("%s: query %d: %d hits after reopen, want %d", coll, i, len(g), len(w))
			continue
		}
		for j := range w {
			if g[j].DocID != w[j].DocID || !passageEqual(g[j].Passage, w[j].Passage) ||
				math.Abs(float64(g[j].Score-w[j].Score)) > 1e-6 || g[j].Title != w[j].Title || !g[j].Published.Equal(w[j].Published) ||
				!maps.Equal(g[j].Meta, w[j].Meta) {
				t.Errorf("%s: query %d hit %d after reopen = %s#%d %v %q, want %s#%d %v %q", coll, i, j,
					g[j].DocID, g[j].Chunk, g[j].Score, g[j].Text, w[j].DocID, w[j].Chunk, w[j].Score, w[j].Text)
			}
		}
	}
}

func passageEqual(a, b vectorstore.Passage) bool {
	return a.Chunk == b.Chunk && a.Start == b.Start && a.End == b.End && a.LineStart == b.LineStart &&
		a.LineEnd == b.LineEnd && a.Text == b.Text
}

func testReopen(t *testing.T, h *harness) {
	ctx := t.Context()
	s, closeFirst := h.store()
	ms := map[string]*model{"main": newModel(), "second": newModel()}
	for name := range ms {
		if _, err := s.CreateCollection(ctx, name, testSettings); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateCollection(ctx, "gone", testSettings); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		d, ps := h.doc(fmt.Sprintf("doc-%02d", i), "v1", 1+i%5)
		if i == 3 {
			ps[0].Vector = make([]float32, dims)
		}
		if i == 4 {
			d.Published, d.Meta = time.Time{}, nil
			d.Skip, d.Lines, d.LayoutRecorded = nil, nil, false // as stored before layouts were
			d.Pages, d.Chapters = nil, nil                      // and before pages
		}
		put(t, s, ms["main"], "main", d, ps)
	}
	d, ps := h.doc("doc-05", "v2", 3)
	put(t, s, ms["main"], "main", d, ps)
	if _, err := s.Delete(ctx, "main", "doc-06"); err != nil {
		t.Fatal(err)
	}
	ms["main"].delete("doc-06")
	d, ps = h.doc("only", "v1", 2)
	put(t, s, ms["second"], "second", d, ps)
	if d, ps := h.doc("doomed", "v1", 2); s.Put(ctx, "gone", d, ps) != nil {
		t.Fatal("Put into gone failed")
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCollection(ctx, "gone"); err != nil {
		t.Fatal(err)
	}

	filters := []vectorstore.Filter{{}, {Meta: map[string]string{"author": "author-0"}}, {DocIDs: []string{"doc-01", "doc-05", "only"}}}
	vecs := [][]float32{h.vector(), h.vector(), h.vector(), ms["main"].docs["doc-05"].passages[1].Vector}
	before := map[string]snapshot{}
	for name, m := range ms {
		checkDocuments(t, s, name, m)
		before[name] = takeSnapshot(t, s, name, filters, vecs)
	}
	list, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closeFirst()

	for round := range 2 { // reopen twice: a store reopened and closed unchanged still holds everything
		s2, close2 := h.store()
		list2, err := s2.Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(collectionNames(list2), collectionNames(list)) {
			t.Errorf("round %d: Collections after reopen = %v, want %v", round, collectionNames(list2), collectionNames(list))
		}
		for name, m := range ms {
			compareSnapshots(t, name, takeSnapshot(t, s2, name, filters, vecs), before[name])
			checkDocuments(t, s2, name, m)
			for _, v := range vecs {
				checkQuery(t, s2, name, m, v, 1000, vectorstore.Filter{})
			}
		}
		if _, err := s2.Collection(ctx, "gone"); !errors.Is(err, vectorstore.ErrNotFound) {
			t.Errorf("round %d: deleted collection after reopen: err = %v, want ErrNotFound", round, err)
		}
		close2()
	}

	// A reopened store takes writes, and they persist too.
	s3, close3 := h.store()
	d, ps = h.doc("doc-01", "v3", 4)
	put(t, s3, ms["main"], "main", d, ps)
	d, ps = h.doc("late", "v1", 2)
	put(t, s3, ms["main"], "main", d, ps)
	close3()
	s4, _ := h.store()
	checkDocuments(t, s4, "main", ms["main"])
	for _, v := range vecs {
		checkQuery(t, s4, "main", ms["main"], v, 1000, vectorstore.Filter{})
	}
}

// testReopenEmptyCollection checks collections that hold no vectors when
// closed: created and never written, emptied by Delete, or holding only
// zero vectors. After reopening they must take writes.
func testReopenEmptyCollection(t *testing.T, h *harness) {
	ctx := t.Context()
	s, closeFirst := h.store()
	names := []string{"fresh", "emptied", "zeros"}
	for _, name := range names {
		if _, err := s.CreateCollection(ctx, name, testSettings); err != nil {
			t.Fatal(err)
		}
	}
	d, ps := h.doc("doc", "v1", 3)
	if err := s.Put(ctx, "emptied", d, ps); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "emptied", "doc"); err != nil {
		t.Fatal(err)
	}
	mz := newModel()
	zd, zps := h.doc("zero", "v1", 2)
	for i := range zps {
		zps[i].Vector = make([]float32, dims)
	}
	put(t, s, mz, "zeros", zd, zps)
	closeFirst()

	s2, _ := h.store()
	for _, name := range names {
		m := newModel()
		if name == "zeros" {
			m = mz
		}
		checkDocuments(t, s2, name, m)
		checkQuery(t, s2, name, m, h.vector(), 10, vectorstore.Filter{})
		d, ps := h.doc("after-reopen", "v1", 3)
		put(t, s2, m, name, d, ps)
		checkDocuments(t, s2, name, m)
		checkQuery(t, s2, name, m, ps[1].Vector, 10, vectorstore.Filter{})
	}
}

func testFlush(t *testing.T, h *harness) {
	ctx := t.Context()
	s, closeFirst := h.store()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush of an empty store: %v", err)
	}
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	m := newModel()
	for i := range 3 {
		d, ps := h.doc(fmt.Sprintf("doc-%d", i), "v1", 3)
		put(t, s, m, "c", d, ps)
	}
	for i := range 3 {
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
	}
	checkDocuments(t, s, "c", m)
	d, ps := h.doc("doc-1", "v2", 2)
	put(t, s, m, "c", d, ps)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	closeFirst()
	s2, _ := h.store()
	checkDocuments(t, s2, "c", m)
	if err := s2.Flush(ctx); err != nil {
		t.Fatalf("Flush of a reopened, unchanged store: %v", err)
	}
	checkQuery(t, s2, "c", m, ps[0].Vector, 100, vectorstore.Filter{})
}

// testConcurrent runs queries and reads while other goroutines replace,
// delete and flush. Every version of a document has its own marker and
// passage count ("v<seq>/<n>") in each passage text and in its hash, so a
// reader can tell whether what it sees is one whole version.
func testConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	s, _ := h.collection()
	const (
		docs    = 12
		writers = 2
		readers = 3
		rounds  = 60
	)
	id := func(i int) string { return fmt.Sprintf("doc-%02d", i) }
	putVersion := func(rng *rand.Rand, i, seq int) error {
		n := 1 + seq%5
		d, ps := makeDoc(rng, id(i), fmt.Sprintf("v%d/%d", seq, n), n)
		return s.Put(ctx, "c", d, ps)
	}
	for i := range docs {
		if err := putVersion(h.rng, i, 0); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg   sync.WaitGroup
		done = make(chan struct{})
		mu   sync.Mutex
		errs int
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for r := range rounds {
				i := w + writers*rng.IntN(docs/writers) // each writer owns its documents
				if r%7 == 3 {
					if _, err := s.Delete(ctx, "c", id(i)); err != nil {
						fail("Delete: %v", err)
					}
					continue
				}
				if err := putVersion(rng, i, 1+r); err != nil {
					fail("Put: %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := s.Flush(ctx); err != nil {
				fail("Flush: %v", err)
			}
			time.Sleep(time.Millisecond)
		}
	})
	for r := range readers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-done:
					return
				default:
				}
				hits, err := s.Query(ctx, "c", unitVector(rng), 1000, vectorstore.Filter{})
				if err != nil {
					fail("Query: %v", err)
					continue
				}
				checkVersions(fail, hits)
				for i := range docs {
					d, err := s.Document(ctx, "c", id(i))
					if errors.Is(err, vectorstore.ErrNotFound) {
						continue
					}
					if err != nil {
						fail("Document: %v", err)
						continue
					}
					marker, n := parseMarker(strings.TrimPrefix(d.Hash, "hash-"+d.ID+"-"))
					if d.Passages != n || !strings.HasPrefix(d.Text, d.ID+" "+marker+" ") {
						fail("Document(%s): hash %s, %d passages, text %.30q: fields from different versions", d.ID, d.Hash, d.Passages, d.Text)
					}
				}
				if _, _, err := s.Documents(ctx, "c", 0, 5); err != nil {
					fail("Documents: %v", err)
				}
				if _, err := s.Hashes(ctx, "c"); err != nil {
					fail("Hashes: %v", err)
				}
				if _, err := s.Collection(ctx, "c"); err != nil {
					fail("Collection: %v", err)
				}
			}
		})
	}
	writersWG.Wait()
	close(done)
	wg.Wait()
	// After the writers stop, the collection is consistent.
	hits, err := s.Query(ctx, "c", h.vector(), 1000, vectorstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	checkVersions(fail, hits)
	c, err := s.Collection(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != c.Passages {
		t.Errorf("a query for all passages returned %d, collection counts %d", len(hits), c.Passages)
	}
}

// checkVersions checks that a query for every passage returned, for each
// document, all passages of exactly one version.
func checkVersions(fail func(string, ...any), hits []vectorstore.Hit) {
	byDoc := map[string]map[string]int{}
	for _, h := range hits {
		f := strings.Fields(h.Text)
		if len(f) < 2 {
			fail("hit text %q has no marker", h.Text)
			continue
		}
		if byDoc[h.DocID] == nil {
			byDoc[h.DocID] = map[string]int{}
		}
		byDoc[h.DocID][f[1]]++
	}
	for id, versions := range byDoc {
		if len(versions) != 1 {
			fail("one query returned passages of %s from versions %v", id, versions)
			continue
		}
		for marker, got := range versions {
			if _, n := parseMarker(marker); got != n {
				fail("one query returned %d of the %d passages of %s version %s", got, n, id, marker)
			}
		}
	}
}

// parseMarker splits "v<seq>/<n>" into the marker and n.
func parseMarker(marker string) (string, int) {
	_, count, _ := strings.Cut(marker, "/")
	n, _ := strconv.Atoi(count)
	return marker, n
}

// testReplaceCollection stages collections and switches them in with
// ReplaceCollection: the target then holds exactly the staged documents and
// settings, the staged name is gone, and both stay so after reopening; a
// second switch and a switch onto a new name work too.
func testReplaceCollection(t *testing.T, h *harness) {
	ctx := t.Context()
	s, closeFirst := h.collection()
	old := newModel()
	for i := range 6 {
		d, ps := h.doc(fmt.Sprintf("doc-%02d", i), "old", 1+i%3)
		put(t, s, old, "c", d, ps)
	}
	staged := vectorstore.Settings{Model: "storetest-other", Dimensions: dims, Chunking: "words size=3"}
	stage := func(name, marker string, n int) *model {
		t.Helper()
		if _, err := s.CreateCollection(ctx, name, staged); err != nil {
			t.Fatal(err)
		}
		m := newModel()
		for i := range n {
			d, ps := h.doc(fmt.Sprintf("doc-%02d", i+2), marker, 2+i%2)
			put(t, s, m, name, d, ps)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		return m
	}
	check := func(s vectorstore.Store, name string, m *model, gone string) {
		t.Helper()
		c, err := s.Collection(ctx, name)
		if err != nil {
			t.Fatalf("Collection(%q) after the switch: %v", name, err)
		}
		if c.Settings != staged {
			t.Errorf("Collection(%q) settings %+v, want the staged %+v", name, c.Settings, staged)
		}
		checkDocuments(t, s, name, m)
		for range 3 {
			checkQuery(t, s, name, m, h.vector(), 1000, vectorstore.Filter{})
		}
		if _, err := s.Collection(ctx, gone); !errors.Is(err, vectorstore.ErrNotFound) {
			t.Errorf("Collection(%q) after it was switched in: err = %v, want ErrNotFound", gone, err)
		}
	}
	m := stage("c-stage", "new", 7)
	if err := s.ReplaceCollection(ctx, "c", "c-stage"); err != nil {
		t.Fatalf("ReplaceCollection: %v", err)
	}
	check(s, "c", m, "c-stage")
	// The switched collection takes writes.
	d, ps := h.doc("late", "v1", 2)
	put(t, s, m, "c", d, ps)
	if _, err := s.Delete(ctx, "c", "doc-03"); err != nil {
		t.Fatal(err)
	}
	m.delete("doc-03")
	check(s, "c", m, "c-stage")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	closeFirst()

	s, closeSecond := h.store()
	check(s, "c", m, "c-stage")
	// Again, with the same staging name, and onto a name that does not exist.
	m = stage("c-stage", "newer", 4)
	if err := s.ReplaceCollection(ctx, "c", "c-stage"); err != nil {
		t.Fatalf("second ReplaceCollection: %v", err)
	}
	check(s, "c", m, "c-stage")
	fresh := stage("f-stage", "fresh", 3)
	if err := s.ReplaceCollection(ctx, "f", "f-stage"); err != nil {
		t.Fatalf("ReplaceCollection onto a new name: %v", err)
	}
	check(s, "f", fresh, "f-stage")
	if err := s.ReplaceCollection(ctx, "c", "missing"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("ReplaceCollection from a missing collection: err = %v, want ErrNotFound", err)
	}
	check(s, "c", m, "c-stage")
	list, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := collectionNames(list); !slices.Equal(names, []string{"c", "f"}) {
		t.Errorf("Collections = %v, want [c f]", names)
	}
	closeSecond()
	s, _ = h.store()
	check(s, "c", m, "c-stage")
	check(s, "f", fresh, "f-stage")
	// Deleting a switched collection removes it.
	if err := s.DeleteCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Collection(ctx, "c"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("deleted switched collection: err = %v", err)
	}
	check(s, "f", fresh, "f-stage")
}
