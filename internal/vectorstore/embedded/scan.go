package embedded

import (
	"context"
	"encoding/json"
	"math"
	mbits "math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Query plans, chosen by the collection's size in vector values (passages
// x dims) and by how much of it a filter keeps:
//
//   - up to exactFloats values (16 MB of float32) every passage is ranked
//     exactly in float32;
//   - up to signFloats values the int8 copy, a quarter of the bytes, is
//     scanned and the best rescoreMin (or 4k) candidates are ranked exactly;
//   - above, the sign bits (a 32nd of the float32 bytes) are scanned first,
//     by Hamming distance to the query's signs, and the nearest signMin (or
//     a signCandidates share when larger) go through the int8 pass and the
//     exact ranking. The int8 pass costs about 0.2 us per candidate (each
//     is a random read), so their number is kept as low as recall allows. On real-text vectors at 1M x 768 that finds
//     the exact top 10 (recall@10 >= 0.99, `make bench-store`,
//     docs/performance.md "The embedded store at 1M") in a fraction of the
//     int8 scan's time: a query reads 96 MB instead of 768 MB.
//
// A filter is evaluated once per document, on all cores, into a bitmap of
// slots that the scan tests per slot, kept for the next queries with the
// same filter until the collection changes; so a broad filter costs what
// no filter costs. One that keeps at most an eighth of the passages is
// answered from the list of its passages instead: exactly when they are
// few, else by their int8 pass and exact rescoring. A small collection
// (ranked exactly whole) tests the filter per document during its scan.
const (
	exactFloats    = 1 << 22
	signFloats     = 1 << 27
	signCandidates = 128 // a 128th of the passages
	signMin        = 8192
	rescoreMin     = 256
	parallelFloat  = 1 << 18 // below this many values one goroutine scans
)

// planLimits overrides the plan thresholds above (in vector values); zero
// fields keep the defaults.
type planLimits struct {
	exact, sign int
	signMin     int // candidates of the sign pass
}

func (a *arena) limits() (exact, sign int) {
	exact, sign = exactFloats, signFloats
	if a.plan.exact > 0 {
		exact = a.plan.exact
	}
	if a.plan.sign > 0 {
		sign = a.plan.sign
	}
	return exact, sign
}

// scored is a passage slot with its similarity to the query.
type scored struct {
	score float32
	slot  int32
}

// topK keeps the k best scores seen, as a min-heap.
type topK struct {
	k int
	h []scored
}

func newTopK(k int) *topK { return &topK{k: k, h: make([]scored, 0, k)} }

// full reports whether score would not enter the heap.
func (t *topK) below(score float32) bool { return len(t.h) == t.k && score <= t.h[0].score }

func (t *topK) push(score float32, slot int32) {
	h := t.h
	if len(h) < t.k {
		h = append(h, scored{score, slot})
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p].score <= h[i].score {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return
	}
	if score <= h[0].score {
		return
	}
	h[0] = scored{score, slot}
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].score < h[m].score {
			m = l
		}
		if r < len(h) && h[r].score < h[m].score {
			m = r
		}
		if m == i {
			break
		}
		h[m], h[i] = h[i], h[m]
		i = m
	}
}

// dot32 returns the dot product of a and b, which have the same length.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		s4 += x[4] * y[4]
		s5 += x[5] * y[5]
		s6 += x[6] * y[6]
		s7 += x[7] * y[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// dotQ returns the dot product of an int8 vector with a query widened to
// int16, with AVX2 where the CPU has it.
func dotQ(q []int16, v []int8) int32 {
	v = v[:len(q)]
	n := len(q) &^ 31
	var s int32
	if hasAVX2 && n > 0 {
		s = dot8x16(&v[0], &q[0], n)
	} else {
		n = 0
	}
	for i := n; i < len(q); i++ {
		s += int32(v[i]) * int32(q[i])
	}
	return s
}

// search returns the k passages most similar to v that pass f, best first
// (ties by document id and chunk). Callers hold the store's read lock.
func (c *collection) search(ctx context.Context, v []float32, k int, f vectorstore.Filter) ([]scored, error) {
	a := &c.arena
	if m := a.mapped; m != nil {
		m.busy.Add(1) // the verifier yields while queries run
		defer m.busy.Add(-1)
	}
	if a.live == 0 {
		return nil, nil
	}
	exactMax, signMax := a.limits()
	size := a.live * a.dims
	var match func(*docEntry) bool // the filter, tested per document in the scan
	var allow []uint64             // or the filter's slots, tested per slot
	if !f.Empty() {
		if size <= exactMax {
			match = docFilter(f)
		} else {
			slots, bitmap, n := c.filterPlan(ctx, f)
			if n == 0 {
				return nil, ctx.Err()
			}
			if slots != nil {
				return c.ranked(a.rankSlots(ctx, v, k, slots)), ctx.Err()
			}
			allow = bitmap
		}
	}
	// keep reports whether slot s holds a passage that passes the filter;
	// last and ok cache match's answer for the document of the previous
	// slot, per worker.
	keep := func(s int, last **docEntry, ok *bool) bool {
		if allow != nil {
			return allow[s/64]&(1<<(s%64)) != 0
		}
		e := a.owner[s]
		if e == nil {
			return false
		}
		if match == nil {
			return true
		}
		if e != *last {
			*last, *ok = e, match(e)
		}
		return *ok
	}
	if size <= exactMax {
		tops := a.parallel(ctx, a.n, min(k, a.live), func(lo, hi int, t *topK) {
			var last *docEntry
			var ok bool
			for s := lo; s < hi; s++ {
				if !keep(s, &last, &ok) {
					continue
				}
				if d := dot32(v, a.vec(int32(s))); !t.below(d) {
					t.push(d, int32(s))
				}
			}
		})
		return c.ranked(mergeTop(tops, k)), ctx.Err()
	}
	q := queryInt16(v, a.dims)
	// Distances are kept as uint16, MaxUint16 marking a skipped slot.
	if size <= signMax || a.dims >= math.MaxUint16 {
		r := min(max(rescoreMin, 4*k), a.live)
		tops := a.parallel(ctx, a.n, r, func(lo, hi int, t *topK) {
			var last *docEntry
			var ok bool
			for s := lo; s < hi; s++ {
				if !keep(s, &last, &ok) {
					continue
				}
				if d := float32(dotQ(q, a.qvec(int32(s)))) * a.scale[s]; !t.below(d) {
					t.push(d, int32(s))
				}
			}
		})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return c.ranked(a.rescore(v, k, tops)), nil
	}
	// The sign pass: each slot's Hamming distance to the query's signs,
	// and a histogram of them, from which the distance that admits the
	// wanted number of candidates is read.
	qs := make([]uint64, a.words())
	setSigns(qs, quantizeCopy(v))
	words := a.words()
	want := max(signMin, a.live/signCandidates)
	if a.plan.signMin > 0 {
		want = a.plan.signMin
	}
	fast := hasPOPCNT && words%4 == 0
	// No slot filtered out: no per-slot test. Free slots (removed
	// passages), when few and all listed, are counted like the others
	// and taken out of the histogram afterwards: testing every slot's
	// owner cost more than the pass itself once one passage was removed.
	all := fast && allow == nil && match == nil && a.freeListed() && a.n-a.live <= a.n/16
	dist := make([]uint16, a.n)
	const skip = math.MaxUint16
	hists := a.parallelW(ctx, a.n, func(lo, hi int, hist []int) {
		// [lo, hi) lies in one block (see each).
		if fast {
			hamming4(&qs[0], &a.sign[lo/blockSlots][(lo%blockSlots)*words], words, hi-lo, &dist[lo])
		}
		if all {
			for _, d := range dist[lo:hi] {
				hist[d]++
			}
			return
		}
		var last *docEntry
		var ok bool
		for s := lo; s < hi; s++ {
			if !keep(s, &last, &ok) {
				dist[s] = skip
				continue
			}
			if !fast {
				dist[s] = uint16(hamming(qs, a.signs(int32(s))))
			}
			hist[dist[s]]++
		}
	}, a.dims+1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hist := sumHists(hists)
	if all {
		for _, free := range [][]int32{a.free, a.pending} {
			for _, s := range free {
				hist[dist[s]]--
				dist[s] = skip
			}
		}
	}
	cands := pickNearest(dist, hist, want)
	if len(cands) == 0 {
		return nil, nil
	}
	return c.ranked(a.rankSlots(ctx, v, k, cands)), ctx.Err()
}

// sumHists adds the workers' histograms into the first.
func sumHists(hists [][]int) []int {
	hist := hists[0]
	for _, h := range hists[1:] {
		for i, n := range h {
			hist[i] += n
		}
	}
	return hist
}

// pickNearest returns the indexes of the want smallest distances in dist
// (fewer when fewer are not skipped), whose histogram is hist: all those
// below the distance at which hist reaches want, and the first ones at it.
func pickNearest(dist []uint16, hist []int, want int) []int32 {
	cut, below := 0, 0 // every distance < cut is taken, and some at cut
	for cut < len(hist)-1 && below+hist[cut] < want {
		below += hist[cut]
		cut++
	}
	atCut := min(want, below+hist[cut]) - below
	out := make([]int32, 0, below+atCut)
	c := uint16(cut)
	for s, d := range dist {
		if d < c {
			out = append(out, int32(s))
		} else if d == c && atCut > 0 {
			out = append(out, int32(s))
			atCut--
		}
	}
	return out
}

// rankSlots returns the k of slots most similar to v: exactly in float32
// when they are few, else the best rescoreMin (or 4k) of their int8 pass
// ranked exactly.
func (a *arena) rankSlots(ctx context.Context, v []float32, k int, slots []int32) []scored {
	exactMax, _ := a.limits()
	if len(slots)*a.dims <= exactMax {
		tops := a.parallel(ctx, len(slots), min(k, len(slots)), func(lo, hi int, t *topK) {
			for _, s := range slots[lo:hi] {
				if d := dot32(v, a.vec(s)); !t.below(d) {
					t.push(d, s)
				}
			}
		})
		return mergeTop(tops, k)
	}
	q := queryInt16(v, a.dims)
	r := min(max(rescoreMin, 4*k), len(slots))
	tops := a.parallel(ctx, len(slots), r, func(lo, hi int, t *topK) {
		for _, s := range slots[lo:hi] {
			if d := float32(dotQ(q, a.qvec(s))) * a.scale[s]; !t.below(d) {
				t.push(d, s)
			}
		}
	})
	return a.rescore(v, k, tops)
}

// rescore ranks the candidates of the int8 pass exactly and keeps k.
func (a *arena) rescore(v []float32, k int, tops []*topK) []scored {
	t := newTopK(k)
	for _, top := range tops {
		for _, cand := range top.h {
			if d := dot32(v, a.vec(cand.slot)); !t.below(d) {
				t.push(d, cand.slot)
			}
		}
	}
	return t.h
}

// queryInt16 returns v quantised to int8, widened to int16 for dotQ.
func queryInt16(v []float32, dims int) []int16 {
	q8 := quantizeCopy(v)
	q := make([]int16, dims)
	for i, x := range q8 {
		q[i] = int16(x)
	}
	return q
}

func quantizeCopy(v []float32) []int8 {
	q8 := make([]int8, len(v))
	quantize(q8, v)
	return q8
}

// parallel splits [0, n) (slots, or indexes into a slot list) between
// workers, each with its own top-r heap, and returns the heaps. Workers stop
// early when ctx is done.
func (a *arena) parallel(ctx context.Context, n, r int, scan func(lo, hi int, t *topK)) []*topK {
	var tops []*topK
	a.each(ctx, n, func(w int) {
		tops = append(tops, newTopK(r))
	}, func(w, lo, hi int) { scan(lo, hi, tops[w]) })
	return tops
}

// parallelW is parallel with a histogram of m counters per worker instead
// of a heap.
func (a *arena) parallelW(ctx context.Context, n int, scan func(lo, hi int, hist []int), m int) [][]int {
	var hists [][]int
	a.each(ctx, n, func(w int) {
		hists = append(hists, make([]int, m))
	}, func(w, lo, hi int) { scan(lo, hi, hists[w]) })
	return hists
}

// each runs scan over [0, n) in chunks of a block's slots, handed out in
// turn so that workers stay busy to the end and notice a canceled query;
// setup(w) runs for each worker before they start.
func (a *arena) each(ctx context.Context, n int, setup func(w int), scan func(w, lo, hi int)) {
	workers := 1
	if n*a.dims > parallelFloat {
		workers = runtime.GOMAXPROCS(0)
	}
	for w := range workers {
		setup(w)
	}
	const chunk = blockSlots
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				scan(w, lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

func mergeTop(tops []*topK, k int) []scored {
	if len(tops) == 1 {
		return tops[0].h
	}
	t := newTopK(k)
	for _, top := range tops {
		for _, s := range top.h {
			t.push(s.score, s.slot)
		}
	}
	return t.h
}

// ranked sorts hits best first, ties by document id and chunk.
func (c *collection) ranked(h []scored) []scored {
	a := &c.arena
	slices.SortFunc(h, func(x, y scored) int {
		if x.score != y.score {
			if x.score > y.score {
				return -1
			}
			return 1
		}
		if d := strings.Compare(a.owner[x.slot].Doc.ID, a.owner[y.slot].Doc.ID); d != 0 {
			return d
		}
		return int(a.chunk[x.slot] - a.chunk[y.slot])
	})
	return h
}

// filterPlan evaluates f for a collection too large to rank whole: it
// returns the list of the slots that pass it when they are at most an
// eighth of the passages (they are then ranked on their own), else the
// bitmap of those slots, which the scan tests; and how many there are. A
// filter naming documents is listed from them; another is evaluated once
// per document, on all cores, and its bitmap kept for the next queries
// with the same filter until the collection changes (see [filterCache]).
func (c *collection) filterPlan(ctx context.Context, f vectorstore.Filter) (slots []int32, allow []uint64, n int) {
	a := &c.arena
	if len(f.DocIDs) > 0 {
		slots = c.filterSlots(f)
		if len(slots)*8 <= a.live {
			return slots, nil, len(slots)
		}
		allow = make([]uint64, (a.n+63)/64)
		for _, s := range slots {
			allow[s/64] |= 1 << (s % 64)
		}
		return nil, allow, len(slots)
	}
	allow, n = a.filterBits(ctx, f)
	if n == 0 || n*8 > a.live {
		return nil, allow, n
	}
	slots = make([]int32, 0, n)
	for w, bits := range allow {
		for bits != 0 {
			slots = append(slots, int32(w*64+mbits.TrailingZeros64(bits)))
			bits &= bits - 1
		}
	}
	return slots, nil, n
}

// filterCache keeps the slot bitmaps of the last few filters evaluated on
// an arena, for the version of the arena they were evaluated on: a search
// page or an agent asks many questions within one filter, and evaluating a
// filter touches every document's entry, which at 1M passages costs more
// than the sign pass itself.
type filterCache struct {
	mu      sync.Mutex
	entries []filterEntry // most recent first
}

type filterEntry struct {
	key     string
	version uint64
	allow   []uint64 // read-only once cached
	n       int
}

const filterCacheSize = 4

// filterBits returns the bitmap of the live slots whose document passes f,
// and their number.
func (a *arena) filterBits(ctx context.Context, f vectorstore.Filter) ([]uint64, int) {
	key, err := json.Marshal(f)
	fc := &a.filters
	if err == nil {
		fc.mu.Lock()
		for i, e := range fc.entries {
			if e.key == string(key) && e.version == a.version {
				copy(fc.entries[1:i+1], fc.entries[:i])
				fc.entries[0] = e
				fc.mu.Unlock()
				return e.allow, e.n
			}
		}
		fc.mu.Unlock()
	}
	match := f.Matcher()
	allow := make([]uint64, (a.n+63)/64)
	var counts []int
	// Chunks of whole blocks: workers write disjoint words of allow.
	a.each(ctx, a.n, func(int) { counts = append(counts, 0) }, func(w, lo, hi int) {
		var last *docEntry
		ok := false
		for s, e := range a.owner[lo:hi] {
			if e == nil {
				continue
			}
			if e != last {
				last, ok = e, match(&e.Doc)
			}
			if ok {
				s += lo
				allow[s/64] |= 1 << (s % 64)
				counts[w]++
			}
		}
	})
	n := 0
	for _, c := range counts {
		n += c
	}
	if err == nil && ctx.Err() == nil {
		fc.mu.Lock()
		fc.entries = append([]filterEntry{{string(key), a.version, allow, n}}, fc.entries...)
		fc.entries = fc.entries[:min(len(fc.entries), filterCacheSize)]
		fc.mu.Unlock()
	}
	return allow, n
}

// filterSlots returns the slots of the passages of the documents f names
// (f.DocIDs is not empty) that pass the rest of f.
func (c *collection) filterSlots(f vectorstore.Filter) []int32 {
	match := docFilter(f)
	var slots []int32
	seen := make(map[string]bool, len(f.DocIDs))
	for _, id := range f.DocIDs {
		e, ok := c.docs[id]
		if !ok || seen[id] || !match(e) {
			continue
		}
		seen[id] = true
		for _, s := range e.slots {
			if s >= 0 {
				slots = append(slots, s)
			}
		}
	}
	return slots
}
