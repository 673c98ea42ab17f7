package transfer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
	"github.com/semsearch/semsearch/internal/vectorstore/transfer"
)

var settings4 = vectorstore.Settings{Model: "m", Dimensions: 4, Chunking: "lines"}

// fill puts n documents of three passages each into collection c of s,
// creating it; tag goes into every text, so two fills differ.
func fill(t *testing.T, s vectorstore.Store, c string, n int, tag string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.CreateCollection(ctx, c, settings4); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(len(tag))))
	for d := range n {
		var text strings.Builder
		ps := make([]vectorstore.Passage, 3)
		for i := range ps {
			st := text.Len()
			fmt.Fprintf(&text, "%s doc %d passage %d\n", tag, d, i)
			ps[i] = vectorstore.Passage{Chunk: i, Start: st, End: text.Len() - 1, LineStart: i + 1, LineEnd: i + 1, Vector: storebench.UnitVector(rng, 4)}
		}
		doc := vectorstore.Document{ID: fmt.Sprintf("d%d", d), Source: "s", Title: tag, Hash: tag + fmt.Sprint(d), Text: text.String()}
		if err := s.Put(ctx, c, doc, ps); err != nil {
			t.Fatal(err)
		}
	}
}

// state is what a store holds, for comparing before and after an import.
func state(t *testing.T, s vectorstore.Store) string {
	t.Helper()
	ctx := t.Context()
	cols, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cols {
		h, err := s.Hashes(ctx, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.Query(ctx, c.Name, []float32{0.5, 0.5, 0.5, 0.5}, 1000, vectorstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d docs %d passages %v %d hits\n", c.Name, c.Documents, c.Passages, h, len(hits))
	}
	return b.String()
}

// exportOf returns the export of a collection of n documents.
func exportOf(t *testing.T, n int) []byte {
	t.Helper()
	src := open(t)
	fill(t, src, "c", n, "new")
	var buf bytes.Buffer
	if _, err := transfer.Export(t.Context(), src, "c", &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExport_endLine: an export's header says version 4 and its last line
// counts the documents and passages and holds the sha256 of every byte
// before it.
func TestExport_endLine(t *testing.T) {
	data := exportOf(t, 5)
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("the export does not end with a newline")
	}
	lines = lines[:len(lines)-1]
	if len(lines) != 7 {
		t.Fatalf("%d lines, want header, 5 documents and the end line", len(lines))
	}
	var h struct {
		Type      string `json:"type"`
		Version   int    `json:"version"`
		Documents int    `json:"documents"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil || h.Type != "collection" || h.Version != 4 || h.Documents != 5 {
		t.Errorf("header = %+v, %v; want collection version 4 with 5 documents", h, err)
	}
	var end struct {
		Type      string `json:"type"`
		Documents int    `json:"documents"`
		Passages  int    `json:"passages"`
		SHA256    string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(lines[6]), &end); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.Join(lines[:6], "")))
	if want := hex.EncodeToString(sum[:]); end.Type != "end" || end.Documents != 5 || end.Passages != 15 || end.SHA256 != want {
		t.Errorf("end line = %+v, want end, 5 documents, 15 passages, sha256 %s", end, want)
	}
}

// TestImport_damaged: a truncated, cut, edited or unknown export fails
// with a message naming what is wrong, and leaves the store as it was,
// whether the target collection exists or not.
func TestImport_damaged(t *testing.T) {
	good := exportOf(t, 6)
	lines := strings.SplitAfter(string(good), "\n")
	lines = lines[:len(lines)-1] // header, 6 documents, end
	join := func(ls ...[]string) []byte {
		var b strings.Builder
		for _, l := range ls {
			b.WriteString(strings.Join(l, ""))
		}
		return []byte(b.String())
	}
	// v1: today's format, without version and end line.
	var hdr map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &hdr); err != nil {
		t.Fatal(err)
	}
	delete(hdr, "version")
	b, _ := json.Marshal(hdr)
	v1 := string(b) + "\n"
	edited := strings.Replace(lines[3], "passage 1", "passage 7", 1)
	if edited == lines[3] {
		t.Fatal("no text to edit")
	}
	var end map[string]any
	if err := json.Unmarshal([]byte(lines[7]), &end); err != nil {
		t.Fatal(err)
	}
	end["documents"] = 5.0
	b, _ = json.Marshal(end)
	badCount := string(b) + "\n"

	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"whole lines, v2", join(lines[:4]), []string{"truncated", "promises 6 documents", "holds 3", "no end line", "re-export"}},
		{"end line missing", join(lines[:7]), []string{"truncated", "no end line"}},
		{"cut mid-line", append(join(lines[:4]), lines[4][:len(lines[4])/2]...), []string{"cut mid-line", "line 5", "re-export"}},
		{"cut mid end line", append(join(lines[:7]), lines[7][:20]...), []string{"cut mid-line", "line 8"}},
		{"header only, cut", []byte(lines[0][:30]), []string{"cut mid-line", "line 1"}},
		{"empty", nil, []string{"empty"}},
		{"edited", join(lines[:3], []string{edited}, lines[4:]), []string{"checksum", "re-export"}},
		{"end counts", join(lines[:7], []string{badCount}), []string{"end line counts 5 documents", "holds 6"}},
		{"after end", join(lines, lines[1:2]), []string{"line 9", "after the end line"}},
		{"future version", []byte(strings.Replace(string(good), `"version":4`, `"version":5`, 1)), []string{"version 5", "upgrade"}},
		{"v1 whole lines", join([]string{v1}, lines[1:4]), []string{"truncated", "promises 6 documents", "holds 3", "re-export"}},
		{"v1 cut mid-line", append(join([]string{v1}, lines[1:4]), lines[4][:40]...), []string{"cut mid-line", "line 5"}},
		{"v1 with an end line", join([]string{v1}, lines[1:]), []string{"line 8", "end line", "version 1"}},
	}
	for _, tt := range tests {
		for _, target := range []string{"c", "fresh"} {
			t.Run(tt.name+" into "+target, func(t *testing.T) {
				dst := open(t)
				fill(t, dst, "c", 4, "old")
				before := state(t, dst)
				_, st, err := transfer.Import(t.Context(), dst, bytes.NewReader(tt.data), target)
				if err == nil {
					t.Fatalf("Import succeeded (%+v)", st)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not say %q: %v", w, err)
					}
				}
				if !strings.Contains(err.Error(), "nothing was imported") {
					t.Errorf("error does not say nothing was imported: %v", err)
				}
				if after := state(t, dst); after != before {
					t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
				}
				if st != (transfer.Stats{}) {
					t.Errorf("stats = %+v, want none imported", st)
				}
			})
		}
	}
	// The intact file and its v1 form import.
	for name, data := range map[string][]byte{"v2": good, "v1": join([]string{v1}, lines[1:7])} {
		dst := open(t)
		if _, st, err := transfer.Import(t.Context(), dst, bytes.NewReader(data), ""); err != nil || st.Documents != 6 || st.Passages != 18 {
			t.Errorf("%s: Import = %+v, %v", name, st, err)
		}
	}
}

// failingStore fails Put number n+1, and every later one when broken.
type failingStore struct {
	vectorstore.Store
	n      int
	broken bool
}

func (f *failingStore) Put(ctx context.Context, c string, d vectorstore.Document, ps []vectorstore.Passage) error {
	f.n--
	if f.n == -1 || (f.n < -1 && f.broken) {
		return errors.New("no space left on device")
	}
	return f.Store.Put(ctx, c, d, ps)
}

// TestImport_applyFails: when the store fails while applying a verified
// export, the import takes back what it applied (a collection it created
// is removed; in an existing one added documents are deleted and replaced
// ones put back), and says so; when taking back fails too, the error and
// the stats say what stays imported.
func TestImport_applyFails(t *testing.T) {
	data := exportOf(t, 6) // d0..d5, "new"
	for _, tt := range []struct {
		name, target string
		broken       bool
		want         string
		stats        transfer.Stats
	}{
		{"new collection", "fresh", false, "the new collection was removed again", transfer.Stats{}},
		{"new collection, store stays broken", "fresh", true, "the new collection was removed again", transfer.Stats{}},
		{"existing collection", "c", false, "the 3 documents stored before the failure were taken back", transfer.Stats{}},
		{"existing collection, store stays broken", "c", true, "3 documents imported before the failure failed too", transfer.Stats{Documents: 3, Passages: 9}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := open(t)
			fill(t, dst, "c", 4, "old") // d0..d3: the import replaces 4 and adds 2
			before := state(t, dst)
			_, st, err := transfer.Import(t.Context(), &failingStore{Store: dst, n: 3, broken: tt.broken}, bytes.NewReader(data), tt.target)
			if err == nil || !strings.Contains(err.Error(), "line 5: put") && !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), tt.want) || st != tt.stats {
				t.Fatalf("Import = %+v, %v; want %+v and %q", st, err, tt.stats, tt.want)
			}
			if tt.stats != (transfer.Stats{}) {
				return
			}
			if after := state(t, dst); after != before {
				t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
			}
			// The replaced documents are back whole: text and passages.
			doc, hits, err := vectorstore.DocumentPassages(t.Context(), dst, "c", "d1")
			if err != nil || doc.Title != "old" || len(hits) != 3 || hits[2].Text != "old doc 1 passage 2" {
				t.Errorf("d1 after the rollback = %+v %+v, %v", doc, hits, err)
			}
		})
	}
}

// TestImport_v1Fixture imports an export written by semsearch before the
// format had a version (testdata/export-v1.jsonl, two articles indexed
// with a fake 8-dimensional embedder) and checks what it holds.
func TestImport_v1Fixture(t *testing.T) {
	ctx := t.Context()
	f, err := os.Open("testdata/export-v1.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dst := open(t)
	h, st, err := transfer.Import(ctx, dst, f, "")
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "news" || h.Settings.Dimensions != 8 || h.Settings.Model != "fake" || st != (transfer.Stats{Documents: 2, Passages: 3}) {
		t.Fatalf("Import = %+v %+v", h, st)
	}
	c, err := dst.Collection(ctx, "news")
	if err != nil || c.Documents != 2 || c.Passages != 3 || c.Settings != h.Settings {
		t.Fatalf("collection = %+v, %v", c, err)
	}
	doc, hits, err := vectorstore.DocumentPassages(ctx, dst, "news", "bees.md")
	if err != nil {
		t.Fatal(err)
	}
	want := vectorstore.Document{ID: "bees.md", Source: "/tmp/TestGenFixtureV1766638040/002/bees.md", Format: "markdown", Title: "Bees in the city",
		Author: "Ana Lima", Published: time.Date(2017, 5, 10, 0, 0, 0, 0, time.UTC), Meta: map[string]string{"tags": `["bees","cities"]`},
		Hash: "3c65ec04bcfa9c0e1c86ec09efa45704f67d6451790d7a3ca1a759b3230b36ac", Passages: 2}
	gotDoc := doc
	gotDoc.Text, gotDoc.Indexed = "", time.Time{}
	gotDoc.Published = gotDoc.Published.UTC()
	if !reflect.DeepEqual(gotDoc, want) || !strings.HasSuffix(doc.Text, "Hives need water and flowers nearby.\n") {
		t.Errorf("bees.md = %+v", doc)
	}
	if len(hits) != 2 || hits[0].Text != "Urban beekeeping grows on rooftops." || hits[1].LineStart != 10 {
		t.Fatalf("bees.md passages = %+v", hits)
	}
	wantVec := []float32{-0.4206181, 0.2739679, 0.1531935, -0.64515704, -0.01656501, -0.3082436, 0.40981072, -0.21235068}
	for i, x := range hits[1].Vector {
		if math.Abs(float64(x-wantVec[i])) > 1e-5 {
			t.Fatalf("bees.md passage 1 vector = %v, want %v", hits[1].Vector, wantVec)
		}
	}
	// The vectors search: the passage's own vector finds it first.
	found, err := dst.Query(ctx, "news", wantVec, 1, vectorstore.Filter{})
	if err != nil || len(found) != 1 || found[0].DocID != "bees.md" || found[0].Chunk != 1 {
		t.Errorf("Query = %+v, %v", found, err)
	}
	if d, err := dst.Document(ctx, "news", "chips.txt"); err != nil || d.Title != "Chip makers" || d.Passages != 1 {
		t.Errorf("chips.txt = %+v, %v", d, err)
	}
}

// TestImport_v2Fixture imports an export written by semsearch before
// collections recorded how they were embedded (testdata/export-v2.jsonl,
// made from cmd/semsearch/testdata/datadir-v4) and checks that it reads
// whole, with the settings it holds and nothing invented.
func TestImport_v2Fixture(t *testing.T) {
	ctx := t.Context()
	f, err := os.Open("testdata/export-v2.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dst := open(t)
	h, st, err := transfer.Import(ctx, dst, f, "")
	if err != nil {
		t.Fatal(err)
	}
	want := vectorstore.Settings{Model: "fake", ModelDigest: "fakedigest", Dimensions: 8, Chunking: "words size=120 overlap=30 max=200 title=true"}
	if h.Version != 2 || h.Settings != want || st != (transfer.Stats{Documents: 4, Passages: 4}) {
		t.Fatalf("Import = %+v %+v", h, st)
	}
	c, err := dst.Collection(ctx, "default")
	if err != nil || c.Documents != 4 || c.Settings != want {
		t.Fatalf("collection = %+v, %v", c, err)
	}
	if d, err := dst.Document(ctx, "default", "note1"); err != nil || d.Title != "Permit note" {
		t.Errorf("note1 = %+v, %v", d, err)
	}
}

// TestImport_v3Fixture imports an export written before documents carried
// pages and chapters (testdata/export-v3.jsonl, made by the binary of
// commit 11ac24b from cmd/semsearch/testdata/datadir-v5): it reads whole,
// its documents without pages.
func TestImport_v3Fixture(t *testing.T) {
	ctx := t.Context()
	f, err := os.Open("testdata/export-v3.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dst := open(t)
	h, st, err := transfer.Import(ctx, dst, f, "")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 3 || h.Settings.Model != "fake" || st != (transfer.Stats{Documents: 4, Passages: 4}) {
		t.Fatalf("Import = %+v %+v", h, st)
	}
	d, err := dst.Document(ctx, "default", "note1")
	if err != nil || d.Title != "Permit note" || d.Pages != nil || d.Chapters != nil {
		t.Errorf("note1 = %+v, %v", d, err)
	}
}

// TestExport_pages: a document's pages and chapters travel through an
// export and an import, and the imported hits are cited by them.
func TestExport_pages(t *testing.T) {
	ctx := t.Context()
	src := open(t)
	if _, err := src.CreateCollection(ctx, "c", settings4); err != nil {
		t.Fatal(err)
	}
	text := "page one text\n\npage two text"
	doc := vectorstore.Document{ID: "r.pdf", Source: "r.pdf", Format: "pdf", Hash: "h", Text: text,
		Pages: []int{0, 15}, Chapters: []article.Chapter{{Start: 0, Title: "One"}, {Start: 15, Title: "Two"}}}
	ps := []vectorstore.Passage{
		{Chunk: 0, Start: 0, End: 13, LineStart: 1, LineEnd: 1, Vector: []float32{1, 0, 0, 0}},
		{Chunk: 1, Start: 15, End: len(text), LineStart: 1, LineEnd: 1, Vector: []float32{0, 1, 0, 0}},
	}
	if err := src.Put(ctx, "c", doc, ps); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := transfer.Export(ctx, src, "c", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"pages":[0,15]`) {
		t.Fatalf("export has no pages:\n%s", buf.String())
	}
	dst := open(t)
	if _, _, err := transfer.Import(ctx, dst, bytes.NewReader(buf.Bytes()), ""); err != nil {
		t.Fatal(err)
	}
	d, err := dst.Document(ctx, "c", "r.pdf")
	if err != nil || !reflect.DeepEqual(d.Pages, doc.Pages) || !reflect.DeepEqual(d.Chapters, doc.Chapters) {
		t.Fatalf("imported document = %+v, %v", d, err)
	}
	hits, err := dst.Query(ctx, "c", []float32{0, 1, 0, 0}, 1, vectorstore.Filter{})
	if err != nil || len(hits) != 1 || hits[0].PageStart != 2 || hits[0].PageEnd != 2 || hits[0].Chapter != "Two" || hits[0].Format != "pdf" {
		t.Fatalf("hits = %+v, %v", hits, err)
	}
}
