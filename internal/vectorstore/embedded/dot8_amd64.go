package embedded

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether dot8x16 can run here.
var hasAVX2 = cpu.X86.HasAVX2

// dot8x16 returns the dot product of n int8 at a and n int16 at b; n is a
// positive multiple of 32. It needs AVX2.
//
//go:noescape
func dot8x16(a *int8, b *int16, n int) int32
