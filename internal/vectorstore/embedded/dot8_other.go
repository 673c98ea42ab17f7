//go:build !amd64

package embedded

import "unsafe"

const hasAVX2 = false

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
