//go:build !amd64

package embedded

import "unsafe"

const (
	hasAVX2   = false
	hasPOPCNT = false
)

// dot8x16 is the portable form of the amd64 assembly; it is not called
// when hasAVX2 is false, but keeps the build complete.
func dot8x16(a *int8, b *int16, n int) int32 {
	x, y := unsafe.Slice(a, n), unsafe.Slice(b, n)
	var s int32
	for i := range x {
		s += int32(x[i]) * int32(y[i])
	}
	return s
}

// hamming4 is the portable form of the amd64 assembly, likewise not called.
func hamming4(q *uint64, data *uint64, words, n int, dist *uint16) {
	qs, d, out := unsafe.Slice(q, words), unsafe.Slice(data, words*n), unsafe.Slice(dist, n)
	for i := range out {
		out[i] = uint16(hamming(qs, d[i*words:(i+1)*words]))
	}
}
