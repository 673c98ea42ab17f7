package gguf

import "math"

// Float32ToFloat16 returns the IEEE 754 binary16 bits nearest to f, rounding
// ties to even. Values too large for binary16 (from 65520 up) become
// infinities, values too small become subnormals or signed zeros, and NaN
// stays a (quiet) NaN with its sign.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff

	switch {
	case exp == 0xff && mant == 0: // infinity
		return sign | 0x7c00
	case exp == 0xff: // NaN: keep the top payload bits, force quiet
		return sign | 0x7e00 | uint16(mant>>13)
	case exp == 0: // zero or float32 subnormal, below half the smallest binary16 subnormal
		return sign
	}

	e := exp - 127 + 15 // binary16 biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	full := mant | 1<<23 // significand with the implicit bit
	if e <= 0 {
		// Subnormal result: value = full * 2^(exp-150); in units of the
		// binary16 subnormal step 2^-24 that is full >> (126-exp).
		shift := uint(126 - exp)
		if shift > 24 { // below 2^-25: rounds to zero
			return sign
		}
		return sign | uint16(roundShift(full, shift))
	}
	// Normal result: drop 13 bits of the 23-bit fraction. A carry out of the
	// fraction correctly bumps the exponent, up to infinity.
	h := uint32(e)<<10 | mant>>13
	rest := mant & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

// roundShift returns x >> s rounded to nearest, ties to even. 1 <= s <= 31.
func roundShift(x uint32, s uint) uint32 {
	q := x >> s
	rem := x & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return q
}
