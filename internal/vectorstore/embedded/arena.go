package embedded

import (
	"math"
)

// blockSlots is how many vectors one arena block holds. Blocks never move
// once allocated, so a snapshot being written can read them unlocked.
const blockSlots = 1024

// arena holds a collection's passage vectors laid out contiguously, in
// fixed-size blocks of slots, with an int8 copy of each vector for the first
// pass of a query. It is the only copy of the vectors in memory: queries
// scan it and snapshots are written from it.
//
// A slot is freed when its passage is removed and reused by a later passage,
// except while a snapshot is being written from the arena (noReuse), so the
// snapshot writer may read the slots of its catalog without a lock.
type arena struct {
	dims  int
	f32   [][]float32 // blocks of blockSlots*dims
	i8    [][]int8    // the same vectors quantised: f32[i] ~ i8[i] * scale[slot]
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
	return slot
}

// take returns a free slot, growing the arena when none is free; the slot's
// vector is left for the caller to fill.
func (a *arena) take() int32 {
	if n := len(a.free); n > 0 && !a.noReuse {
		s := a.free[n-1]
		a.free = a.free[:n-1]
		return s
	}
	if a.n == len(a.f32)*blockSlots {
		a.f32 = append(a.f32, make([]float32, blockSlots*a.dims))
		a.i8 = append(a.i8, make([]int8, blockSlots*a.dims))
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
	if a.noReuse {
		a.pending = append(a.pending, slot)
	} else {
		a.free = append(a.free, slot)
	}
}

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
