// Package storebench measures a vectorstore.Store at a given size through
// its interface: one-document durable write, open, query with and without
// filters, resident memory and recall@10 against the exact ranking. It
// generates a seeded corpus on the fly (nothing of it is kept in memory),
// and prints results as a table with a column per backend or baseline, so
// another backend's figures go beside the existing ones.
//
// It is used by `make bench-store` (see the embedded package's
// TestBenchStore); it is not a test of correctness.
package storebench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Collection is the name of the collection the benchmark fills.
const Collection = "bench"

// Corpus describes a seeded corpus of Docs documents of PassagesPerDoc
// passages, each a random unit vector of Dims values and a short text. Every
// other document has meta "half"="yes", for a filter that keeps half, and
// every 16th "rare"="yes".
type Corpus struct {
	Dims, Docs, PassagesPerDoc int
	// Text, when set, gives the vectors (of real text) instead of the
	// random generator; its Dims must be Dims.
	Text *TextVectors
}

// Passages returns the number of passages.
func (c Corpus) Passages() int { return c.Docs * c.PassagesPerDoc }

// DocID names document i.
func DocID(i int) string { return fmt.Sprintf("doc-%07d", i) }

// Doc returns document i, version v (0 for the corpus, higher for
// replacements), with its passages.
func (c Corpus) Doc(i, v int) (vectorstore.Document, []vectorstore.Passage) {
	rng := rand.New(rand.NewPCG(uint64(i), uint64(v)))
	var text strings.Builder
	ps := make([]vectorstore.Passage, c.PassagesPerDoc)
	for j := range ps {
		start := text.Len()
		fmt.Fprintf(&text, "Passage %d of document %d, version %d: some words about vector search.\n", j, i, v)
		ps[j] = vectorstore.Passage{Chunk: j, Start: start, End: text.Len(), LineStart: j + 1, LineEnd: j + 1, Vector: c.vector(rng, i*c.PassagesPerDoc+j, v)}
	}
	d := vectorstore.Document{ID: DocID(i), Source: DocID(i) + ".txt", Title: "Document " + strconv.Itoa(i),
		Hash: fmt.Sprintf("h%d-%d", i, v), Text: text.String()}
	if i%2 == 0 {
		d.Meta = map[string]string{"half": "yes"}
		if i%16 == 0 {
			d.Meta["rare"] = "yes"
		}
	}
	for j := range ps {
		ps[j].Text = d.Text[ps[j].Start:ps[j].End]
	}
	return d, ps
}

func (c Corpus) vector(rng *rand.Rand, p, v int) []float32 {
	if c.Text != nil {
		return c.Text.Passage(p, v)
	}
	return UnitVector(rng, c.Dims)
}

// UnitVector returns a random unit vector.
func UnitVector(rng *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var n float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		n += x * x
	}
	inv := 1 / math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

// Queries returns n seeded query vectors.
func (c Corpus) Queries(n int) [][]float32 {
	rng := rand.New(rand.NewPCG(99, 99))
	out := make([][]float32, n)
	for i := range out {
		if c.Text != nil {
			out[i] = c.Text.Query(i * 7)
			continue
		}
		out[i] = UnitVector(rng, c.Dims)
	}
	return out
}

// Filters used by the benchmark: two documents (as in the issue) and half
// the corpus.
func (c Corpus) TwoDocs() vectorstore.Filter {
	return vectorstore.Filter{DocIDs: []string{DocID(c.Docs / 3), DocID(2 * c.Docs / 3)}}
}

func HalfFilter() vectorstore.Filter {
	return vectorstore.Filter{Meta: map[string]string{"half": "yes"}}
}

// RareFilter keeps a sixteenth of the documents.
func RareFilter() vectorstore.Filter {
	return vectorstore.Filter{Meta: map[string]string{"rare": "yes"}}
}

// Exact returns the exact top k passage keys for each query (brute force
// over the regenerated corpus), the reference for recall.
func (c Corpus) Exact(queries [][]float32, k int) [][]vectorstore.PassageKey {
	type hit struct {
		key   vectorstore.PassageKey
		score float64
	}
	tops := make([][]hit, len(queries))
	for i := range c.Docs {
		_, ps := c.Doc(i, 0)
		for _, p := range ps {
			for qi, q := range queries {
				var s float64
				for j, x := range q {
					s += float64(x) * float64(p.Vector[j])
				}
				t := tops[qi]
				if len(t) < k || s > t[len(t)-1].score {
					t = append(t, hit{vectorstore.PassageKey{DocID: DocID(i), Chunk: p.Chunk}, s})
					sort.Slice(t, func(a, b int) bool { return t[a].score > t[b].score })
					if len(t) > k {
						t = t[:k]
					}
					tops[qi] = t
				}
			}
		}
	}
	out := make([][]vectorstore.PassageKey, len(tops))
	for i, t := range tops {
		for _, h := range t {
			out[i] = append(out[i], h.key)
		}
	}
	return out
}

// Recall returns the share of the exact top keys found in got.
func Recall(got [][]vectorstore.Hit, exact [][]vectorstore.PassageKey) float64 {
	found, total := 0, 0
	for i, keys := range exact {
		have := map[vectorstore.PassageKey]bool{}
		for _, h := range got[i] {
			have[vectorstore.PassageKey{DocID: h.DocID, Chunk: h.Chunk}] = true
		}
		for _, k := range keys {
			if have[k] {
				found++
			}
		}
		total += len(keys)
	}
	if total == 0 {
		return 0
	}
	return float64(found) / float64(total)
}

// Fill stores the corpus through Put, flushing every 256 documents.
func Fill(ctx context.Context, s vectorstore.Store, c Corpus, set vectorstore.Settings) error {
	if _, err := s.CreateCollection(ctx, Collection, set); err != nil {
		return err
	}
	for i := range c.Docs {
		d, ps := c.Doc(i, 0)
		if err := s.Put(ctx, Collection, d, ps); err != nil {
			return err
		}
		if i%256 == 255 {
			if err := s.Flush(ctx); err != nil {
				return err
			}
		}
	}
	return s.Flush(ctx)
}

// Result holds one store's figures at one size.
type Result struct {
	Write        time.Duration // p50 of Put of one document + Flush
	Open         time.Duration // Open and first query
	OpenCPU      time.Duration // the process's CPU time for Open and first query
	Query        time.Duration // p50, top 10, no filter
	QueryCPU     time.Duration // p50 of the process's CPU time per query, top 10, no filter
	FilteredTwo  time.Duration // p50, top 10, two-document filter
	FilteredHalf time.Duration // p50, top 10, half the documents
	FilteredRare time.Duration // p50, top 10, a sixteenth of the documents
	RSS          int64         // resident bytes the open store added
	Recall       float64       // recall@10 of unfiltered queries
}

// Measure opens an existing store in dir (filled with c), and measures it.
// writes is how many one-document writes to time (replacing documents).
func Measure(ctx context.Context, open func(dir string) (vectorstore.Store, error), dir string, c Corpus, queries [][]float32, exact [][]vectorstore.PassageKey, writes int) (Result, error) {
	var r Result
	FreeMemory()
	before := RSS()
	t, cpu := time.Now(), CPUTime()
	s, err := open(dir)
	if err != nil {
		return r, err
	}
	defer s.Close()
	if _, err := s.Query(ctx, Collection, queries[0], 10, vectorstore.Filter{}); err != nil {
		return r, err
	}
	r.Open, r.OpenCPU = time.Since(t), CPUTime()-cpu
	runtime.GC()
	r.RSS = RSS() - before
	var got [][]vectorstore.Hit
	cpus := make([]time.Duration, len(queries))
	r.Query, err = P50(len(queries), func(i int) error {
		cpu := CPUTime()
		h, err := s.Query(ctx, Collection, queries[i], 10, vectorstore.Filter{})
		cpus[i] = CPUTime() - cpu
		got = append(got, h)
		return err
	})
	if err != nil {
		return r, err
	}
	slices.Sort(cpus)
	r.QueryCPU = cpus[len(cpus)/2]
	r.Recall = Recall(got, exact)
	if r.FilteredTwo, err = P50(len(queries), func(i int) error {
		_, err := s.Query(ctx, Collection, queries[i], 10, c.TwoDocs())
		return err
	}); err != nil {
		return r, err
	}
	if r.FilteredHalf, err = P50(len(queries), func(i int) error {
		_, err := s.Query(ctx, Collection, queries[i], 10, HalfFilter())
		return err
	}); err != nil {
		return r, err
	}
	if r.FilteredRare, err = P50(len(queries), func(i int) error {
		_, err := s.Query(ctx, Collection, queries[i], 10, RareFilter())
		return err
	}); err != nil {
		return r, err
	}
	r.Write, err = P50(writes, func(i int) error {
		d, ps := c.Doc(i*7919%c.Docs, 1+i)
		if err := s.Put(ctx, Collection, d, ps); err != nil {
			return err
		}
		return s.Flush(ctx)
	})
	return r, err
}

// P50 runs f n times and returns the median duration.
func P50(n int, f func(i int) error) (time.Duration, error) {
	ds := make([]time.Duration, n)
	for i := range n {
		t := time.Now()
		if err := f(i); err != nil {
			return 0, err
		}
		ds[i] = time.Since(t)
	}
	slices.Sort(ds)
	return ds[n/2], nil
}

// RSS returns the process's resident set size in bytes (Linux), or 0.
func RSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// FreeMemory collects garbage and returns it to the OS, so that RSS
// deltas measure live memory.
func FreeMemory() {
	runtime.GC()
	// A store may release memory in cleanups (an unmapped snapshot), which
	// run after the collection that queued them.
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	debug.FreeOSMemory()
}

// Table collects figures by row (a size and a measure) and column (a
// backend or baseline) and prints them aligned, with ratios of the first
// column against the others where both are durations.
type Table struct {
	cols []string
	rows []string
	cell map[[2]string]string
	dur  map[[2]string]time.Duration
}

// NewTable returns a table with the given columns, in order.
func NewTable(cols ...string) *Table {
	return &Table{cols: cols, cell: map[[2]string]string{}, dur: map[[2]string]time.Duration{}}
}

func (t *Table) row(r string) {
	if !slices.Contains(t.rows, r) {
		t.rows = append(t.rows, r)
	}
}

// Set puts a value in a cell, adding the row (and column) if new.
func (t *Table) Set(row, col, value string) {
	t.row(row)
	if !slices.Contains(t.cols, col) {
		t.cols = append(t.cols, col)
	}
	t.cell[[2]string{row, col}] = value
}

// SetDuration puts a duration in a cell; it takes part in ratios.
func (t *Table) SetDuration(row, col string, d time.Duration) {
	t.Set(row, col, FormatDuration(d))
	t.dur[[2]string{row, col}] = d
}

// FormatDuration prints d with three significant digits in ms or s.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

// Print writes the table as Markdown: a column per backend, then the ratio
// of each other column's duration to the first column's.
func (t *Table) Print(w io.Writer) {
	head := append([]string{"measure"}, t.cols...)
	for _, c := range t.cols[1:] {
		head = append(head, c+" / "+t.cols[0])
	}
	lines := [][]string{head}
	for _, r := range t.rows {
		line := []string{r}
		for _, c := range t.cols {
			v := t.cell[[2]string{r, c}]
			if v == "" {
				v = "-"
			}
			line = append(line, v)
		}
		base, ok := t.dur[[2]string{r, t.cols[0]}]
		for _, c := range t.cols[1:] {
			d, ok2 := t.dur[[2]string{r, c}]
			if ok && ok2 && base > 0 {
				line = append(line, fmt.Sprintf("%.1fx", float64(d)/float64(base)))
			} else {
				line = append(line, "-")
			}
		}
		lines = append(lines, line)
	}
	width := make([]int, len(head))
	for _, l := range lines {
		for i, c := range l {
			width[i] = max(width[i], len(c))
		}
	}
	for n, l := range lines {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range l {
			fmt.Fprintf(&b, " %-*s |", width[i], c)
		}
		fmt.Fprintln(w, b.String())
		if n == 0 {
			b.Reset()
			b.WriteString("|")
			for i := range l {
				b.WriteString(strings.Repeat("-", width[i]+2) + "|")
			}
			fmt.Fprintln(w, b.String())
		}
	}
}
