package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
	"github.com/semsearch/semsearch/internal/vectorstore/storetest"
)

func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) vectorstore.Store {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("Open(%s): %v", dir, err)
		}
		return s
	})
}

const testDims = 8

var testSettings = vectorstore.Settings{Model: "test", Dimensions: testDims, Chunking: "lines"}

// testDoc makes a document of n one-line passages, each starting with
// "<id> <marker>", with seeded unit vectors.
func testDoc(rng *rand.Rand, id, marker string, n int) (vectorstore.Document, []vectorstore.Passage) {
	var text strings.Builder
	ps := make([]vectorstore.Passage, n)
	for i := range n {
		if i > 0 {
			text.WriteByte('\n')
		}
		start := text.Len()
		fmt.Fprintf(&text, "%s %s passage %d", id, marker, i)
		ps[i] = vectorstore.Passage{Chunk: i, Start: start, End: text.Len(), LineStart: i + 1, LineEnd: i + 1, Vector: storebench.UnitVector(rng, testDims)}
	}
	d := vectorstore.Document{ID: id, Source: id + ".md", Title: "T " + id, Hash: marker, Text: text.String()}
	for i := range ps {
		ps[i].Text = d.Text[ps[i].Start:ps[i].End]
	}
	return d, ps
}

func mustOpen(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s, %+v): %v", dir, opts, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustPut(t *testing.T, s *Store, coll string, d vectorstore.Document, ps []vectorstore.Passage) {
	t.Helper()
	if err := s.Put(t.Context(), coll, d, ps); err != nil {
		t.Fatalf("Put(%s): %v", d.ID, err)
	}
}

// contents describes what a store holds in a collection: each document's
// hash (the test documents' version marker) and, from a query for every
// passage, which versions of each document the vectors come from.
func contents(t *testing.T, s *Store, coll string) (hashes map[string]string, passages map[string][]string) {
	t.Helper()
	ctx := t.Context()
	hashes, err := s.Hashes(ctx, coll)
	if err != nil {
		t.Fatalf("Hashes: %v", err)
	}
	info, err := s.Collection(ctx, coll)
	if err != nil {
		t.Fatal(err)
	}
	passages = map[string][]string{}
	if info.Passages == 0 {
		return hashes, passages
	}
	hits, err := s.Query(ctx, coll, storebench.UnitVector(rand.New(rand.NewPCG(5, 5)), testDims), info.Passages+10, vectorstore.Filter{})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(hits) != info.Passages {
		t.Errorf("query for all passages returned %d, collection counts %d", len(hits), info.Passages)
	}
	for _, h := range hits {
		passages[h.DocID] = append(passages[h.DocID], strings.Fields(h.Text)[1])
	}
	for _, ms := range passages {
		slices.Sort(ms)
	}
	return hashes, passages
}

// wantPassages is contents' passages for documents of n passages each.
func wantPassages(versions map[string]string, n int) map[string][]string {
	out := map[string][]string{}
	for id, v := range versions {
		out[id] = slices.Repeat([]string{v}, n)
	}
	return out
}

func checkContents(t *testing.T, s *Store, coll string, want map[string]string, n int) {
	t.Helper()
	hashes, passages := contents(t, s, coll)
	if fmt.Sprint(hashes) != fmt.Sprint(want) {
		t.Errorf("documents = %v, want %v", hashes, want)
	}
	if w := wantPassages(want, n); fmt.Sprint(passages) != fmt.Sprint(w) {
		t.Errorf("passages by document = %v, want %v (whole documents of one version)", passages, w)
	}
}

func TestOpen_Locked(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	d, ps := testDoc(rng, "a", "v1", 3)
	mustPut(t, w, "c", d, ps)

	// A second writer fails, even in the same process.
	if s, err := Open(dir, Options{}); !errors.Is(err, vectorstore.ErrLocked) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("second writable Open: err = %v, want ErrLocked", err)
	} else if !strings.Contains(err.Error(), dir) {
		t.Errorf("ErrLocked message %q does not name the directory", err)
	}

	// A reader sees a write as soon as Put has appended it to the log;
	// Flush makes it durable against power loss.
	early := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, early, "c", map[string]string{"a": "v1"}, 3)

	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", map[string]string{"a": "v1"}, 3)
	list, err := r.Collections(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "c" || list[0].Documents != 1 || list[0].Passages != 3 {
		t.Errorf("read-only Collections = %+v, %v", list, err)
	}
	// Several readers at once, while the writer holds the lock.
	r2 := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r2, "c", map[string]string{"a": "v1"}, 3)

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The lock is released on Close.
	w2 := mustOpen(t, dir, Options{})
	checkContents(t, w2, "c", map[string]string{"a": "v1"}, 3)
}

func TestOpen_ReadOnlyMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	s := mustOpen(t, dir, Options{ReadOnly: true})
	list, err := s.Collections(t.Context())
	if err != nil || len(list) != 0 {
		t.Errorf("Collections = %v, %v; want none", list, err)
	}
	if _, err := s.Collection(t.Context(), "c"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("Collection: err = %v, want ErrNotFound", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only Open created %s", dir)
	}
}

func TestStore_ReadOnlyWrites(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w := mustOpen(t, dir, Options{})
	if _, err := w.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	d, ps := testDoc(rng, "a", "v1", 3)
	mustPut(t, w, "c", d, ps)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "c"+fileExt)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	r := mustOpen(t, dir, Options{ReadOnly: true})
	d2, ps2 := testDoc(rng, "a", "v2", 2)
	for name, err := range map[string]error{
		"CreateCollection": func() error { _, err := r.CreateCollection(ctx, "new", testSettings); return err }(),
		"Put":              r.Put(ctx, "c", d2, ps2),
		"Delete":           func() error { _, err := r.Delete(ctx, "c", "a"); return err }(),
		"DeleteCollection": r.DeleteCollection(ctx, "c"),
		"Flush":            r.Flush(ctx),
	} {
		if err == nil {
			t.Errorf("%s on a read-only store succeeded", name)
		}
	}
	checkContents(t, r, "c", map[string]string{"a": "v1"}, 3)
	if err := r.Close(); err != nil {
		t.Errorf("Close of a read-only store: %v", err)
	}
	after, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("a read-only store changed %s (err %v)", file, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "c"+fileExt && e.Name() != "c"+walExt && e.Name() != "LOCK" {
			t.Errorf("unexpected file %s after read-only use", e.Name())
		}
	}
}

// writeSnapshots makes a store in dir with collection c holding docs a..e at
// version v1 (3 passages each), flushed, and returns the snapshot file and
// the bytes a flush of version v2 of docs a and b would write.
func writeSnapshots(t *testing.T, dir string) (file string, v1, v2 []byte) {
	t.Helper()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(3, 4))
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		d, ps := testDoc(rng, id, "v1", 3)
		mustPut(t, s, "c", d, ps)
	}
	if err := s.compactNow("c"); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "c"+fileExt)
	if v1, err = os.ReadFile(file); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		d, ps := testDoc(rng, id, "v2", 3)
		mustPut(t, s, "c", d, ps)
	}
	if err := s.compactNow("c"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v2, err = os.ReadFile(file); err != nil {
		t.Fatal(err)
	}
	// Back to the snapshot of v1, without a log.
	if err := os.WriteFile(file, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "c"+walExt)); err != nil {
		t.Fatal(err)
	}
	return file, v1, v2
}

// allV1 is what writeSnapshots flushed.
var allV1 = map[string]string{"a": "v1", "b": "v1", "c": "v1", "d": "v1", "e": "v1"}

// TestLoad_LeftoverTemp: a compaction interrupted before its rename leaves a
// partial "*.tmp" file beside the old snapshot. Readers ignore it, a writer
// removes it on open, and writes go on as usual.
func TestLoad_LeftoverTemp(t *testing.T) {
	dir := t.TempDir()
	_, _, v2 := writeSnapshots(t, dir)
	for _, cut := range []int{0, 10, len(v2) / 2, len(v2) - 1, len(v2)} {
		tmp := filepath.Join(dir, fmt.Sprintf("c.%d.tmp", cut))
		if err := os.WriteFile(tmp, v2[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", allV1, 3)
	list, err := r.Collections(t.Context())
	if err != nil || len(list) != 1 {
		t.Errorf("Collections = %+v, %v; want only c", list, err)
	}

	w := mustOpen(t, dir, Options{})
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left after a writable Open: %v", left)
	}
	checkContents(t, w, "c", allV1, 3)
	rng := rand.New(rand.NewPCG(9, 9))
	d, ps := testDoc(rng, "c", "v3", 3)
	mustPut(t, w, "c", d, ps)
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	r2 := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r2, "c", map[string]string{"a": "v1", "b": "v1", "c": "v3", "d": "v1", "e": "v1"}, 3)
}

// waitVerified waits for the background verification of name's mapped
// snapshot, if it is loaded and has one, and reports whether it waited.
func waitVerified(s *Store, name string) bool {
	s.mu.RLock()
	c := s.cols[name]
	s.mu.RUnlock()
	if c == nil || c.arena.mapped == nil || c.arena.mapped.check == nil {
		return false
	}
	c.arena.mapped.wait()
	return true
}

// TestLoad_Corrupt: a damaged snapshot fails to load with an error that names
// the file, never a panic and never as ErrNotFound (which would let the
// engine index into an empty collection and overwrite the file).
func TestLoad_Corrupt(t *testing.T) {
	dir := t.TempDir()
	_, good, _ := writeSnapshots(t, dir)
	const hdr = len(magic) + 16 // magic, log generation, catalog length
	catalogEnd := hdr + int(leUint64(good[len(magic)+8:]))
	flip := func(at int) []byte {
		b := slices.Clone(good)
		b[at] ^= 0x5a
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"half magic", good[:5]},
		{"header only", good[:hdr]},
		{"truncated catalog", good[:hdr+10]},
		{"catalog only", good[:catalogEnd]},
		{"truncated vectors", good[:catalogEnd+(len(good)-catalogEnd)/2]},
		{"last byte missing", good[:len(good)-1]},
		{"not a snapshot", []byte("{\"collections\": []}\n")},
		{"wrong magic", append([]byte("semsearch collection v0\n"), good[len(magic):]...)},
		{"huge catalog length", append(append(slices.Clone(good[:len(magic)+8]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), good[hdr:]...)},
		{"flipped byte in catalog", flip(hdr + (catalogEnd-hdr)/2)},
		{"flipped byte in vectors", flip(catalogEnd + (len(good)-catalogEnd)/2)},
		{"flipped last byte", flip(len(good) - 1)},
		{"trailing garbage", append(slices.Clone(good), "garbage"...)},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "c"+fileExt)
			if err := os.WriteFile(file, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			// Another collection in the same directory is not affected.
			other := filepath.Join(dir, "other"+fileExt)
			if err := os.WriteFile(other, renameSnapshot(t, good, "c", "other"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, opts := range []Options{{ReadOnly: true}, {}} {
				s := mustOpen(t, dir, opts)
				_, err := s.Collection(t.Context(), "c")
				if err == nil && waitVerified(s, "c") {
					// Damage in the vector sections is found in the
					// background, after the collection opened.
					_, err = s.Collection(t.Context(), "c")
				}
				if err == nil {
					t.Fatalf("ReadOnly=%v: a %s snapshot loaded", opts.ReadOnly, tc.name)
				}
				if errors.Is(err, vectorstore.ErrNotFound) {
					t.Errorf("ReadOnly=%v: err = %v; a damaged snapshot is not a missing one", opts.ReadOnly, err)
				}
				if !strings.Contains(err.Error(), file) {
					t.Errorf("ReadOnly=%v: error %q does not name %s", opts.ReadOnly, err, file)
				}
				// Listing reads the head of a snapshot and checks its size,
				// not its checksum: a flipped byte is found when the
				// collection is used.
				if _, err := s.Collections(t.Context()); err == nil && !strings.HasPrefix(tc.name, "flipped") {
					t.Errorf("ReadOnly=%v: Collections hid the damaged snapshot", opts.ReadOnly)
				}
				d, ps := testDoc(rand.New(rand.NewPCG(1, 1)), "x", "v9", 2)
				if err := s.Put(t.Context(), "c", d, ps); err == nil {
					t.Errorf("ReadOnly=%v: Put into a damaged collection succeeded", opts.ReadOnly)
				}
				if _, err := s.CreateCollection(t.Context(), "c", testSettings); err == nil && !opts.ReadOnly {
					t.Errorf("CreateCollection over a damaged snapshot succeeded; a flush would destroy it")
				}
				checkContents(t, s, "other", allV1, 3)
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(file)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("the damaged snapshot was changed (err %v)", err)
			}
		})
	}
}

func leUint64(b []byte) uint64 {
	var n uint64
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n
}

// renameSnapshot returns a snapshot of collection from renamed to to, by
// loading it into a store and flushing it under the new name.
func renameSnapshot(t *testing.T, data []byte, from, to string) []byte {
	t.Helper()
	ctx := t.Context()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, from+fileExt), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, src, Options{ReadOnly: true})
	list, _, err := s.Documents(ctx, from, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	w := mustOpen(t, dst, Options{})
	if _, err := w.CreateCollection(ctx, to, testSettings); err != nil {
		t.Fatal(err)
	}
	c := s.cols[from]
	for _, d := range list {
		full, err := s.Document(ctx, from, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		e := c.docs[d.ID]
		ps := slices.Clone(e.Passages)
		for i := range ps {
			ps[i].Vector = make([]float32, c.arena.dims)
			if slot := e.slots[i]; slot >= 0 {
				ps[i].Vector = slices.Clone(c.arena.vec(slot))
			}
		}
		mustPut(t, w, to, full, ps)
	}
	if err := w.compactNow(to); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dst, to+fileExt))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// legacySnapshot returns collection c of s (loaded) as a version 1 or 2
// snapshot: the catalog, then chromem-go's export of the vectors.
func legacySnapshot(t *testing.T, s *Store, name string, version int) []byte {
	t.Helper()
	ctx := t.Context()
	c := s.cols[name]
	cat := catalog{Info: c.snapshotInfo()}
	db := chromem.NewDB()
	col, err := db.CreateCollection(name, nil, noEmbedding)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.docs {
		cat.Docs = append(cat.Docs, e)
		for i, slot := range e.slots {
			if slot >= 0 {
				if err := col.AddDocument(ctx, chromem.Document{ID: passageID(e.Doc.ID, i), Embedding: slices.Clone(c.arena.vec(slot))}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(&cat); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.WriteString(map[int]string{1: magicV1, 2: magicV2}[version])
	out.Write(binary.LittleEndian.AppendUint64(nil, uint64(g.Len())))
	out.Write(g.Bytes())
	if err := db.ExportToWriter(&out, false, "", name); err != nil {
		t.Fatal(err)
	}
	if version == 2 {
		out.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(out.Bytes(), crcTable)))
	}
	return out.Bytes()
}

// TestLoad_Version1: snapshots written before the change log (version 2)
// and before the checksum (version 1) still load, and the next compaction
// rewrites them in the current format.
func TestLoad_Version1(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			dir := t.TempDir()
			file, _, _ := writeSnapshots(t, dir)
			r0 := mustOpen(t, dir, Options{ReadOnly: true})
			checkContents(t, r0, "c", allV1, 3)
			legacy := legacySnapshot(t, r0, "c", version)
			// Closed before its mapped file is rewritten in place (which
			// semsearch never does: it renames new files over old ones).
			r0.Close()
			if err := os.WriteFile(file, legacy, 0o644); err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, dir, Options{ReadOnly: true})
			checkContents(t, r, "c", allV1, 3)

			w := mustOpen(t, dir, Options{CompactMinBytes: -1})
			d, ps := testDoc(rand.New(rand.NewPCG(2, 2)), "a", "v3", 3)
			mustPut(t, w, "c", d, ps)
			if err := w.compactNow("c"); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(file)
			if err != nil || !bytes.HasPrefix(data, []byte(magic)) {
				t.Fatalf("after a compaction the file starts %.24q, %v; want %q", data, err, magic)
			}
			r2 := mustOpen(t, dir, Options{ReadOnly: true})
			checkContents(t, r2, "c", map[string]string{"a": "v3", "b": "v1", "c": "v1", "d": "v1", "e": "v1"}, 3)
		})
	}
}

// TestStore_CrashBeforeFlush: Put appends its change to the log before it
// returns, so a process that dies without calling Flush loses nothing (Flush
// guards against power loss); a new store sees exactly the writer's state,
// with whole documents.
func TestStore_CrashBeforeFlush(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	w := mustOpen(t, dir, Options{})
	if _, err := w.CreateCollection(ctx, "c", testSettings); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		d, ps := testDoc(rng, fmt.Sprintf("doc-%d", i), "v1", 4)
		mustPut(t, w, "c", d, ps)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"doc-0", "doc-3", "doc-7", "doc-8"} {
		d, ps := testDoc(rng, id, "v2", 4)
		mustPut(t, w, "c", d, ps)
	}
	if _, err := w.Delete(ctx, "c", "doc-1", "doc-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateCollection(ctx, "later", testSettings); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"doc-0": "v2", "doc-3": "v2", "doc-4": "v1", "doc-5": "v1", "doc-7": "v2", "doc-8": "v2"}
	checkContents(t, w, "c", want, 4)

	// The writer dies here; a new store opens what is on disk.
	r := mustOpen(t, dir, Options{ReadOnly: true})
	checkContents(t, r, "c", want, 4)
	if _, err := r.Collection(ctx, "later"); err != nil {
		t.Errorf("created collection lost: %v", err)
	}
}

func TestStore_CollectionFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	for _, name := range []string{"b", "a.v2"} {
		if _, err := s.CreateCollection(ctx, name, testSettings); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Files that are not collections are ignored.
	for _, name := range []string{"notes.txt", ".hidden" + fileExt, "x" + fileExt + ".bak", "b.123.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	list, err := r.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"a.v2", "b"}) {
		t.Errorf("Collections = %v, want [a.v2 b]", names)
	}
	if err := s.DeleteCollection(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b"+fileExt)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DeleteCollection left its snapshot: %v", err)
	}
	for _, name := range []string{"", "../x", "a/b", ".x", strings.Repeat("x", 65)} {
		if _, err := s.CreateCollection(ctx, name, testSettings); err == nil {
			t.Errorf("CreateCollection(%q) succeeded", name)
		}
	}
}

// TestStore_CloseTwice: Close is safe to call again.
func TestStore_CloseTwice(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection(t.Context(), "c", testSettings); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
