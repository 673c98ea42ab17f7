package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// magic is "GGUF" read as a little-endian uint32.
const magic = 0x46554747

// layout is the validated plan of a file: its alignment and, per tensor, the
// offset of its data relative to the start of the data section.
type layout struct {
	align   uint64
	offsets []uint64
	sizes   []uint64
}

// plan validates f and computes the data layout.
func (f *File) plan() (*layout, error) {
	l := &layout{align: DefaultAlignment}
	keys := make(map[string]bool, len(f.KV))
	for _, kv := range f.KV {
		if kv.Key == "" {
			return nil, errors.New("metadata key is empty")
		}
		if !utf8.ValidString(kv.Key) {
			return nil, fmt.Errorf("metadata key %q is not valid UTF-8", kv.Key)
		}
		if keys[kv.Key] {
			return nil, fmt.Errorf("duplicate metadata key %q", kv.Key)
		}
		keys[kv.Key] = true
		if err := kv.Value.check(); err != nil {
			return nil, fmt.Errorf("metadata %q: %w", kv.Key, err)
		}
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.v.(uint32)
			if kv.Value.typ != TypeUint32 || !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("general.alignment must be a uint32 power of two, got %v", kv.Value.v)
			}
			l.align = uint64(a)
		}
	}
	names := make(map[string]bool, len(f.Tensors))
	var off uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Name == "" || len(t.Name) > maxNameLen {
			return nil, fmt.Errorf("tensor %d: name %q must be 1 to %d bytes", i, t.Name, maxNameLen)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		names[t.Name] = true
		if t.Type != F32 && t.Type != F16 {
			return nil, fmt.Errorf("tensor %q: unsupported type %v", t.Name, t.Type)
		}
		if len(t.Shape) < 1 || len(t.Shape) > maxDims {
			return nil, fmt.Errorf("tensor %q: %d dimensions, want 1 to %d", t.Name, len(t.Shape), maxDims)
		}
		n, err := t.elems()
		if err != nil {
			return nil, err
		}
		if n != uint64(len(t.Data)) {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d elements, data has %d", t.Name, t.Shape, n, len(t.Data))
		}
		off = alignUp(off, l.align)
		l.offsets = append(l.offsets, off)
		size := n * t.Type.elemSize()
		l.sizes = append(l.sizes, size)
		off += size
	}
	return l, nil
}

// check validates a value's dynamic type against its type code.
func (v Value) check() error {
	ok := false
	switch v.typ {
	case TypeUint8:
		_, ok = v.v.(uint8)
	case TypeInt8:
		_, ok = v.v.(int8)
	case TypeUint16:
		_, ok = v.v.(uint16)
	case TypeInt16:
		_, ok = v.v.(int16)
	case TypeUint32:
		_, ok = v.v.(uint32)
	case TypeInt32:
		_, ok = v.v.(int32)
	case TypeUint64:
		_, ok = v.v.(uint64)
	case TypeInt64:
		_, ok = v.v.(int64)
	case TypeFloat32:
		_, ok = v.v.(float32)
	case TypeFloat64:
		_, ok = v.v.(float64)
	case TypeBool:
		_, ok = v.v.(bool)
	case TypeString:
		_, ok = v.v.(string)
	case TypeArray:
		switch v.elem {
		case TypeString:
			_, ok = v.v.([]string)
		case TypeInt32:
			_, ok = v.v.([]int32)
		case TypeUint32:
			_, ok = v.v.([]uint32)
		case TypeInt64:
			_, ok = v.v.([]int64)
		case TypeFloat32:
			_, ok = v.v.([]float32)
		case TypeBool:
			_, ok = v.v.([]bool)
		}
	}
	if !ok {
		return fmt.Errorf("invalid value (type %d, element type %d): build values with the package's constructors", v.typ, v.elem)
	}
	return nil
}

func alignUp(x, a uint64) uint64 { return (x + a - 1) / a * a }

// encoder appends little-endian GGUF primitives to a bufio.Writer and
// counts the bytes written.
type encoder struct {
	w   *bufio.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) u8(x uint8) { e.buf[0] = x; e.write(e.buf[:1]) }
func (e *encoder) u16(x uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], x)
	e.write(e.buf[:2])
}
func (e *encoder) u32(x uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], x)
	e.write(e.buf[:4])
}
func (e *encoder) u64(x uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], x)
	e.write(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := e.w.WriteString(s)
		e.n += int64(n)
		e.err = err
	}
}
func (e *encoder) zeros(n uint64) {
	var zeros [64]byte
	for n > 0 && e.err == nil {
		k := min(n, uint64(len(zeros)))
		e.write(zeros[:k])
		n -= k
	}
}

func (e *encoder) scalar(t ValueType, v any) {
	switch t {
	case TypeUint8:
		e.u8(v.(uint8))
	case TypeInt8:
		e.u8(uint8(v.(int8)))
	case TypeUint16:
		e.u16(v.(uint16))
	case TypeInt16:
		e.u16(uint16(v.(int16)))
	case TypeUint32:
		e.u32(v.(uint32))
	case TypeInt32:
		e.u32(uint32(v.(int32)))
	case TypeUint64:
		e.u64(v.(uint64))
	case TypeInt64:
		e.u64(uint64(v.(int64)))
	case TypeFloat32:
		e.u32(math.Float32bits(v.(float32)))
	case TypeFloat64:
		e.u64(math.Float64bits(v.(float64)))
	case TypeBool:
		if v.(bool) {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case TypeString:
		e.str(v.(string))
	}
}

func (e *encoder) value(v Value) {
	e.u32(uint32(v.typ))
	if v.typ != TypeArray {
		e.scalar(v.typ, v.v)
		return
	}
	e.u32(uint32(v.elem))
	switch xs := v.v.(type) {
	case []string:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.str(x)
		}
	case []int32:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.u32(uint32(x))
		}
	case []uint32:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.u32(x)
		}
	case []int64:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.u64(uint64(x))
		}
	case []float32:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.u32(math.Float32bits(x))
		}
	case []bool:
		e.u64(uint64(len(xs)))
		for _, x := range xs {
			e.scalar(TypeBool, x)
		}
	}
}

// tensorData writes t's elements in its stored type.
func (e *encoder) tensorData(t *Tensor) {
	const chunk = 1 << 14
	buf := make([]byte, 0, chunk*4)
	for i := 0; i < len(t.Data) && e.err == nil; i += chunk {
		buf = buf[:0]
		for _, x := range t.Data[i:min(i+chunk, len(t.Data))] {
			if t.Type == F16 {
				buf = binary.LittleEndian.AppendUint16(buf, Float32ToFloat16(x))
			} else {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
			}
		}
		e.write(buf)
	}
}

// WriteTo validates f and writes it to w as GGUF v3. It returns the number
// of bytes written. Nothing is written if f is invalid.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	l, err := f.plan()
	if err != nil {
		return 0, err
	}
	e := &encoder{w: bufio.NewWriterSize(w, 1<<20)}
	e.u32(magic)
	e.u32(Version)
	e.u64(uint64(len(f.Tensors)))
	e.u64(uint64(len(f.KV)))
	for _, kv := range f.KV {
		e.str(kv.Key)
		e.value(kv.Value)
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(l.offsets[i])
	}
	// Each tensor is preceded by zeros up to its aligned offset; the data
	// section starts aligned. Nothing follows the last tensor: Ollama's
	// importer takes the end of the last tensor as the end of the file and
	// decodes anything after it as a further GGUF ("invalid file magic").
	start := int64(alignUp(uint64(e.n), l.align))
	for i := range f.Tensors {
		e.zeros(uint64(start) + l.offsets[i] - uint64(e.n))
		e.tensorData(&f.Tensors[i])
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return e.n, fmt.Errorf("write gguf: %w", e.err)
	}
	return e.n, nil
}
