package embedded

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Query tuning. A collection of up to exactFloats vector values (16 MB of
// float32) is ranked exactly in float32. A larger one is scanned first in its
// int8 copy, a quarter of the bytes, and the best rescoreMin (or 4k)
// candidates are then ranked exactly; on random 768-dim unit vectors that
// finds the exact top 10 (recall@10 1.00 in `make bench-store`). A filter
// that leaves at most an eighth of the passages is answered by ranking just
// those passages exactly; a broader one masks the int8 pass.
const (
	exactFloats   = 1 << 22
	rescoreMin    = 256
	parallelFloat = 1 << 18 // below this many values one goroutine scans
)

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
	if a.live == 0 {
		return nil, nil
	}
	var allow []uint64
	if !f.Empty() {
		var slots []int32
		var n int
		if len(f.DocIDs) > 0 {
			slots = c.filterSlots(f)
			n = len(slots)
		} else {
			allow, slots, n = c.filterMask(f)
		}
		if n == 0 {
			return nil, nil
		}
		if slots != nil && exactOnly(n, a) {
			t := newTopK(min(k, len(slots)))
			for _, s := range slots {
				if d := dot32(v, a.vec(s)); !t.below(d) {
					t.push(d, s)
				}
			}
			return c.ranked(t.h), ctx.Err()
		}
		if allow == nil {
			allow = make([]uint64, (a.n+63)/64)
			for _, s := range slots {
				allow[s/64] |= 1 << (s % 64)
			}
		}
	}
	if a.live*a.dims <= exactFloats {
		tops := a.parallel(ctx, min(k, a.live), func(lo, hi int, t *topK) {
			for s := lo; s < hi; s++ {
				if a.owner[s] == nil || (allow != nil && allow[s/64]&(1<<(s%64)) == 0) {
					continue
				}
				if d := dot32(v, a.vec(int32(s))); !t.below(d) {
					t.push(d, int32(s))
				}
			}
		})
		return c.ranked(mergeTop(tops, k)), ctx.Err()
	}
	q8 := make([]int8, a.dims)
	quantize(q8, v)
	q := make([]int16, a.dims)
	for i, x := range q8 {
		q[i] = int16(x)
	}
	r := min(max(rescoreMin, 4*k), a.live)
	tops := a.parallel(ctx, r, func(lo, hi int, t *topK) {
		for s := lo; s < hi; s++ {
			if a.owner[s] == nil || (allow != nil && allow[s/64]&(1<<(s%64)) == 0) {
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
	t := newTopK(k)
	for _, top := range tops {
		for _, cand := range top.h {
			if d := dot32(v, a.vec(cand.slot)); !t.below(d) {
				t.push(d, cand.slot)
			}
		}
	}
	return c.ranked(t.h), nil
}

// parallel splits the arena's slots between workers, each with its own
// top-r heap, and returns the heaps. Workers stop early when ctx is done.
func (a *arena) parallel(ctx context.Context, r int, scan func(lo, hi int, t *topK)) []*topK {
	workers := 1
	if a.n*a.dims > parallelFloat {
		workers = runtime.GOMAXPROCS(0)
	}
	// Chunks of whole blocks, handed out in turn, keep workers busy to
	// the end and let them notice a canceled query.
	const chunk = blockSlots
	tops := make([]*topK, workers)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		t := newTopK(r)
		tops[w] = t
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= a.n {
					return
				}
				scan(lo, min(lo+chunk, a.n), t)
			}
		})
	}
	wg.Wait()
	return tops
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

// exactOnly reports whether a filter that keeps n passages is best answered
// by ranking just those in float32: when they are an eighth of the arena at
// most (a float32 vector is four times the bytes of the int8 pass, and this
// runs on one core), or when the whole collection is ranked exactly anyway.
func exactOnly(n int, a *arena) bool {
	return n*8 <= a.live || a.live*a.dims <= exactFloats
}

// filterMask evaluates f once per document, walking the arena in slot order
// (a document's passages mostly lie side by side), and returns the mask of
// allowed slots and, when they are at most a quarter of the passages, their
// list, and how many there are.
func (c *collection) filterMask(f vectorstore.Filter) (allow []uint64, slots []int32, n int) {
	a := &c.arena
	match := f.Matcher()
	allow = make([]uint64, (a.n+63)/64)
	var last *docEntry
	ok := false
	for s, e := range a.owner[:a.n] {
		if e == nil {
			continue
		}
		if e != last {
			last, ok = e, match(&e.Doc)
		}
		if ok {
			allow[s/64] |= 1 << (s % 64)
			n++
		}
	}
	if n == 0 {
		return nil, nil, 0
	}
	if !exactOnly(n, a) {
		return allow, nil, n
	}
	slots = make([]int32, 0, n)
	for s := range a.owner[:a.n] {
		if allow[s/64]&(1<<(s%64)) != 0 {
			slots = append(slots, int32(s))
		}
	}
	return allow, slots, n
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
