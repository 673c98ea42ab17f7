package chromemstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// This file compares this package's snapshot persistence with chromem-go's
// own (NewPersistentDB: one gob file per passage, optionally gzipped), as the
// package doc claims: BenchmarkPersistence measures write, open and update
// costs, and TestCrashMidWrite shows what each leaves after a crash part way
// through replacing a document.

const (
	benchPassagesPerDoc = 8
	benchPassageBytes   = 600
	benchCollection     = "bench"
)

// benchCorpus is a seeded corpus of documents of benchPassagesPerDoc passages,
// each about benchPassageBytes of text with a random unit vector, plus
// replacement versions of some documents for the update benchmarks.
type benchCorpus struct {
	dims     int
	docs     []vectorstore.Document
	passages [][]vectorstore.Passage
	// replacements[i] replaces docs[i % len(docs)].
	replDocs     []vectorstore.Document
	replPassages [][]vectorstore.Passage
}

var benchWords = strings.Fields(`the of and a to in is was for on that with as by at from his her an which were
	vector search passage index embedding model query cosine article document corpus language retrieval ranking
	semantic snapshot collection storage memory latency throughput chapter history science library network`)

func newBenchCorpus(passages, dims int) *benchCorpus {
	rng := rand.New(rand.NewPCG(uint64(passages), uint64(dims)))
	c := &benchCorpus{dims: dims}
	ndocs := passages / benchPassagesPerDoc
	for i := range ndocs {
		d, ps := benchDoc(rng, fmt.Sprintf("doc-%06d", i), "v1", dims)
		c.docs = append(c.docs, d)
		c.passages = append(c.passages, ps)
	}
	for i := range 64 {
		d, ps := benchDoc(rng, c.docs[i%ndocs].ID, "v2", dims)
		c.replDocs = append(c.replDocs, d)
		c.replPassages = append(c.replPassages, ps)
	}
	return c
}

func benchDoc(rng *rand.Rand, id, marker string, dims int) (vectorstore.Document, []vectorstore.Passage) {
	var text strings.Builder
	ps := make([]vectorstore.Passage, benchPassagesPerDoc)
	for i := range ps {
		if i > 0 {
			text.WriteString("\n\n")
		}
		start := text.Len()
		fmt.Fprintf(&text, "%s %s passage %d.", id, marker, i)
		for text.Len()-start < benchPassageBytes {
			text.WriteString(" " + benchWords[rng.IntN(len(benchWords))])
		}
		ps[i] = vectorstore.Passage{Chunk: i, Start: start, End: text.Len(), LineStart: 2*i + 1, LineEnd: 2*i + 1, Vector: randomUnit(rng, dims)}
	}
	d := vectorstore.Document{ID: id, Source: id + ".md", Title: "Document " + id, Hash: marker, Text: text.String()}
	for i := range ps {
		ps[i].Text = d.Text[ps[i].Start:ps[i].End]
	}
	return d, ps
}

// chromemDocs converts a document's passages the way Put does, for
// chromem-go's persistent DB.
func chromemDocs(d vectorstore.Document, ps []vectorstore.Passage) []chromem.Document {
	out := make([]chromem.Document, len(ps))
	for i, p := range ps {
		out[i] = chromem.Document{
			ID:        passageID(d.ID, i),
			Metadata:  map[string]string{"doc_id": d.ID, "chunk": strconv.Itoa(i)},
			Embedding: p.Vector,
			Content:   d.Text[p.Start:p.End],
		}
	}
	return out
}

func (c *benchCorpus) chromemDocs() []chromem.Document {
	var out []chromem.Document
	for i, d := range c.docs {
		out = append(out, chromemDocs(d, c.passages[i])...)
	}
	return out
}

// diskUsage returns the apparent size and the allocated size of the regular
// files under dir, in bytes, and their count.
func diskUsage(tb testing.TB, dir string) (size, allocated int64, files int) {
	tb.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == "LOCK" {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size += info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			allocated += st.Blocks * 512
		}
		files++
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return size, allocated, files
}

func reportDisk(b *testing.B, dir string) {
	size, allocated, files := diskUsage(b, dir)
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(allocated)/1e6, "disk-MB")
	b.ReportMetric(float64(files), "files")
}

// buildSnapshotStore returns a writable store in dir holding the corpus,
// flushed.
func buildSnapshotStore(tb testing.TB, dir string, c *benchCorpus) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(dir, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, benchCollection, vectorstore.Settings{Model: "bench", Dimensions: c.dims}); err != nil {
		tb.Fatal(err)
	}
	for i, d := range c.docs {
		if err := s.Put(ctx, benchCollection, d, c.passages[i]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

// buildChromemDB writes the corpus with chromem-go's persistent DB into dir.
func buildChromemDB(tb testing.TB, dir string, compress bool, docs []chromem.Document) *chromem.DB {
	tb.Helper()
	db, err := chromem.NewPersistentDB(dir, compress)
	if err != nil {
		tb.Fatal(err)
	}
	col, err := db.CreateCollection(benchCollection, nil, noEmbedding)
	if err != nil {
		tb.Fatal(err)
	}
	if err := col.AddDocuments(context.Background(), docs, runtime.GOMAXPROCS(0)); err != nil {
		tb.Fatal(err)
	}
	return db
}

// BenchmarkPersistence compares, per corpus size and vector dimension:
//
//   - snapshot/flush: writing the whole collection's snapshot (Flush after
//     any change), snapshot/open: Open plus the first query (which loads
//     the snapshot), snapshot/replace: Put of one document (8 passages)
//     plus Flush;
//   - chromem and chromem-gzip (NewPersistentDB, one file per passage):
//     add: adding every passage to an empty DB, open: NewPersistentDB plus
//     the first query, replace: deleting one document's passages and adding
//     the new ones.
//
// Besides time and allocations per operation it reports the store's size on
// disk (MB: file sizes; disk-MB: allocated blocks), its file count, and for
// writes the MB written per operation. Opens run with a warm page cache, and
// chromem-go writes without fsync while Flush syncs its file. With -short,
// chromem-gzip runs only at 10,000 passages.
func BenchmarkPersistence(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		for _, dims := range []int{768, 100} {
			benchPersistence(b, newBenchCorpus(n, dims), fmt.Sprintf("passages=%d/dims=%d", n, dims))
		}
	}
}

func benchPersistence(b *testing.B, c *benchCorpus, size string) {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "semsearch-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(root)
	query := randomUnit(rand.New(rand.NewPCG(1, 1)), c.dims)
	snapDir := filepath.Join(root, "snapshot")

	b.Run("snapshot/flush/"+size, func(b *testing.B) {
		s := buildSnapshotStore(b, snapDir, c)
		defer s.Close()
		col := s.cols[benchCollection]
		b.ReportAllocs()
		for b.Loop() {
			s.mu.Lock()
			col.version++ // any change makes Flush rewrite the whole snapshot
			s.mu.Unlock()
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
		reportDisk(b, snapDir)
		sz, _, _ := diskUsage(b, snapDir)
		b.ReportMetric(float64(sz)/1e6, "MB-written/op")
	})

	b.Run("snapshot/open/"+size, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := Open(snapDir, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			hits, err := s.Query(ctx, benchCollection, query, 10, vectorstore.Filter{})
			if err != nil || len(hits) != 10 {
				b.Fatalf("query after open: %d hits, %v", len(hits), err)
			}
			s.Close()
		}
		reportDisk(b, snapDir)
	})

	b.Run("snapshot/replace/"+size, func(b *testing.B) {
		s, err := Open(snapDir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Collection(ctx, benchCollection); err != nil { // load outside the timer
			b.Fatal(err)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			j := i % len(c.replDocs)
			if err := s.Put(ctx, benchCollection, c.replDocs[j], c.replPassages[j]); err != nil {
				b.Fatal(err)
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportDisk(b, snapDir)
		sz, _, _ := diskUsage(b, snapDir)
		b.ReportMetric(float64(sz)/1e6, "MB-written/op")
	})
	if err := os.RemoveAll(snapDir); err != nil {
		b.Fatal(err)
	}

	docs := c.chromemDocs()
	for _, compress := range []bool{false, true} {
		if compress && testing.Short() && len(docs) > 10_000 {
			// About two minutes per size: gzip costs 4-10x more than plain
			// files to write, and grows linearly with the corpus.
			continue
		}
		name := "chromem"
		if compress {
			name = "chromem-gzip"
		}
		dbDir := filepath.Join(root, name)

		b.Run(name+"/add/"+size, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				if err := os.RemoveAll(dbDir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				buildChromemDB(b, dbDir, compress, docs)
			}
			reportDisk(b, dbDir)
			sz, _, _ := diskUsage(b, dbDir)
			b.ReportMetric(float64(sz)/1e6, "MB-written/op")
		})
		if _, err := os.Stat(dbDir); err != nil { // the add benchmark was filtered out
			buildChromemDB(b, dbDir, compress, docs)
		}

		b.Run(name+"/open/"+size, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				db, err := chromem.NewPersistentDB(dbDir, compress)
				if err != nil {
					b.Fatal(err)
				}
				col := db.GetCollection(benchCollection, noEmbedding)
				if col == nil {
					b.Fatal("collection missing after reopen")
				}
				res, err := col.QueryEmbedding(ctx, query, 10, nil, nil)
				if err != nil || len(res) != 10 {
					b.Fatalf("query after open: %d results, %v", len(res), err)
				}
			}
			reportDisk(b, dbDir)
		})

		b.Run(name+"/replace/"+size, func(b *testing.B) {
			db, err := chromem.NewPersistentDB(dbDir, compress)
			if err != nil {
				b.Fatal(err)
			}
			col := db.GetCollection(benchCollection, noEmbedding)
			repl := make([][]chromem.Document, len(c.replDocs))
			for j, d := range c.replDocs {
				repl[j] = chromemDocs(d, c.replPassages[j])
			}
			ids := make([]string, benchPassagesPerDoc)
			written := int64(0)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				j := i % len(repl)
				for k := range ids {
					ids[k] = passageID(c.replDocs[j].ID, k)
				}
				if err := col.Delete(ctx, nil, nil, ids...); err != nil {
					b.Fatal(err)
				}
				if err := col.AddDocuments(ctx, repl[j], runtime.GOMAXPROCS(0)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			for k := range ids {
				if st, err := os.Stat(filepath.Join(dbDir, chromemFileName(benchCollection, passageID(c.replDocs[0].ID, k), compress))); err == nil {
					written += st.Size()
				}
			}
			reportDisk(b, dbDir)
			b.ReportMetric(float64(written)/1e6, "MB-written/op")
		})
		if err := os.RemoveAll(dbDir); err != nil {
			b.Fatal(err)
		}
	}
}

// chromemFileName is where chromem-go's persistent DB keeps a document,
// relative to the DB directory (persistence.go: hash2hex, getDocPath).
func chromemFileName(collection, docID string, compress bool) string {
	name := filepath.Join(chromemHash(collection), chromemHash(docID)) + ".gob"
	if compress {
		name += ".gz"
	}
	return name
}

// TestCrashMidWrite demonstrates the design claim in the package doc. With
// chromem-go's file per passage, replacing a document is one file operation
// per passage, and a crash between two of them leaves a document that is
// neither the old version nor the new one after reopening; a crash inside one
// file write leaves a file that stops the whole DB from opening. With the
// snapshot, a crash at any point of a flush leaves the old snapshot (plus an
// ignored temporary file) or the new one: every document is whole.
//
// A crash is simulated by performing the operations the dying process
// completed and then opening the directory afresh, as the next process would.
func TestCrashMidWrite(t *testing.T) {
	const dims = 16
	rng := rand.New(rand.NewPCG(11, 12))
	oldDoc, oldPs := benchDoc(rng, "article", "v1", dims)
	newDoc, newPs := benchDoc(rng, "article", "v2", dims)
	otherDoc, otherPs := benchDoc(rng, "other", "v1", dims)
	ctx := t.Context()

	// state counts the passages of "article" found after reopening, by
	// version; whole reports whether they are exactly one version.
	type state struct{ v1, v2 int }
	whole := func(s state) bool {
		return s == state{v1: benchPassagesPerDoc} || s == state{v2: benchPassagesPerDoc}
	}

	t.Run("chromem", func(t *testing.T) {
		chromemState := func(t *testing.T, dir string) state {
			db, err := chromem.NewPersistentDB(dir, false)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			col := db.GetCollection(benchCollection, noEmbedding)
			var s state
			for i := range benchPassagesPerDoc {
				d, err := col.GetByID(ctx, passageID("article", i))
				if err != nil {
					continue
				}
				switch strings.Fields(d.Content)[1] {
				case "v1":
					s.v1++
				case "v2":
					s.v2++
				}
			}
			return s
		}
		newDocs := chromemDocs(newDoc, newPs)
		for _, how := range []string{"delete+add", "overwrite"} {
			// The replacement as a list of file operations.
			var ops []func(*chromem.Collection) error
			if how == "delete+add" {
				for i := range benchPassagesPerDoc {
					ops = append(ops, func(c *chromem.Collection) error { return c.Delete(ctx, nil, nil, passageID("article", i)) })
				}
			}
			for _, d := range newDocs {
				ops = append(ops, func(c *chromem.Collection) error { return c.AddDocument(ctx, d) })
			}
			var seen []string
			broken := 0
			for crashAfter := 0; crashAfter <= len(ops); crashAfter++ {
				dir := t.TempDir()
				db := buildChromemDB(t, dir, false, append(chromemDocs(oldDoc, oldPs), chromemDocs(otherDoc, otherPs)...))
				col := db.GetCollection(benchCollection, noEmbedding)
				for _, op := range ops[:crashAfter] {
					if err := op(col); err != nil {
						t.Fatal(err)
					}
				}
				s := chromemState(t, dir)
				seen = append(seen, fmt.Sprintf("%d:%d/%d", crashAfter, s.v1, s.v2))
				if crashAfter == 0 && s != (state{v1: benchPassagesPerDoc}) || crashAfter == len(ops) && s != (state{v2: benchPassagesPerDoc}) {
					t.Errorf("%s: after %d of %d operations: %+v", how, crashAfter, len(ops), s)
				}
				if !whole(s) {
					broken++
				}
			}
			t.Logf("%s: crash after k operations -> v1/v2 passages of the article: %s", how, strings.Join(seen, " "))
			if broken != len(ops)-1 {
				t.Errorf("%s: %d of %d crash points leave a broken article, want every point between the first and last operation", how, broken, len(ops)+1)
			}
		}

		// A crash inside one file write: os.Create has truncated the file
		// and only part of the gob is written.
		dir := t.TempDir()
		buildChromemDB(t, dir, false, chromemDocs(oldDoc, oldPs))
		file := filepath.Join(dir, chromemFileName(benchCollection, passageID("article", 3), false))
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data[:len(data)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := chromem.NewPersistentDB(dir, false); err == nil {
			t.Error("chromem-go opened a DB with a half-written document file")
		} else {
			t.Logf("half-written file: NewPersistentDB fails: %v", err)
		}
	})

	t.Run("snapshot", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCollection(ctx, benchCollection, vectorstore.Settings{Model: "bench", Dimensions: dims}); err != nil {
			t.Fatal(err)
		}
		for _, put := range []struct {
			d  vectorstore.Document
			ps []vectorstore.Passage
		}{{oldDoc, oldPs}, {otherDoc, otherPs}} {
			if err := s.Put(ctx, benchCollection, put.d, put.ps); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		file := s.path(benchCollection)
		before, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, benchCollection, newDoc, newPs); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}

		// Flush writes a temporary file, syncs it and renames it over the
		// snapshot. Before the rename, a crash leaves the old snapshot and
		// some prefix of the temporary file; after it, the new snapshot.
		type disk struct {
			name     string
			snapshot []byte
			tmp      []byte // nil: no temporary file
		}
		crashes := []disk{{"before the temporary file", before, nil}}
		for _, cut := range []int{0, 1, len(magic) + 4, len(after) / 4, len(after) / 2, len(after) - crcBytes, len(after) - 1, len(after)} {
			crashes = append(crashes, disk{fmt.Sprintf("after writing %d of %d bytes", cut, len(after)), before, after[:cut]})
		}
		crashes = append(crashes, disk{"after the rename", after, nil})
		for _, c := range crashes {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, benchCollection+fileExt), c.snapshot, 0o644); err != nil {
				t.Fatal(err)
			}
			if c.tmp != nil {
				if err := os.WriteFile(filepath.Join(dir, benchCollection+".1234567.tmp"), c.tmp, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			hits, err := r.Query(ctx, benchCollection, randomUnit(rng, dims), 100, vectorstore.Filter{DocIDs: []string{"article"}})
			if err != nil {
				t.Fatalf("crash %s: %v", c.name, err)
			}
			var st state
			for _, h := range hits {
				switch strings.Fields(h.Text)[1] {
				case "v1":
					st.v1++
				case "v2":
					st.v2++
				}
			}
			doc, err := r.Document(ctx, benchCollection, "article")
			if err != nil {
				t.Fatal(err)
			}
			want, wantHash := state{v1: benchPassagesPerDoc}, "v1"
			if bytes.Equal(c.snapshot, after) {
				want, wantHash = state{v2: benchPassagesPerDoc}, "v2"
			}
			if st != want || doc.Hash != wantHash {
				t.Errorf("crash %s: article has %+v passages, hash %s; want %+v", c.name, st, doc.Hash, want)
			}
			t.Logf("crash %s: article v1/v2 passages %d/%d", c.name, st.v1, st.v2)
			r.Close()
		}
	})
}

// chromemHash is chromem-go's file name hash (persistence.go hash2hex).
func chromemHash(name string) string {
	h := sha256.Sum256([]byte(name))
	return hex.EncodeToString(h[:4])
}
