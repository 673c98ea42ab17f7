package ggufread_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/gguf/ggufread"
)

// builder assembles GGUF bytes by hand, independently of package gguf.
type builder struct{ bytes.Buffer }

func (b *builder) u32(x uint32) *builder { binary.Write(b, binary.LittleEndian, x); return b }
func (b *builder) u64(x uint64) *builder { binary.Write(b, binary.LittleEndian, x); return b }
func (b *builder) str(s string) *builder { b.u64(uint64(len(s))); b.WriteString(s); return b }

func header(nTensors, nKV uint64) *builder {
	b := &builder{}
	b.WriteString("GGUF")
	return b.u32(3).u64(nTensors).u64(nKV)
}

// valid returns a small file with one KV and one F32 tensor [2].
func valid() []byte {
	b := header(1, 1)
	b.str("general.name").u32(8).str("x")
	b.str("t").u32(1).u64(2).u32(0).u64(0)
	for b.Len()%32 != 0 {
		b.WriteByte(0)
	}
	binary.Write(b, binary.LittleEndian, []float32{1.5, -2})
	return b.Bytes()
}

func TestParse(t *testing.T) {
	f, err := ggufread.Parse(valid())
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("general.name"); v != "x" {
		t.Errorf("general.name = %v", v)
	}
	got, err := f.Float32s("t")
	if err != nil || len(got) != 2 || got[0] != 1.5 || got[1] != -2 {
		t.Errorf("Float32s = %v, %v", got, err)
	}
	if _, err := f.Float32s("missing"); err == nil {
		t.Error("no error for a missing tensor")
	}
}

func TestParse_invalid(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a GGUF file"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "not a GGUF file"},
		{"truncated header", header(0, 0).Bytes()[:10], "truncated"},
		{"unknown version", func() []byte { b := &builder{}; b.WriteString("GGUF"); return b.u32(9).u64(0).u64(0).Bytes() }(), "unsupported GGUF version 9"},
		{"huge kv count", header(0, 1<<60).Bytes(), "more than the file can hold"},
		{"huge string", header(0, 1).u64(1 << 62).u32(0).Bytes(), "truncated"},
		{"unknown type", header(0, 1).str("k").u32(99).Bytes(), "unknown value type 99"},
		{"bad bool", append(header(0, 1).str("k").u32(7).Bytes(), 2), "bool value 2"},
		{"huge array", header(0, 1).str("k").u32(9).u32(4).u64(1 << 61).Bytes(), "does not fit"},
		{"bad utf8", header(0, 1).str("k").u32(8).str("\xff").Bytes(), "not valid UTF-8"},
		{"duplicate key", header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).Bytes(), `duplicate metadata key "k"`},
		{"bad alignment", header(0, 1).str("general.alignment").u32(4).u32(24).Bytes(), "power of two"},
		{"rank 0", header(1, 0).str("t").u32(0).u32(0).u64(0).Bytes(), "rank 0"},
		{"misaligned offset", func() []byte {
			b := header(1, 0).str("t").u32(1).u64(1).u32(0).u64(4)
			b.Write(make([]byte, 64))
			return b.Bytes()
		}(), "not a multiple of the alignment"},
		{"data past end", func() []byte {
			b := header(1, 0).str("t").u32(1).u64(100).u32(0).u64(0)
			b.Write(make([]byte, 64))
			return b.Bytes()
		}(), "runs past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ggufread.Parse(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParse_truncated(t *testing.T) {
	b := valid()
	for n := range len(b) {
		if _, err := ggufread.Parse(b[:n]); err == nil {
			t.Errorf("no error for the first %d of %d bytes", n, len(b))
		}
	}
}

func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		in   uint16
		want float64
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x7bff, 65504},
		{0x0400, 0x1p-14},
		{0x03ff, 0x3ffp-24},
		{0x0001, 0x1p-24},
		{0x7c00, math.Inf(1)},
		{0xfc00, math.Inf(-1)},
	}
	for _, tt := range tests {
		if got := ggufread.HalfToFloat32(tt.in); float64(got) != tt.want {
			t.Errorf("HalfToFloat32(%#04x) = %g, want %g", tt.in, got, tt.want)
		}
	}
	if got := ggufread.HalfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("HalfToFloat32(0x8000) = %g, want -0", got)
	}
	if got := ggufread.HalfToFloat32(0x7e00); got == got {
		t.Errorf("HalfToFloat32(0x7e00) = %g, want NaN", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(valid())
	f.Add(header(0, 1).str("k").u32(9).u32(8).u64(2).str("a").str("b").Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ggufread.Parse(b)
		if err != nil {
			return
		}
		for _, ti := range file.Tensors {
			file.Float32s(ti.Name) // must not panic
		}
	})
}
