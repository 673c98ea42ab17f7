// Package ggufread parses GGUF files (versions 2 and 3) completely: header,
// every metadata value, tensor infos and tensor data.
//
// It exists to check what package gguf writes, so it shares no code with it:
// type codes, primitive decoding and the binary16 conversion are written
// again here from the GGUF specification. It reads a whole file into memory
// and is meant for tests and tools, not for serving models.
package ggufread

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"unicode/utf8"
)

// Metadata value type codes from the GGUF specification.
const (
	typeUint8   = 0
	typeInt8    = 1
	typeUint16  = 2
	typeInt16   = 3
	typeUint32  = 4
	typeInt32   = 5
	typeFloat32 = 6
	typeBool    = 7
	typeString  = 8
	typeArray   = 9
	typeUint64  = 10
	typeInt64   = 11
	typeFloat64 = 12
)

// ggml tensor type codes this package can decode.
const (
	ggmlF32 = 0
	ggmlF16 = 1
)

// File is a parsed GGUF file.
type File struct {
	// Version is the GGUF version from the header.
	Version uint32
	// Alignment of the data section and of each tensor's data, from
	// "general.alignment" or 32.
	Alignment uint64
	// KV holds the metadata in file order.
	KV []KV
	// Tensors holds the tensor infos in file order.
	Tensors []TensorInfo
	// DataOffset is the absolute file offset of the tensor data section.
	DataOffset uint64

	raw []byte
}

// KV is one metadata entry. Value holds uint8, int8, uint16, int16, uint32,
// int32, uint64, int64, float32, float64, bool or string for scalars, and a
// slice of one of those for arrays ([]string, []int32, ...); arrays of arrays
// are []any.
type KV struct {
	Key string
	// Type is the GGUF value type code (9 for arrays).
	Type uint32
	// ElemType is the element type code of an array, else 0.
	ElemType uint32
	Value    any
}

// TensorInfo describes one tensor.
type TensorInfo struct {
	Name string
	// Shape in ggml order, ne0 (row length) first.
	Shape []uint64
	// Type is the ggml type code (0 F32, 1 F16, ...).
	Type uint32
	// Offset of the data relative to [File.DataOffset].
	Offset uint64
	// Size of the data in bytes, for the types this package knows; 0
	// otherwise.
	Size uint64
}

// Elems returns the number of elements of the tensor.
func (t *TensorInfo) Elems() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ReadFile reads and parses the GGUF file at name.
func ReadFile(name string) (*File, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return f, nil
}

// cursor reads little-endian primitives from a byte slice, recording the
// first error.
type cursor struct {
	b   []byte
	off uint64
	err error
}

func (c *cursor) take(n uint64) []byte {
	if c.err != nil {
		return nil
	}
	if n > uint64(len(c.b))-c.off {
		c.err = fmt.Errorf("truncated at byte %d: need %d more bytes, have %d", c.off, n, uint64(len(c.b))-c.off)
		return nil
	}
	p := c.b[c.off : c.off+n]
	c.off += n
	return p
}

func (c *cursor) u8() uint8 {
	if p := c.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if p := c.take(2); p != nil {
		return uint16(p[0]) | uint16(p[1])<<8
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if p := c.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (c *cursor) u64() uint64 {
	if p := c.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (c *cursor) str() string {
	n := c.u64()
	p := c.take(n)
	if c.err != nil {
		return ""
	}
	if !utf8.Valid(p) {
		c.err = fmt.Errorf("string at byte %d is not valid UTF-8", c.off-n)
	}
	return string(p)
}

// remaining returns the bytes left.
func (c *cursor) remaining() uint64 { return uint64(len(c.b)) - c.off }

// Parse parses a whole GGUF file held in b. The returned File keeps b for
// [File.Float32s].
func Parse(b []byte) (*File, error) {
	c := &cursor{b: b}
	if m := c.take(4); c.err != nil || string(m) != "GGUF" {
		return nil, errors.New(`not a GGUF file: missing magic "GGUF"`)
	}
	f := &File{raw: b, Alignment: 32}
	f.Version = c.u32()
	if c.err == nil && f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("unsupported GGUF version %d", f.Version)
	}
	nTensors := c.u64()
	nKV := c.u64()
	if c.err != nil {
		return nil, c.err
	}
	// Each KV takes at least 12 bytes, each tensor info at least 24.
	if nKV > c.remaining()/12 || nTensors > c.remaining()/24 {
		return nil, fmt.Errorf("header claims %d metadata entries and %d tensors, more than the file can hold", nKV, nTensors)
	}
	keys := make(map[string]bool)
	for i := uint64(0); i < nKV; i++ {
		key := c.str()
		typ := c.u32()
		kv := KV{Key: key, Type: typ}
		kv.Value, kv.ElemType = c.value(typ, 0)
		if c.err != nil {
			return nil, fmt.Errorf("metadata %d (%q): %w", i, key, c.err)
		}
		if keys[key] {
			return nil, fmt.Errorf("duplicate metadata key %q", key)
		}
		keys[key] = true
		if key == "general.alignment" {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("general.alignment is %v, want a uint32 power of two", kv.Value)
			}
			f.Alignment = uint64(a)
		}
		f.KV = append(f.KV, kv)
	}
	names := make(map[string]bool)
	for i := uint64(0); i < nTensors; i++ {
		var t TensorInfo
		t.Name = c.str()
		rank := c.u32()
		if c.err == nil && (rank < 1 || rank > 4) {
			return nil, fmt.Errorf("tensor %q: rank %d, want 1 to 4", t.Name, rank)
		}
		for j := uint32(0); j < rank && c.err == nil; j++ {
			t.Shape = append(t.Shape, c.u64())
		}
		t.Type = c.u32()
		t.Offset = c.u64()
		if c.err != nil {
			return nil, fmt.Errorf("tensor info %d: %w", i, c.err)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		names[t.Name] = true
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = (c.off + f.Alignment - 1) / f.Alignment * f.Alignment
	if f.DataOffset > uint64(len(b)) && len(f.Tensors) > 0 {
		return nil, fmt.Errorf("data section at %d is past the end of the file (%d bytes)", f.DataOffset, len(b))
	}
	for i := range f.Tensors {
		if err := f.checkTensor(&f.Tensors[i]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkTensor validates a tensor's offset, alignment and extent.
func (f *File) checkTensor(t *TensorInfo) error {
	if t.Offset%f.Alignment != 0 {
		return fmt.Errorf("tensor %q: offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
	}
	n := uint64(1)
	for _, d := range t.Shape {
		if d == 0 || n > math.MaxUint64/8/d {
			return fmt.Errorf("tensor %q: bad shape %v", t.Name, t.Shape)
		}
		n *= d
	}
	switch t.Type {
	case ggmlF32:
		t.Size = 4 * n
	case ggmlF16:
		t.Size = 2 * n
	default:
		return nil // unknown type: extent not checked
	}
	avail := uint64(len(f.raw)) - f.DataOffset
	if t.Offset > avail || t.Size > avail-t.Offset {
		return fmt.Errorf("tensor %q: data [%d, %d) runs past the end of the data section (%d bytes)", t.Name, t.Offset, t.Offset+t.Size, avail)
	}
	return nil
}

// value reads a value of type typ; depth guards nested arrays.
func (c *cursor) value(typ uint32, depth int) (any, uint32) {
	switch typ {
	case typeUint8:
		return c.u8(), 0
	case typeInt8:
		return int8(c.u8()), 0
	case typeUint16:
		return c.u16(), 0
	case typeInt16:
		return int16(c.u16()), 0
	case typeUint32:
		return c.u32(), 0
	case typeInt32:
		return int32(c.u32()), 0
	case typeUint64:
		return c.u64(), 0
	case typeInt64:
		return int64(c.u64()), 0
	case typeFloat32:
		return math.Float32frombits(c.u32()), 0
	case typeFloat64:
		return math.Float64frombits(c.u64()), 0
	case typeBool:
		b := c.u8()
		if c.err == nil && b > 1 {
			c.err = fmt.Errorf("bool value %d at byte %d", b, c.off-1)
		}
		return b == 1, 0
	case typeString:
		return c.str(), 0
	case typeArray:
		if depth > 4 {
			c.err = errors.New("arrays nested too deeply")
			return nil, 0
		}
		elem := c.u32()
		n := c.u64()
		if c.err != nil {
			return nil, elem
		}
		return c.array(elem, n, depth), elem
	}
	if c.err == nil {
		c.err = fmt.Errorf("unknown value type %d at byte %d", typ, c.off-4)
	}
	return nil, 0
}

// elemMin returns the smallest encoded size of one array element of type t,
// used to refuse counts the file cannot hold before allocating; 0 for an
// unknown type.
func elemMin(t uint32) uint64 {
	switch t {
	case typeUint8, typeInt8, typeBool:
		return 1
	case typeUint16, typeInt16:
		return 2
	case typeUint32, typeInt32, typeFloat32:
		return 4
	case typeUint64, typeInt64, typeFloat64, typeString:
		return 8
	case typeArray:
		return 12
	}
	return 0
}

// array reads n elements of type elem.
func (c *cursor) array(elem uint32, n uint64, depth int) any {
	size := elemMin(elem)
	if size == 0 {
		c.err = fmt.Errorf("unknown array element type %d", elem)
		return nil
	}
	if n > c.remaining()/size {
		c.err = fmt.Errorf("array of %d elements of type %d does not fit in the %d bytes left", n, elem, c.remaining())
		return nil
	}
	switch elem {
	case typeString:
		out := make([]string, n)
		for i := range out {
			out[i] = c.str()
		}
		return out
	case typeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(c.u32())
		}
		return out
	case typeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = c.u32()
		}
		return out
	case typeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(c.u32())
		}
		return out
	}
	out := make([]any, n)
	for i := range out {
		out[i], _ = c.value(elem, depth+1)
	}
	return typedSlice(elem, out)
}

// typedSlice converts []any of a scalar type to a typed slice.
func typedSlice(elem uint32, xs []any) any {
	switch elem {
	case typeUint8:
		return convertAll[uint8](xs)
	case typeInt8:
		return convertAll[int8](xs)
	case typeUint16:
		return convertAll[uint16](xs)
	case typeInt16:
		return convertAll[int16](xs)
	case typeUint64:
		return convertAll[uint64](xs)
	case typeInt64:
		return convertAll[int64](xs)
	case typeFloat64:
		return convertAll[float64](xs)
	case typeBool:
		return convertAll[bool](xs)
	}
	return xs
}

func convertAll[T any](xs []any) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i], _ = x.(T)
	}
	return out
}

// Get returns the value of the metadata key.
func (f *File) Get(key string) (any, bool) {
	for _, kv := range f.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

// Bytes returns the stored data of the named tensor. The slice aliases the
// file's bytes.
func (f *File) Bytes(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("no tensor %q", name)
	}
	if t.Size == 0 {
		return nil, fmt.Errorf("tensor %q: unsupported type %d", name, t.Type)
	}
	start := f.DataOffset + t.Offset
	return f.raw[start : start+t.Size], nil
}

// Float32s decodes the named F32 or F16 tensor into a new slice, ne0
// varying fastest.
func (f *File) Float32s(name string) ([]float32, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, err
	}
	t, _ := f.Tensor(name)
	out := make([]float32, t.Elems())
	for i := range out {
		if t.Type == ggmlF16 {
			out[i] = HalfToFloat32(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		} else {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out, nil
}

// HalfToFloat32 decodes IEEE 754 binary16 bits. Every binary16 value is
// exactly representable as a float32.
func HalfToFloat32(h uint16) float32 {
	neg := h&0x8000 != 0
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0: // zero or subnormal: frac * 2^-24
		v = math.Ldexp(frac, -24)
	case 31:
		if frac != 0 {
			v = math.NaN()
		} else {
			v = math.Inf(1)
		}
	default: // (1 + frac/1024) * 2^(exp-15)
		v = math.Ldexp(1024+frac, exp-25)
	}
	if neg {
		v = -v
	}
	return float32(v)
}
