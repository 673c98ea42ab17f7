package embedded

import (
	"math"
	"math/bits"
	"runtime"
	"sync"
)

// blockSlots is how many vectors one arena block holds. Blocks never move
// once allocated, so a snapshot being written can read them unlocked.
const blockSlots = 1024

// arena holds a collection's passage vectors laid out contiguously, in
// fixed-size blocks of slots, with an int8 copy of each vector and its sign
// bits for the first passes of a query (see [collection.search]). It is the only copy of the vectors in memory: queries
// scan it and snapshots are written from it.
//
// A slot is freed when its passage is removed and reused by a later passage,
// except while a snapshot is being written from the arena (noReuse), so the
// snapshot writer may read the slots of its catalog without a lock.
type arena struct {
	dims  int
	f32   [][]float32 // blocks of blockSlots*dims
	i8    [][]int8    // the same vectors quantised: f32[i] ~ i8[i] * scale[slot]
	sign  [][]uint64  // their signs, a bit per value set when i8 > 0, words() uint64 per slot
	scale []float32   // per slot
	owner []*docEntry // per slot; nil when free
	chunk []int32     // per slot: the owner's passage number
	n     int         // slots ever handed out (the high-water mark)
	live  int
	free  []int32
	// noReuse holds freed slots in pending instead of free while a
	// snapshot reads the arena.
	noReuse bool
	pending []int32
	// mapped is the snapshot mapping that blocks of f32, i8 and sign
	// alias (nil when none does); holding it keeps them valid.
	mapped *mapping
	// version changes whenever a slot is taken or freed, which is when
	// the cached filter bitmaps (filters) go stale.
	version uint64
	filters filterCache
	// plan overrides the query plan's size limits (see [planLimits]);
	// zero keeps the defaults. Tests set it to try a plan at a small size.
	plan planLimits
}

// words returns how many uint64 hold one slot's sign bits.
func (a *arena) words() int { return (a.dims + 63) / 64 }

// signs returns slot's sign bits; they alias the arena.
func (a *arena) signs(slot int32) []uint64 {
	w := a.words()
	b, off := int(slot)/blockSlots, (int(slot)%blockSlots)*w
	return a.sign[b][off : off+w : off+w]
}

// computeSigns allocates the sign blocks of a freshly loaded arena (a.n
// slots in its int8 blocks) and fills them from the int8 copies, on all
// cores: a snapshot does not store them.
func (a *arena) computeSigns() {
	w := a.words()
	a.sign = make([][]uint64, len(a.i8))
	var wg sync.WaitGroup
	next := make(chan int, len(a.i8))
	for b := range a.i8 {
		a.sign[b] = make([]uint64, blockSlots*w)
		next <- b
	}
	close(next)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for b := range next {
				for s := b * blockSlots; s < min((b+1)*blockSlots, a.n); s++ {
					setSigns(a.signs(int32(s)), a.qvec(int32(s)))
				}
			}
		})
	}
	wg.Wait()
}

// setSigns sets bit i of dst when q[i] > 0, clearing the others.
func setSigns(dst []uint64, q []int8) {
	clear(dst)
	for i, x := range q {
		// -x>>15 (in int16) is all ones for x > 0, 0 otherwise: branch-free.
		dst[i/64] |= uint64(uint8(-int16(x)>>15)&1) << (i % 64)
	}
}

// hamming returns the number of differing bits of a and b (same length).
func hamming(a, b []uint64) int {
	b = b[:len(a)]
	d := 0
	for i, x := range a {
		d += bits.OnesCount64(x ^ b[i])
	}
	return d
}

// vec returns slot's float32 vector; it aliases the arena.
func (a *arena) vec(slot int32) []float32 {
	b, off := int(slot)/blockSlots, (int(slot)%blockSlots)*a.dims
	return a.f32[b][off : off+a.dims : off+a.dims]
}

func (a *arena) qvec(slot int32) []int8 {
	b, off := int(slot)/blockSlots, (int(slot)%blockSlots)*a.dims
	return a.i8[b][off : off+a.dims : off+a.dims]
}

// alloc stores v (of a.dims values, or the first vector ever, which sets
// a.dims) for passage chunk of e and returns its slot.
func (a *arena) alloc(v []float32, e *docEntry, chunk int) int32 {
	if a.dims == 0 {
		a.dims = len(v)
	}
	slot := a.take()
	copy(a.vec(slot), v)
	a.quantize(slot)
	a.owner[slot], a.chunk[slot] = e, int32(chunk)
	a.live++
	a.version++
	return slot
}

// take returns a free slot, growing the arena when none is free; the slot's
// vector is left for the caller to fill.
func (a *arena) take() int32 {
	// Nor while a mapped snapshot's vectors are being verified: a reused
	// slot of a mapped block writes to (a private copy of) its page,
	// which the verifier would take for damage.
	if n := len(a.free); n > 0 && !a.noReuse && a.mapped.verified() {
		s := a.free[n-1]
		a.free = a.free[:n-1]
		return s
	}
	if a.n == len(a.f32)*blockSlots {
		a.f32 = append(a.f32, make([]float32, blockSlots*a.dims))
		a.i8 = append(a.i8, make([]int8, blockSlots*a.dims))
		a.sign = append(a.sign, make([]uint64, blockSlots*a.words()))
	}
	s := int32(a.n)
	a.n++
	a.scale = append(a.scale, 0)
	a.owner = append(a.owner, nil)
	a.chunk = append(a.chunk, 0)
	return s
}

// release frees slot.
func (a *arena) release(slot int32) {
	// The vectors stay as they are until the slot is reused: a snapshot
	// being written may still read them.
	a.owner[slot] = nil
	a.live--
	a.version++
	if a.noReuse {
		a.pending = append(a.pending, slot)
	} else {
		a.free = append(a.free, slot)
	}
}

// freeListed reports whether the free lists (free, pending) name every
// slot below n that holds no passage, as they do unless a snapshot left
// holes it did not list.
func (a *arena) freeListed() bool { return len(a.free)+len(a.pending) == a.n-a.live }

// reuse ends a noReuse period.
func (a *arena) reuse() {
	a.noReuse = false
	a.free = append(a.free, a.pending...)
	a.pending = nil
}

// quantize fills slot's int8 copy from its float32 vector: each value is
// rounded to a multiple of max|v|/127.
func (a *arena) quantize(slot int32) {
	a.scale[slot] = quantize(a.qvec(slot), a.vec(slot))
	setSigns(a.signs(slot), a.qvec(slot))
}

// quantize writes v as int8 multiples of the returned scale into q,
// rounding to nearest. It is branch-free per value: the signs of a vector's
// values are random, which would defeat branch prediction.
func quantize(q []int8, v []float32) float32 {
	var mb uint32 // the largest |x|, as bits: non-negative floats order like their bits
	for _, x := range v {
		if b := math.Float32bits(x) &^ (1 << 31); b > mb {
			mb = b
		}
	}
	m := math.Float32frombits(mb)
	if m == 0 || m != m || math.IsInf(float64(m), 0) {
		clear(q)
		return 0
	}
	inv := 127 / m
	q = q[:len(v)]
	for i, x := range v {
		// x*inv is in [-127, 127]; shifted it is positive, so the
		// conversion's truncation rounds to nearest.
		q[i] = int8(int32(x*inv+128.5) - 128)
	}
	return m / 127
}
