package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
	"github.com/semsearch/semsearch/internal/vectorstore/transfer"
)

const chromemDims = 16

// chromemSource is a collection of 30 documents of 5 passages, with
// front matter, one passage without a vector and vectors that are not
// unit length (chromem-go normalises them).
func chromemSource(t *testing.T) vectorstore.Store {
	t.Helper()
	ctx := t.Context()
	s := open(t)
	set := vectorstore.Settings{Model: "m", Dimensions: chromemDims, Chunking: "lines", QueryPrefix: "q: "}
	if _, err := s.CreateCollection(ctx, "c", set); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for d := range 30 {
		var text strings.Builder
		ps := make([]vectorstore.Passage, 5)
		for i := range ps {
			st := text.Len()
			fmt.Fprintf(&text, "doc %d passage %d", d, i)
			v := storebench.UnitVector(rng, chromemDims)
			for j := range v {
				v[j] *= 3
			}
			if d == 4 && i == 2 {
				v = make([]float32, chromemDims) // nothing the model knew
			}
			ps[i] = vectorstore.Passage{Chunk: i, Start: st, End: text.Len(), LineStart: 2*i + 1, LineEnd: 2*i + 1, Vector: v}
			text.WriteString("\n\n")
		}
		doc := vectorstore.Document{ID: fmt.Sprintf("d%02d", d), Source: fmt.Sprintf("s%d.md", d%3), Title: fmt.Sprintf("Title %d", d), Hash: fmt.Sprint("h", d),
			Text: text.String(), Meta: map[string]string{"tags": `["x"]`, "lang": "en"}, Published: time.Date(2020, 1, d+1, 0, 0, 0, 0, time.UTC)}
		if err := s.Put(ctx, "c", doc, ps); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestExportChromem_queriedByChromemAlone exports a collection in the
// chromem-go format, loads the file with chromem.NewDB().ImportFromFile
// and queries it with chromem-go alone: the top 10 are the store's vector
// search top 10, in order, with the same scores, texts and fields, with
// and without a metadata filter. chromem-go orders by similarity only (ties
// in no set order), so the vectors are random: no two scores tie.
func TestExportChromem_queriedByChromemAlone(t *testing.T) {
	ctx := t.Context()
	s := chromemSource(t)
	path := filepath.Join(t.TempDir(), "c.gob.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := transfer.ExportChromem(ctx, s, "c", f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || st.Documents != 30 || st.Passages != 150 || st.Unvectored != 1 {
		t.Fatalf("ExportChromem = %+v, %v; want 30 documents, 150 passages, 1 without a vector", st, err)
	}
	if head, _ := os.ReadFile(path); len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		t.Fatalf("the export is not gzip-compressed")
	}

	db := chromem.NewDB()
	if err := db.ImportFromFile(path, ""); err != nil {
		t.Fatal(err)
	}
	col := db.GetCollection("c", nil)
	if col == nil {
		t.Fatalf("chromem-go finds no collection c; it has %v", db.ListCollections())
	}
	if col.Count() != 149 {
		t.Errorf("chromem-go holds %d documents, want the 149 passages with a vector", col.Count())
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for q := range 20 {
		v := storebench.UnitVector(rng, chromemDims)
		for j := range v {
			v[j] *= 0.5 // chromem-go normalises the query too
		}
		for _, tc := range []struct {
			name  string
			where map[string]string
			f     vectorstore.Filter
		}{
			{"all", nil, vectorstore.Filter{}},
			{"source", map[string]string{"source": "s1.md"}, vectorstore.Filter{Meta: map[string]string{"source": "s1.md"}}},
		} {
			want, err := s.Query(ctx, "c", v, 10, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := col.QueryEmbedding(ctx, v, 10, tc.where, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(want) != 10 {
				t.Fatalf("query %d %s: chromem-go returned %d results, the store %d (want 10)", q, tc.name, len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.ID != transfer.ChromemID(w.DocID, w.Chunk) || g.Content != w.Text || abs32(g.Similarity-w.Score) > 1e-5 {
					t.Errorf("query %d %s result %d: chromem-go %s %.6f %q, store %s#%d %.6f %q", q, tc.name, i, g.ID, g.Similarity, g.Content, w.DocID, w.Chunk, w.Score, w.Text)
				}
				if g.Metadata["doc_id"] != w.DocID || g.Metadata["title"] != w.Title || g.Metadata["source"] != w.Source ||
					g.Metadata["lang"] != "en" || g.Metadata["line_start"] != fmt.Sprint(w.LineStart) || g.Metadata["published"] != w.Published.Format(time.RFC3339) {
					t.Errorf("query %d %s result %d: metadata %v, want the fields of %s#%d", q, tc.name, i, g.Metadata, w.DocID, w.Chunk)
				}
			}
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestImportChromem_roundTrip imports a chromem-go export written by
// ExportChromem: the settings, documents' fields and passages come back,
// and vector search gives the same results.
func TestImportChromem_roundTrip(t *testing.T) {
	ctx := t.Context()
	src := chromemSource(t)
	var buf bytes.Buffer
	if _, err := transfer.ExportChromem(ctx, src, "c", &buf); err != nil {
		t.Fatal(err)
	}
	if !transfer.IsChromem(buf.Bytes()[:8]) {
		t.Fatal("IsChromem does not recognise a chromem-go export")
	}
	dst := open(t)
	h, st, err := transfer.ImportChromem(ctx, dst, bytes.NewReader(buf.Bytes()), "copy", vectorstore.Settings{Model: "ignored"})
	if err != nil || st.Documents != 30 || st.Passages != 149 {
		t.Fatalf("ImportChromem = %+v, %+v, %v", h, st, err)
	}
	info, err := dst.Collection(ctx, "copy")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.Collection(ctx, "c")
	if info.Settings != want.Settings {
		t.Errorf("settings %+v, want the exported %+v", info.Settings, want.Settings)
	}
	d, err := dst.Document(ctx, "copy", "d07")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := src.Document(ctx, "c", "d07")
	if d.Title != o.Title || d.Source != o.Source || d.Hash != o.Hash || !d.Published.Equal(o.Published) || d.Meta["lang"] != "en" || d.Meta["tags"] != `["x"]` || d.Passages != 5 {
		t.Errorf("document %+v, want the fields of %+v", d, o)
	}
	if strings.TrimSpace(d.Text) != strings.TrimSpace(strings.ReplaceAll(o.Text, "\n", " ")) {
		t.Errorf("text %q, want %q with what no passage holds as spaces", d.Text, o.Text)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 10 {
		v := storebench.UnitVector(rng, chromemDims)
		a, _ := src.Query(ctx, "c", v, 10, vectorstore.Filter{})
		b, err := dst.Query(ctx, "copy", v, 10, vectorstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if a[i].DocID != b[i].DocID || a[i].Text != b[i].Text || a[i].LineStart != b[i].LineStart || abs32(a[i].Score-b[i].Score) > 1e-5 {
				t.Errorf("result %d: %s %q %.6f, want %s %q %.6f", i, b[i].DocID, b[i].Text, b[i].Score, a[i].DocID, a[i].Text, a[i].Score)
			}
		}
	}
}

// TestImportChromem_builtWithChromem imports a database made with
// chromem-go's own API (not by semsearch), compressed and not: each
// document becomes a document of one passage, with the given model, the
// vectors' dimension, and its metadata as fields; searching it gives
// chromem-go's own results.
func TestImportChromem_builtWithChromem(t *testing.T) {
	ctx := t.Context()
	db := chromem.NewDB()
	col, err := db.CreateCollection("notes", map[string]string{"owner": "me"}, func(context.Context, string) ([]float32, error) {
		return nil, errors.New("no embedding here")
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 25 {
		v := storebench.UnitVector(rng, 12)
		v[0] += 2 // not unit length: chromem-go normalises on add
		meta := map[string]string{"category": fmt.Sprint("c", i%4)}
		if i%2 == 0 {
			meta["title"] = fmt.Sprint("Note ", i)
			meta["published"] = "2024-03-0" + fmt.Sprint(1+i%9) + "T10:00:00Z"
		}
		if err := col.AddDocument(ctx, chromem.Document{ID: fmt.Sprint("note-", i), Metadata: meta, Embedding: v, Content: fmt.Sprintf("note %d says\nsomething", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			if err := db.ExportToFile(path, compress, ""); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if !transfer.IsChromem(data) {
				t.Fatal("IsChromem does not recognise chromem-go's export")
			}
			s := open(t)
			h, st, err := transfer.ImportChromem(ctx, s, bytes.NewReader(data), "mine", vectorstore.Settings{Model: "my-model", Chunking: "imported"})
			if err != nil || st.Documents != 25 || st.Passages != 25 || h.Name != "notes" {
				t.Fatalf("ImportChromem = %+v, %+v, %v", h, st, err)
			}
			info, err := s.Collection(ctx, "mine")
			if err != nil {
				t.Fatal(err)
			}
			if info.Settings.Model != "my-model" || info.Settings.Dimensions != 12 {
				t.Errorf("settings %+v, want model my-model and 12 dimensions", info.Settings)
			}
			d, err := s.Document(ctx, "mine", "note-4")
			if err != nil {
				t.Fatal(err)
			}
			if d.Title != "Note 4" || d.Published.Format(time.DateOnly) != "2024-03-05" || d.Meta["category"] != "c0" || d.Text != "note 4 says\nsomething" || d.Source != "note-4" {
				t.Errorf("document %+v", d)
			}
			q := storebench.UnitVector(rng, 12)
			want, _ := col.QueryEmbedding(ctx, q, 5, nil, nil)
			got, err := s.Query(ctx, "mine", q, 5, vectorstore.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i].DocID != want[i].ID || got[i].Text != want[i].Content || got[i].LineEnd != 2 || abs32(got[i].Score-want[i].Similarity) > 1e-5 {
					t.Errorf("result %d: %s %.6f, chromem-go %s %.6f", i, got[i].DocID, got[i].Score, want[i].ID, want[i].Similarity)
				}
			}
		})
	}
}

// TestImportChromem_refuses checks that what is no chromem-go export, or
// holds vectors of different lengths, or several collections none of
// which is named, fails saying so and creates nothing.
func TestImportChromem_refuses(t *testing.T) {
	ctx := t.Context()
	noEmbed := func(context.Context, string) ([]float32, error) { return nil, errors.New("no") }
	mixed := chromem.NewDB()
	c, _ := mixed.CreateCollection("a", nil, noEmbed)
	_ = c.AddDocument(ctx, chromem.Document{ID: "x", Embedding: []float32{1, 0, 0}})
	_ = c.AddDocument(ctx, chromem.Document{ID: "y", Embedding: []float32{1, 0}})
	two := chromem.NewDB()
	for _, n := range []string{"a", "b"} {
		c, _ := two.CreateCollection(n, nil, noEmbed)
		_ = c.AddDocument(ctx, chromem.Document{ID: "x", Embedding: []float32{1, 0}})
	}
	export := func(db *chromem.DB) []byte {
		var buf bytes.Buffer
		if err := db.ExportToWriter(&buf, true, ""); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"garbage", "neither a semsearch export", []byte("\x00\x01garbage")},
		{"mixed dimensions", "different models", export(mixed)},
		{"two collections", "pick one with --collection", export(two)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			_, _, err := transfer.ImportChromem(ctx, s, bytes.NewReader(tc.data), "z", vectorstore.Settings{Model: "m"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was imported") {
				t.Errorf("ImportChromem error %v, want one saying %q and nothing was imported", err, tc.want)
			}
			if _, err := s.Collection(ctx, "z"); !errors.Is(err, vectorstore.ErrNotFound) {
				t.Errorf("collection z after a refused import: %v", err)
			}
		})
	}
}
