package gguf_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/gguf"
	"github.com/semsearch/semsearch/internal/gguf/ggufread"
)

// ramp returns n distinct values, some negative, some not representable in
// binary16.
func ramp(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i)*0.37 - 5.001
	}
	return s
}

func write(t *testing.T, f *gguf.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := f.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

func TestFile_WriteTo(t *testing.T) {
	f := &gguf.File{
		KV: []gguf.KV{
			{Key: "general.architecture", Value: gguf.String("bert")},
			{Key: "t.u8", Value: gguf.Uint8(200)},
			{Key: "t.i8", Value: gguf.Int8(-100)},
			{Key: "t.u16", Value: gguf.Uint16(60000)},
			{Key: "t.i16", Value: gguf.Int16(-30000)},
			{Key: "t.u32", Value: gguf.Uint32(4000000000)},
			{Key: "t.i32", Value: gguf.Int32(-2000000000)},
			{Key: "t.u64", Value: gguf.Uint64(1 << 60)},
			{Key: "t.i64", Value: gguf.Int64(-1 << 60)},
			{Key: "t.f32", Value: gguf.Float32(1e-12)},
			{Key: "t.f64", Value: gguf.Float64(math.Pi)},
			{Key: "t.true", Value: gguf.Bool(true)},
			{Key: "t.false", Value: gguf.Bool(false)},
			{Key: "t.empty", Value: gguf.String("")},
			{Key: "t.unicode", Value: gguf.String("▁café 日本")},
			{Key: "t.strings", Value: gguf.Strings([]string{"[PAD]", "", "▁fired"})},
			{Key: "t.int32s", Value: gguf.Int32s([]int32{3, 1, -7})},
			{Key: "t.uint32s", Value: gguf.Uint32s([]uint32{0, math.MaxUint32})},
			{Key: "t.int64s", Value: gguf.Int64s([]int64{-1, 1 << 40})},
			{Key: "t.float32s", Value: gguf.Float32s([]float32{0.5, -2})},
			{Key: "t.bools", Value: gguf.Bools([]bool{true, false})},
			{Key: "t.nostrings", Value: gguf.Strings(nil)},
		},
		Tensors: []gguf.Tensor{
			{Name: "a.weight", Type: gguf.F32, Shape: []uint64{5, 3}, Data: ramp(15)},
			{Name: "b.weight", Type: gguf.F16, Shape: []uint64{7}, Data: ramp(7)},
			{Name: "c.weight", Type: gguf.F32, Shape: []uint64{1}, Data: []float32{42}},
			{Name: "d.weight", Type: gguf.F16, Shape: []uint64{3, 2, 2, 1}, Data: ramp(12)},
		},
	}
	b := write(t, f)

	// The header, read by hand.
	if string(b[:4]) != "GGUF" {
		t.Errorf("magic %q", b[:4])
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != 3 {
		t.Errorf("version %d, want 3", v)
	}
	if n := binary.LittleEndian.Uint64(b[8:]); n != 4 {
		t.Errorf("tensor count %d, want 4", n)
	}
	if n := binary.LittleEndian.Uint64(b[16:]); n != uint64(len(f.KV)) {
		t.Errorf("kv count %d, want %d", n, len(f.KV))
	}

	r, err := ggufread.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 3 || r.Alignment != 32 {
		t.Errorf("version %d alignment %d", r.Version, r.Alignment)
	}
	want := map[string]any{
		"general.architecture": "bert",
		"t.u8":                 uint8(200),
		"t.i8":                 int8(-100),
		"t.u16":                uint16(60000),
		"t.i16":                int16(-30000),
		"t.u32":                uint32(4000000000),
		"t.i32":                int32(-2000000000),
		"t.u64":                uint64(1 << 60),
		"t.i64":                int64(-1 << 60),
		"t.f32":                float32(1e-12),
		"t.f64":                math.Pi,
		"t.true":               true,
		"t.false":              false,
		"t.empty":              "",
		"t.unicode":            "▁café 日本",
		"t.strings":            []string{"[PAD]", "", "▁fired"},
		"t.int32s":             []int32{3, 1, -7},
		"t.uint32s":            []uint32{0, math.MaxUint32},
		"t.int64s":             []int64{-1, 1 << 40},
		"t.float32s":           []float32{0.5, -2},
		"t.bools":              []bool{true, false},
		"t.nostrings":          []string{},
	}
	if len(r.KV) != len(f.KV) {
		t.Fatalf("read %d KVs, want %d", len(r.KV), len(f.KV))
	}
	for i, kv := range r.KV {
		if kv.Key != f.KV[i].Key {
			t.Errorf("KV %d is %q, want %q (order)", i, kv.Key, f.KV[i].Key)
		}
		if kv.Type != uint32(f.KV[i].Value.Type()) {
			t.Errorf("%s: type %d, want %d", kv.Key, kv.Type, f.KV[i].Value.Type())
		}
		if !reflect.DeepEqual(kv.Value, want[kv.Key]) {
			t.Errorf("%s = %#v, want %#v", kv.Key, kv.Value, want[kv.Key])
		}
	}
	if kv := r.KV[15]; kv.ElemType != 8 {
		t.Errorf("string array element type %d, want 8", kv.ElemType)
	}

	if r.DataOffset%32 != 0 {
		t.Errorf("data offset %d not aligned", r.DataOffset)
	}
	var end uint64
	for i, ti := range r.Tensors {
		src := f.Tensors[i]
		if ti.Name != src.Name || ti.Type != uint32(src.Type) || !reflect.DeepEqual(ti.Shape, src.Shape) {
			t.Errorf("tensor %d: got %s type %d shape %v, want %s type %d shape %v", i, ti.Name, ti.Type, ti.Shape, src.Name, src.Type, src.Shape)
		}
		if ti.Offset%32 != 0 {
			t.Errorf("%s: offset %d not aligned", ti.Name, ti.Offset)
		}
		if ti.Offset < end {
			t.Errorf("%s: offset %d overlaps the previous tensor ending at %d", ti.Name, ti.Offset, end)
		}
		// Tensors are packed: each starts at the first aligned offset.
		if wantOff := (end + 31) / 32 * 32; ti.Offset != wantOff {
			t.Errorf("%s: offset %d, want %d", ti.Name, ti.Offset, wantOff)
		}
		for _, c := range b[r.DataOffset+end : r.DataOffset+ti.Offset] {
			if c != 0 {
				t.Fatalf("%s: padding before it is not zero", ti.Name)
			}
		}
		end = ti.Offset + ti.Size
		got, err := r.Float32s(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		for j, x := range src.Data {
			if src.Type == gguf.F32 && got[j] != x {
				t.Errorf("%s[%d] = %v, want exactly %v", ti.Name, j, got[j], x)
			}
			// binary16 keeps 11 significant bits: relative error <= 2^-11.
			if src.Type == gguf.F16 && math.Abs(float64(got[j]-x)) > math.Abs(float64(x))/2048 {
				t.Errorf("%s[%d] = %v, want %v within 2^-11", ti.Name, j, got[j], x)
			}
		}
	}
	if got := uint64(len(b)); got != r.DataOffset+end {
		t.Errorf("file is %d bytes, want %d: it must end right after the last tensor", got, r.DataOffset+end)
	}
}

func TestFile_WriteTo_alignment(t *testing.T) {
	f := &gguf.File{
		KV: []gguf.KV{{Key: "general.alignment", Value: gguf.Uint32(64)}},
		Tensors: []gguf.Tensor{
			{Name: "x", Type: gguf.F32, Shape: []uint64{3}, Data: ramp(3)},
			{Name: "y", Type: gguf.F16, Shape: []uint64{5}, Data: ramp(5)},
			{Name: "z", Type: gguf.F32, Shape: []uint64{1}, Data: ramp(1)},
		},
	}
	r, err := ggufread.Parse(write(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if r.Alignment != 64 || r.DataOffset%64 != 0 {
		t.Errorf("alignment %d, data offset %d", r.Alignment, r.DataOffset)
	}
	for i, want := range []uint64{0, 64, 128} {
		if got := r.Tensors[i].Offset; got != want {
			t.Errorf("tensor %d offset %d, want %d", i, got, want)
		}
	}
}

func TestFile_WriteTo_empty(t *testing.T) {
	b := write(t, &gguf.File{})
	if len(b) != 24 {
		t.Errorf("empty file is %d bytes, want 24 (header only)", len(b))
	}
	r, err := ggufread.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.KV) != 0 || len(r.Tensors) != 0 {
		t.Errorf("got %d KVs and %d tensors", len(r.KV), len(r.Tensors))
	}
}

func TestFile_WriteTo_invalid(t *testing.T) {
	ok := gguf.Tensor{Name: "ok", Type: gguf.F32, Shape: []uint64{2}, Data: ramp(2)}
	tests := []struct {
		name string
		file gguf.File
		want string
	}{
		{"empty key", gguf.File{KV: []gguf.KV{{Key: "", Value: gguf.Bool(true)}}}, "key is empty"},
		{"duplicate key", gguf.File{KV: []gguf.KV{{Key: "a", Value: gguf.Bool(true)}, {Key: "a", Value: gguf.Bool(false)}}}, `duplicate metadata key "a"`},
		{"zero value", gguf.File{KV: []gguf.KV{{Key: "a"}}}, "invalid value"},
		{"alignment type", gguf.File{KV: []gguf.KV{{Key: "general.alignment", Value: gguf.Uint64(32)}}}, "power of two"},
		{"alignment not power of two", gguf.File{KV: []gguf.KV{{Key: "general.alignment", Value: gguf.Uint32(48)}}}, "power of two"},
		{"duplicate tensor", gguf.File{Tensors: []gguf.Tensor{ok, ok}}, `duplicate tensor name "ok"`},
		{"empty name", gguf.File{Tensors: []gguf.Tensor{{Type: gguf.F32, Shape: []uint64{1}, Data: ramp(1)}}}, "must be 1 to 63 bytes"},
		{"long name", gguf.File{Tensors: []gguf.Tensor{{Name: strings.Repeat("n", 64), Type: gguf.F32, Shape: []uint64{1}, Data: ramp(1)}}}, "must be 1 to 63 bytes"},
		{"bad type", gguf.File{Tensors: []gguf.Tensor{{Name: "q", Type: 2, Shape: []uint64{1}, Data: ramp(1)}}}, "unsupported type"},
		{"no dims", gguf.File{Tensors: []gguf.Tensor{{Name: "s", Type: gguf.F32, Data: ramp(1)}}}, "0 dimensions"},
		{"five dims", gguf.File{Tensors: []gguf.Tensor{{Name: "s", Type: gguf.F32, Shape: []uint64{1, 1, 1, 1, 1}, Data: ramp(1)}}}, "5 dimensions"},
		{"zero dim", gguf.File{Tensors: []gguf.Tensor{{Name: "s", Type: gguf.F32, Shape: []uint64{2, 0}}}}, "size 0"},
		{"short data", gguf.File{Tensors: []gguf.Tensor{{Name: "s", Type: gguf.F32, Shape: []uint64{2, 2}, Data: ramp(3)}}}, "holds 4 elements, data has 3"},
		{"overflow", gguf.File{Tensors: []gguf.Tensor{{Name: "s", Type: gguf.F32, Shape: []uint64{1 << 40, 1 << 40}}}}, "overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := tt.file.WriteTo(&buf)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes of an invalid file", buf.Len())
			}
		})
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestFile_WriteTo_writeError(t *testing.T) {
	f := &gguf.File{Tensors: []gguf.Tensor{{Name: "big", Type: gguf.F32, Shape: []uint64{1 << 20}, Data: make([]float32, 1<<20)}}}
	if _, err := f.WriteTo(&failWriter{n: 1000}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}
