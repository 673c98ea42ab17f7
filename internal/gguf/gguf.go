// Package gguf writes GGUF version 3 files, the model format of llama.cpp
// and Ollama.
//
// A file is built as a [File] value, metadata in [File.KV] and tensors in
// [File.Tensors], and written with [File.WriteTo], which validates it first.
// The layout written is:
//
//	magic "GGUF", version 3 (uint32), tensor count, metadata count (uint64)
//	metadata: key (string), value type (uint32), value
//	tensor infos: name (string), rank (uint32), dims (uint64 each, ne0 first),
//	              type (uint32), offset into the data section (uint64)
//	padding to the alignment, then each tensor's data, each starting at a
//	multiple of the alignment; the file ends right after the last tensor
//
// Strings are a uint64 byte length followed by UTF-8 bytes, numbers are little
// endian. The alignment is 32 bytes unless the metadata holds a uint32
// "general.alignment".
//
// Tensor data is given as float32 and stored as [F32] or [F16]; see
// [Float32ToFloat16] for the rounding.
package gguf

import (
	"fmt"
	"math"
)

// ValueType is the type code of a metadata value.
type ValueType uint32

// Metadata value types, as numbered by the GGUF specification.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// TensorType is the ggml type of a tensor's stored elements.
type TensorType uint32

// Tensor types this package writes, numbered as ggml's enum ggml_type.
const (
	F32 TensorType = 0
	F16 TensorType = 1
)

// String returns "F32" or "F16".
func (t TensorType) String() string {
	switch t {
	case F32:
		return "F32"
	case F16:
		return "F16"
	}
	return fmt.Sprintf("TensorType(%d)", uint32(t))
}

// elemSize returns the stored size of one element in bytes.
func (t TensorType) elemSize() uint64 {
	if t == F16 {
		return 2
	}
	return 4
}

// DefaultAlignment is the alignment of tensor data when the metadata does not
// set "general.alignment".
const DefaultAlignment = 32

// Version is the GGUF version written.
const Version = 3

// Limits enforced by ggml when it loads a file.
const (
	maxDims    = 4  // GGML_MAX_DIMS
	maxNameLen = 63 // GGML_MAX_NAME is 64 including the terminating NUL
)

// File is a GGUF file to be written.
type File struct {
	// KV is the metadata, written in this order. Keys must be unique.
	KV []KV
	// Tensors are written in this order. Names must be unique.
	Tensors []Tensor
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// Value is a typed metadata value; build one with [Uint32], [String],
// [Strings], [Int32s] and the other constructors.
type Value struct {
	typ  ValueType
	elem ValueType // element type of an array
	v    any
}

// Type returns the value's type code.
func (v Value) Type() ValueType { return v.typ }

// Scalar constructors.

// Uint8 returns a uint8 metadata value.
func Uint8(x uint8) Value { return Value{typ: TypeUint8, v: x} }

// Int8 returns an int8 metadata value.
func Int8(x int8) Value { return Value{typ: TypeInt8, v: x} }

// Uint16 returns a uint16 metadata value.
func Uint16(x uint16) Value { return Value{typ: TypeUint16, v: x} }

// Int16 returns an int16 metadata value.
func Int16(x int16) Value { return Value{typ: TypeInt16, v: x} }

// Uint32 returns a uint32 metadata value.
func Uint32(x uint32) Value { return Value{typ: TypeUint32, v: x} }

// Int32 returns an int32 metadata value.
func Int32(x int32) Value { return Value{typ: TypeInt32, v: x} }

// Uint64 returns a uint64 metadata value.
func Uint64(x uint64) Value { return Value{typ: TypeUint64, v: x} }

// Int64 returns an int64 metadata value.
func Int64(x int64) Value { return Value{typ: TypeInt64, v: x} }

// Float32 returns a float32 metadata value.
func Float32(x float32) Value { return Value{typ: TypeFloat32, v: x} }

// Float64 returns a float64 metadata value.
func Float64(x float64) Value { return Value{typ: TypeFloat64, v: x} }

// Bool returns a bool metadata value.
func Bool(x bool) Value { return Value{typ: TypeBool, v: x} }

// String returns a string metadata value.
func String(x string) Value { return Value{typ: TypeString, v: x} }

// Array constructors. The slices are not copied: do not change them before
// the file is written.

// Strings returns an array-of-strings metadata value.
func Strings(x []string) Value { return Value{typ: TypeArray, elem: TypeString, v: x} }

// Int32s returns an array-of-int32 metadata value.
func Int32s(x []int32) Value { return Value{typ: TypeArray, elem: TypeInt32, v: x} }

// Uint32s returns an array-of-uint32 metadata value.
func Uint32s(x []uint32) Value { return Value{typ: TypeArray, elem: TypeUint32, v: x} }

// Int64s returns an array-of-int64 metadata value.
func Int64s(x []int64) Value { return Value{typ: TypeArray, elem: TypeInt64, v: x} }

// Float32s returns an array-of-float32 metadata value.
func Float32s(x []float32) Value { return Value{typ: TypeArray, elem: TypeFloat32, v: x} }

// Bools returns an array-of-bool metadata value.
func Bools(x []bool) Value { return Value{typ: TypeArray, elem: TypeBool, v: x} }

// Tensor is one tensor to be written.
type Tensor struct {
	// Name, at most 63 bytes (ggml's limit).
	Name string
	// Type the elements are stored as.
	Type TensorType
	// Shape in ggml order: Shape[0] (ne0) is the length of a row, the
	// number of contiguous elements. 1 to 4 dimensions, each at least 1.
	Shape []uint64
	// Data holds the product of Shape elements, ne0 varying fastest. It is
	// not copied: do not change it before the file is written.
	Data []float32
}

// elems returns the product of t.Shape, or an error if it overflows.
func (t *Tensor) elems() (uint64, error) {
	n := uint64(1)
	for _, d := range t.Shape {
		if d == 0 {
			return 0, fmt.Errorf("tensor %q: dimension of size 0 in shape %v", t.Name, t.Shape)
		}
		if n > math.MaxUint64/d {
			return 0, fmt.Errorf("tensor %q: shape %v overflows", t.Name, t.Shape)
		}
		n *= d
	}
	return n, nil
}
