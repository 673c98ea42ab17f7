package gguf_test

import (
	"math"
	"testing"

	"github.com/semsearch/semsearch/internal/gguf"
	"github.com/semsearch/semsearch/internal/gguf/ggufread"
)

func TestFloat32ToFloat16(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"one third", 1.0 / 3, 0x3555},
		{"max", 65504, 0x7bff},
		{"just below overflow threshold", 65519.996, 0x7bff},
		{"overflow threshold rounds to inf", 65520, 0x7c00},
		{"large", 1e10, 0x7c00},
		{"negative large", -1e10, 0xfc00},
		{"max float32", math.MaxFloat32, 0x7c00},
		{"inf", float32(math.Inf(1)), 0x7c00},
		{"minus inf", float32(math.Inf(-1)), 0xfc00},
		{"smallest normal", 0x1p-14, 0x0400},
		{"largest subnormal", 0x3ffp-24, 0x03ff},
		{"largest subnormal rounds up to normal", 0x3ff.8p-24, 0x0400},
		{"smallest subnormal", 0x1p-24, 0x0001},
		{"half the smallest subnormal ties to zero", 0x1p-25, 0x0000},
		{"just above half the smallest subnormal", 0x1.000002p-25, 0x0001},
		{"three halves of the smallest subnormal ties to two", 0x3p-25, 0x0002},
		{"below half the smallest subnormal", 0x1p-26, 0x0000},
		{"negative subnormal", -0x5p-24, 0x8005},
		{"float32 subnormal", 0x1p-140, 0x0000},
		{"negative float32 subnormal", -0x1p-140, 0x8000},
		{"tie to even down", 1 + 0x1p-11, 0x3c00},
		{"tie to even up", 1 + 0x3p-11, 0x3c02},
		{"above tie", 1 + 0x1.004p-11, 0x3c01},
		{"carry into exponent", 0x1.ffep0, 0x4000},
		{"glove-like", -0.038194, 0xa8e4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gguf.Float32ToFloat16(tt.in); got != tt.want {
				t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestFloat32ToFloat16_nan(t *testing.T) {
	for _, bits := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff, 0x7f802000} {
		h := gguf.Float32ToFloat16(math.Float32frombits(bits))
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			t.Errorf("NaN %#08x became %#04x, not a NaN", bits, h)
		}
		if h&0x8000 != uint16(bits>>16)&0x8000 {
			t.Errorf("NaN %#08x lost its sign: %#04x", bits, h)
		}
	}
}

// TestFloat32ToFloat16_exhaustive checks every binary16 value against the
// independent decoder of package ggufread: each value converts back to
// itself, and each midpoint between neighbours rounds to the even one while
// the float32 values just beside it round to the nearer one.
func TestFloat32ToFloat16_exhaustive(t *testing.T) {
	for h := range 0x10000 {
		h := uint16(h)
		f := ggufread.HalfToFloat32(h)
		if f != f { // NaN
			continue
		}
		if got := gguf.Float32ToFloat16(f); got != h {
			t.Fatalf("round trip of %#04x (%g) gave %#04x", h, f, got)
		}
	}
	for _, sign := range []uint16{0, 0x8000} {
		for lo := uint16(0); lo < 0x7c00; lo++ { // every finite magnitude
			a, b := sign|lo, sign|(lo+1) // b may be infinity
			fa, fb := float64(ggufread.HalfToFloat32(a)), float64(ggufread.HalfToFloat32(b))
			if math.IsInf(fb, 0) { // treat the next step up as 65536
				fb = math.Copysign(65536, fa)
			}
			mid := float32((fa + fb) / 2) // exact: 12 significant bits
			even := a
			if a&1 == 1 {
				even = b
			}
			if got := gguf.Float32ToFloat16(mid); got != even {
				t.Fatalf("midpoint %g of %#04x and %#04x gave %#04x, want %#04x", mid, a, b, got, even)
			}
			toward := func(x float32, dir float64) float32 {
				return math.Nextafter32(x, float32(math.Copysign(math.Inf(1), dir)))
			}
			if got := gguf.Float32ToFloat16(toward(mid, fb-fa)); got != b {
				t.Fatalf("just past the midpoint of %#04x and %#04x gave %#04x", a, b, got)
			}
			if got := gguf.Float32ToFloat16(toward(mid, fa-fb)); got != a {
				t.Fatalf("just before the midpoint of %#04x and %#04x gave %#04x", a, b, got)
			}
		}
	}
}
