package embedded

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether dot8x16 can run here.
var hasAVX2 = cpu.X86.HasAVX2

// hasPOPCNT reports whether hamming4 can run here.
var hasPOPCNT = cpu.X86.HasPOPCNT

// dot8x16 returns the dot product of n int8 at a and n int16 at b; n is a
// positive multiple of 32. It needs AVX2.
//
//go:noescape
func dot8x16(a *int8, b *int16, n int) int32

// hamming4 stores into dist[i] the Hamming distance between q's words and
// vector i of the n at data, each of words uint64, words a positive
// multiple of 4, n positive. It needs POPCNT.
//
//go:noescape
func hamming4(q *uint64, data *uint64, words, n int, dist *uint16)
