package embedded

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

var (
	benchStore = flag.String("bench-store", "", "run TestBenchStore at these comma-separated passage counts (make bench-store)")
	benchDims  = flag.Int("bench-dims", 768, "vector dimension for TestBenchStore")
	// Real text's vectors cluster; random unit vectors do not, and flatter
	// the sign pass's recall (see storebench.TextVectors).
	benchVectors = flag.String("bench-vectors", "random", "TestBenchStore's vectors: random, or text (real text's GloVe vectors lifted to -bench-dims; needs the GloVe vectors, see textVectors)")
	// Today's path needs several times the vectors' size at its peak (gob
	// buffers of the whole collection on save and open): about 8 GB more
	// at 1M x 768 than this store, too much for a shared machine.
	benchLegacyMax = flag.Int("bench-legacy-max", 100_000, "largest size at which TestBenchStore also measures today's chromem-go path")
)

// TestBenchStore prints, per size, this store's figures beside today's
// chromem-go path (chromem-go's QueryEmbedding, a version 2 snapshot
// rewritten whole on every flush and decoded by gob on open) and a naive
// single-thread scan over the same contiguous vectors. It runs only with
// -bench-store (make bench-store); it is a benchmark, not a test.
func TestBenchStore(t *testing.T) {
	if *benchStore == "" {
		t.Skip("a benchmark: run with -bench-store=10000,100000 (make bench-store)")
	}
	ctx := context.Background()
	table := storebench.NewTable("semsearch", mainCol, int8Col, "chromem-go today", "naive scan")
	load := loadAvg()
	var text *storebench.TextVectors
	switch *benchVectors {
	case "text":
		text = textVectors(t, *benchDims, 0)
		fmt.Fprintf(os.Stderr, "bench-store: %d real-text passages loaded\n", text.Real())
	case "random":
	default:
		t.Fatalf("-bench-vectors is random or text, not %q", *benchVectors)
	}
	for _, f := range strings.Split(*benchStore, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 8 {
			t.Fatalf("bad size %q in -bench-store", f)
		}
		c := storebench.Corpus{Dims: *benchDims, Docs: n / 8, PassagesPerDoc: 8, Text: text}
		label := sizeLabel(c.Passages())
		fmt.Fprintf(os.Stderr, "bench-store: %s passages x %d dims\n", label, c.Dims)
		root := t.TempDir()
		row := func(m string) string { return label + " " + m }
		queries := c.Queries(30)
		if c.Passages() >= 1_000_000 {
			queries = queries[:10] // chromem-go takes seconds per query here
		}
		writes := 31
		if c.Passages() >= 1_000_000 {
			writes = 3 // the chromem-go path rewrites 3 GB per write
		} else if c.Passages() >= 100_000 {
			writes = 11
		}

		// This store: fill through Put, compact (a full snapshot write,
		// as a background compaction does), then measure.
		dir := filepath.Join(root, "new")
		compactTime, err := seedStore(ctx, dir, c)
		if err != nil {
			t.Fatal(err)
		}
		storebench.FreeMemory()

		// The naive scan, which also gives the exact ranking for recall.
		naive, exact, err := naiveScan(ctx, dir, queries)
		if err != nil {
			t.Fatal(err)
		}
		storebench.FreeMemory()
		naiveRows := func() {
			table.SetDuration(row("query p50, top 10"), "naive scan", naive)
			table.Set(row("recall@10 vs exact"), "naive scan", "1.000")
		}

		r, err := storebench.Measure(ctx, func(dir string) (vectorstore.Store, error) {
			return Open(dir, Options{})
		}, dir, c, queries, exact, writes)
		if err != nil {
			t.Fatal(err)
		}
		raw := int64(c.Passages()) * int64(c.Dims) * 4
		setResult(table, label, "semsearch", r, raw)
		// RSS after open counts the pages read so far; a version 10
		// file's pages are mapped as the verifier (or queries) read
		// them, so the figure that compares is once it is verified.
		// So do queries once the verifier has ended (it runs on one
		// core, and its CPU time counts in the rows above).
		rss, q, qcpu, err := afterVerified(ctx, dir, queries)
		if err != nil {
			t.Fatal(err)
		}
		table.Set(row("RSS once the file is verified (x raw float32 vectors)"), "semsearch", fmt.Sprintf("%.0f MB (%.2fx)", float64(rss)/1e6, float64(rss)/float64(raw)))
		table.SetDuration(row("query p50, top 10, once the file is verified"), "semsearch", q)
		table.SetDuration(row("query p50, top 10, once verified, CPU time (both cores)"), "semsearch", qcpu)
		storebench.FreeMemory()
		table.SetDuration(row("snapshot write (background compaction)"), "semsearch", compactTime)
		storebench.FreeMemory()

		// main's (5f87350's) open and plan: the same collection in a
		// version 9 snapshot (a gob catalog and one checksum of the whole
		// file, checked before the first query), 16,384 candidates.
		if _, signMax := (&arena{}).limits(); c.Passages()*c.Dims > signMax {
			dir9 := filepath.Join(root, "v9")
			if err := copyAsV9(ctx, dir, dir9); err != nil {
				t.Fatal(err)
			}
			storebench.FreeMemory()
			r, err := storebench.Measure(ctx, func(dir string) (vectorstore.Store, error) {
				s, err := Open(dir, Options{})
				if err != nil {
					return nil, err
				}
				if _, err := s.Collection(ctx, storebench.Collection); err != nil {
					s.Close()
					return nil, err
				}
				s.mu.Lock()
				s.cols[storebench.Collection].arena.plan = planLimits{signMin: 16384}
				s.mu.Unlock()
				return s, nil
			}, dir9, c, queries, exact, writes)
			if err != nil {
				t.Fatal(err)
			}
			setResult(table, label, mainCol, r, raw)
			// It read and checked the whole file at open.
			table.Set(row("RSS once the file is verified (x raw float32 vectors)"), mainCol, fmt.Sprintf("%.0f MB (%.2fx)", float64(r.RSS)/1e6, float64(r.RSS)/float64(raw)))
			os.RemoveAll(dir9)
			storebench.FreeMemory()
		}

		// Today's plan at this size (5f71bf9: an int8 scan of every
		// passage, then exact rescoring), forced in the same binary on
		// the same files, where it differs from the plan chosen now.
		if _, signMax := (&arena{}).limits(); c.Passages()*c.Dims > signMax {
			r, err := storebench.Measure(ctx, func(dir string) (vectorstore.Store, error) {
				s, err := Open(dir, Options{})
				if err != nil {
					return nil, err
				}
				if _, err := s.Collection(ctx, storebench.Collection); err != nil {
					s.Close()
					return nil, err
				}
				s.mu.Lock()
				s.cols[storebench.Collection].arena.plan = planLimits{sign: math.MaxInt}
				s.mu.Unlock()
				return s, nil
			}, dir, c, queries, exact, writes)
			if err != nil {
				t.Fatal(err)
			}
			setResult(table, label, int8Col, r, raw)
		}
		os.RemoveAll(dir)
		storebench.FreeMemory()

		if c.Passages() <= *benchLegacyMax {
			lr, err := measureLegacy(ctx, filepath.Join(root, "legacy"), c, queries, exact, writes)
			if err != nil {
				t.Fatal(err)
			}
			setResult(table, label, "chromem-go today", lr, raw)
		} else {
			fmt.Fprintf(os.Stderr, "bench-store: today's chromem-go path not measured at %s (-bench-legacy-max %d)\n", label, *benchLegacyMax)
		}
		naiveRows()
		storebench.FreeMemory()
		os.RemoveAll(root)
		printTable(table, load)
	}
}

// printTable prints the table so far (after each size, so a run cut short
// still shows what it measured).
func printTable(table *storebench.Table, load string) {
	what := "random unit vectors"
	if *benchVectors == "text" {
		what = "real-text vectors (GloVe, SciFact + BBC passages, perturbed copies beyond the real ones, lifted by a fixed rotation)"
	}
	fmt.Printf("\nStore benchmark: %s of %d dims, 8 passages per document, %d cores, load average %s at the start, %s at the end\n\n",
		what, *benchDims, runtimeCPUs(), load, loadAvg())
	table.Print(os.Stdout)
}

func setResult(t *storebench.Table, label, col string, r storebench.Result, raw int64) {
	t.SetDuration(label+" write p50 (Put 1 doc of 8 passages + Flush)", col, r.Write)
	t.SetDuration(label+" open + first query", col, r.Open)
	if r.OpenCPU > 0 {
		t.SetDuration(label+" open + first query, CPU time", col, r.OpenCPU)
	}
	t.SetDuration(label+" query p50, top 10", col, r.Query)
	if r.QueryCPU > 0 {
		t.SetDuration(label+" query p50, top 10, CPU time (both cores)", col, r.QueryCPU)
	}
	t.SetDuration(label+" query p50, filter: 2 documents", col, r.FilteredTwo)
	t.SetDuration(label+" query p50, filter: half the documents", col, r.FilteredHalf)
	t.SetDuration(label+" query p50, filter: a 16th of the documents", col, r.FilteredRare)
	t.Set(label+" RSS after open (x raw float32 vectors)", col, fmt.Sprintf("%.0f MB (%.2fx)", float64(r.RSS)/1e6, float64(r.RSS)/float64(raw)))
	t.Set(label+" recall@10 vs exact", col, fmt.Sprintf("%.3f", r.Recall))
}

func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// seedStore fills a store through Put and returns how long the compaction
// into a snapshot took.
func seedStore(ctx context.Context, dir string, c storebench.Corpus) (time.Duration, error) {
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := storebench.Fill(ctx, s, c, vectorstore.Settings{Model: "bench", Dimensions: c.Dims}); err != nil {
		return 0, err
	}
	t := time.Now()
	if err := s.compactNow(storebench.Collection); err != nil {
		return 0, err
	}
	return time.Since(t), s.Close()
}

// naiveScan opens the store and times a plain single-thread loop over its
// contiguous float32 vectors; its ranking is exact.
func naiveScan(ctx context.Context, dir string, queries [][]float32) (time.Duration, [][]vectorstore.PassageKey, error) {
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	if _, err := s.Collection(ctx, storebench.Collection); err != nil {
		return 0, nil, err
	}
	a := &s.cols[storebench.Collection].arena
	exact := make([][]vectorstore.PassageKey, len(queries))
	d, err := storebench.P50(len(queries), func(i int) error {
		q := queries[i]
		t := newTopK(10)
		for slot := range a.n {
			v := a.vec(int32(slot))
			var sum float32
			for j := range q {
				sum += q[j] * v[j]
			}
			t.push(sum, int32(slot))
		}
		slices.SortFunc(t.h, func(x, y scored) int {
			if x.score > y.score {
				return -1
			}
			return 1
		})
		for _, h := range t.h {
			exact[i] = append(exact[i], vectorstore.PassageKey{DocID: a.owner[h.slot].Doc.ID, Chunk: int(a.chunk[h.slot])})
		}
		return nil
	})
	return d, exact, err
}

// legacyStore is the store as it was before the change log: chromem-go's
// collection plus a catalog, saved by rewriting a version 2 snapshot whole.
type legacyStore struct {
	dir  string
	info vectorstore.Collection
	docs map[string]*docEntry
	db   *chromem.DB
	col  *chromem.Collection
}

func (l *legacyStore) put(ctx context.Context, d vectorstore.Document, ps []vectorstore.Passage) error {
	if old, ok := l.docs[d.ID]; ok {
		var ids []string
		for i := range old.Passages {
			ids = append(ids, passageID(d.ID, i))
		}
		if err := l.col.Delete(ctx, nil, nil, ids...); err != nil {
			return err
		}
	}
	e := &docEntry{Doc: d, Passages: make([]vectorstore.Passage, len(ps)), Vectored: make([]bool, len(ps))}
	for i, p := range ps {
		m := p
		m.Text, m.Vector = "", nil
		e.Passages[i] = m
		e.Vectored[i] = true
		if err := l.col.AddDocument(ctx, chromem.Document{ID: passageID(d.ID, i),
			Metadata: map[string]string{"doc_id": d.ID, "chunk": strconv.Itoa(i)}, Embedding: slices.Clone(p.Vector)}); err != nil {
			return err
		}
	}
	e.Doc.Passages = len(ps)
	l.docs[d.ID] = e
	return nil
}

// flush is the old Flush: the whole collection to a temporary file, synced
// and renamed over the snapshot.
func (l *legacyStore) flush() error {
	cat := catalog{Info: l.info}
	for _, e := range l.docs {
		cat.Docs = append(cat.Docs, e)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&cat); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(l.dir, "bench.*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	h := crc32.New(crcTable)
	hw := io.MultiWriter(w, h)
	io.WriteString(hw, magicV2)
	hw.Write(binary.LittleEndian.AppendUint64(nil, uint64(buf.Len())))
	hw.Write(buf.Bytes())
	if err := l.db.ExportToWriter(hw, false, "", storebench.Collection); err != nil {
		return err
	}
	w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), filepath.Join(l.dir, storebench.Collection+fileExt)); err != nil {
		return err
	}
	return syncDir(l.dir)
}

// open is the old load: check the CRC, decode the catalog, import chromem's
// gob export.
func legacyOpen(dir string) (*legacyStore, error) {
	path := filepath.Join(dir, storebench.Collection+fileExt)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	end := st.Size() - crcBytes
	if err := checkCRC(f, end); err != nil {
		return nil, err
	}
	var nb [8]byte
	if _, err := f.ReadAt(nb[:], int64(len(magicV2))); err != nil {
		return nil, err
	}
	n := int64(binary.LittleEndian.Uint64(nb[:]))
	off := int64(len(magicV2) + 8)
	var cat catalog
	if err := gob.NewDecoder(bufio.NewReader(io.NewSectionReader(f, off, n))).Decode(&cat); err != nil {
		return nil, err
	}
	l := &legacyStore{dir: dir, info: cat.Info, docs: map[string]*docEntry{}, db: chromem.NewDB()}
	if err := l.db.ImportFromReader(io.NewSectionReader(f, off+n, end-off-n), "", storebench.Collection); err != nil {
		return nil, err
	}
	l.col = l.db.GetCollection(storebench.Collection, noEmbedding)
	for _, e := range cat.Docs {
		l.docs[e.Doc.ID] = e
	}
	return l, nil
}

// query is the old Query: chromem-go ranks (all passages when filtering),
// then the filter keeps the best k that match.
func (l *legacyStore) query(ctx context.Context, v []float32, k int, f vectorstore.Filter) ([]vectorstore.Hit, error) {
	n := k
	match := func(*docEntry) bool { return true }
	if !f.Empty() {
		n = l.col.Count()
		match = docFilter(f)
	}
	res, err := l.col.QueryEmbedding(ctx, v, n, nil, nil)
	if err != nil {
		return nil, err
	}
	var hits []vectorstore.Hit
	for _, r := range res {
		e := l.docs[r.Metadata["doc_id"]]
		if e == nil || !match(e) {
			continue
		}
		i, _ := strconv.Atoi(r.Metadata["chunk"])
		hits = append(hits, vectorstore.Hit{DocID: e.Doc.ID, Passage: vectorstore.Passage{Chunk: i}, Score: r.Similarity})
		if len(hits) == k {
			break
		}
	}
	return hits, nil
}

func measureLegacy(ctx context.Context, dir string, c storebench.Corpus, queries [][]float32, exact [][]vectorstore.PassageKey, writes int) (storebench.Result, error) {
	var r storebench.Result
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	l := &legacyStore{dir: dir, info: vectorstore.Collection{Name: storebench.Collection, Settings: vectorstore.Settings{Model: "bench", Dimensions: c.Dims}},
		docs: map[string]*docEntry{}, db: chromem.NewDB()}
	var err error
	if l.col, err = l.db.CreateCollection(storebench.Collection, nil, noEmbedding); err != nil {
		return r, err
	}
	for i := range c.Docs {
		d, ps := c.Doc(i, 0)
		if err := l.put(ctx, d, ps); err != nil {
			return r, err
		}
	}
	if err := l.flush(); err != nil {
		return r, err
	}
	l = nil
	storebench.FreeMemory()

	before := storebench.RSS()
	t := time.Now()
	l, err = legacyOpen(dir)
	if err != nil {
		return r, err
	}
	if _, err := l.query(ctx, queries[0], 10, vectorstore.Filter{}); err != nil {
		return r, err
	}
	r.Open = time.Since(t)
	storebench.FreeMemory()
	r.RSS = storebench.RSS() - before
	var got [][]vectorstore.Hit
	if r.Query, err = storebench.P50(len(queries), func(i int) error {
		h, err := l.query(ctx, queries[i], 10, vectorstore.Filter{})
		got = append(got, h)
		return err
	}); err != nil {
		return r, err
	}
	r.Recall = storebench.Recall(got, exact)
	if r.FilteredTwo, err = storebench.P50(len(queries), func(i int) error {
		_, err := l.query(ctx, queries[i], 10, c.TwoDocs())
		return err
	}); err != nil {
		return r, err
	}
	if r.FilteredHalf, err = storebench.P50(len(queries), func(i int) error {
		_, err := l.query(ctx, queries[i], 10, storebench.HalfFilter())
		return err
	}); err != nil {
		return r, err
	}
	r.Write, err = storebench.P50(writes, func(i int) error {
		d, ps := c.Doc(i*7919%c.Docs, 1+i)
		if err := l.put(ctx, d, ps); err != nil {
			return err
		}
		return l.flush()
	})
	return r, err
}

// afterVerified returns the RSS the store in dir adds once its collection
// is open, verified and has answered a query, then the p50 wall and CPU
// time of queries.
func afterVerified(ctx context.Context, dir string, queries [][]float32) (rss int64, wall, cpu time.Duration, err error) {
	storebench.FreeMemory()
	before := storebench.RSS()
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.Close()
	if _, err := s.Query(ctx, storebench.Collection, queries[0], 10, vectorstore.Filter{}); err != nil {
		return 0, 0, 0, err
	}
	waitVerified(s, storebench.Collection)
	runtime.GC()
	rss = storebench.RSS() - before
	cpus := make([]time.Duration, len(queries))
	wall, err = storebench.P50(len(queries), func(i int) error {
		c := storebench.CPUTime()
		_, err := s.Query(ctx, storebench.Collection, queries[i], 10, vectorstore.Filter{})
		cpus[i] = storebench.CPUTime() - c
		return err
	})
	slices.Sort(cpus)
	return rss, wall, cpus[len(cpus)/2], err
}

// mainCol is the column of main's open and plan before version 10.
const mainCol = "main 5f87350 (v9 file, 16,384 candidates)"

// copyAsV9 writes the collection of the store in dir as a version 9
// snapshot (as main at 5f87350 wrote it) with its log into the directory to.
func copyAsV9(ctx context.Context, dir, to string) error {
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		return err
	}
	defer s.Close()
	c, unlock, err := s.use(ctx, storebench.Collection, false)
	if err != nil {
		return err
	}
	docs := slices.Collect(maps.Values(c.docs))
	view := &c.arena
	tmp, _, err := s.writeSnapshotV9(c.snapshotInfo(), c.sources, docs, view, c.gen, c.logFrom)
	unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(to, storebench.Collection+fileExt)); err != nil {
		return err
	}
	wal, err := os.ReadFile(s.walPath(storebench.Collection))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(to, storebench.Collection+".wal"), wal, 0o644)
}

// writeSnapshotV9 is main's (5f87350's) writeSnapshot, which wrote version 9.
func (s *Store) writeSnapshotV9(info vectorstore.Collection, sources *vectorstore.Sources, docs []*docEntry, view *arena, gen, logFrom uint64) (string, int64, error) {
	name := info.Name
	slices.SortFunc(docs, func(a, b *docEntry) int {
		if a.Doc.ID < b.Doc.ID {
			return -1
		}
		return 1
	})
	cat := catalog{Info: info, Docs: docs, LogFrom: logFrom, Sources: sources}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(&summary{Info: info, LogFrom: logFrom}); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	if err := enc.Encode(&cat); err != nil {
		return "", 0, fmt.Errorf("encode catalog of %q: %w", name, err)
	}
	nvec := 0
	for _, e := range docs {
		for _, s := range e.slots {
			if s >= 0 {
				nvec++
			}
		}
	}
	tmp, err := os.CreateTemp(s.dir, name+".*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("save collection %q: %w", name, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	h := crc32.New(crcTable)
	hw := io.MultiWriter(w, h) // bufio keeps the first write error for Flush
	var hd []byte
	hd = append(hd, magicV9...)
	hd = binary.LittleEndian.AppendUint64(hd, gen)
	hd = binary.LittleEndian.AppendUint64(hd, uint64(buf.Len()))
	hw.Write(hd)
	hw.Write(buf.Bytes())
	var vh []byte
	vh = binary.LittleEndian.AppendUint32(vh, uint32(view.dims))
	vh = binary.LittleEndian.AppendUint64(vh, uint64(nvec))
	hw.Write(vh)
	head := int64(len(hd) + buf.Len() + len(vh))
	f32Off, i8Off, signOff, scaleOff, _ := v9Layout(head, uint64(nvec), uint64(view.dims))
	writeSections(hw, view, docs, head, [4]int64{f32Off, i8Off, signOff, scaleOff}, func() {})
	w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
	size, err := finishTemp(tmp, w)
	if err != nil {
		return "", 0, fmt.Errorf("save collection %q: %w", name, err)
	}
	ok = true
	return tmp.Name(), size, nil
}

// int8Col is the column of today's (5f71bf9's) plan for large collections.
const int8Col = "int8 scan (5f71bf9's plan)"

func runtimeCPUs() int { return runtime.GOMAXPROCS(0) }

// loadAvg returns the 1-minute load average (Linux), so a reader can tell a
// busy machine's figures from a quiet one's.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
