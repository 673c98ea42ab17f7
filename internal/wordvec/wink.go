package wordvec

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxDim bounds the dimension a file may declare, so a corrupt header cannot
// make the reader allocate without limit.
const maxDim = 1 << 16

// winkReader streams the wink JSON object with json.Decoder tokens, so that
// the 307 MB file is never held in memory as a whole: only the words and the
// kept vectors are.
type winkReader struct {
	ctx context.Context
	dec *json.Decoder
	opt Options

	dim      int // from "dimensions"; 0 until seen
	vecDim   int // components per vector, from the first vector or dim
	size     int // from "size"; -1 if absent
	words    []string
	index    map[string]int // word -> position in words
	hasWords bool
	hasVecs  bool

	keep    int       // number of words kept: len(words) or MaxWords
	data    []float32 // keep*vecDim, once words and vecDim are known
	filled  []bool
	seenVec map[string]bool
	pending map[string]pendingVector // vectors read before "words"
}

// pendingVector is a vector read before the words array.
type pendingVector struct {
	comps []float32
	index float64
}

func readWink(ctx context.Context, br *bufio.Reader, opt Options) (*Vectors, error) {
	w := &winkReader{
		ctx:     ctx,
		dec:     json.NewDecoder(br),
		opt:     opt,
		size:    -1,
		seenVec: make(map[string]bool),
	}
	if err := w.readObject(); err != nil {
		return nil, fmt.Errorf("wink JSON: %w", err)
	}
	v, err := w.finish()
	if err != nil {
		return nil, fmt.Errorf("wink JSON: %w", err)
	}
	return v, nil
}

// syntax wraps a decoder error with the byte offset it happened at.
func (w *winkReader) syntax(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("malformed JSON: unexpected end of input at byte %d", w.dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d: %w", se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("malformed JSON near byte %d: %w", w.dec.InputOffset(), err)
	}
	return fmt.Errorf("read at byte %d: %w", w.dec.InputOffset(), err)
}

// expect reads the delimiter d.
func (w *winkReader) expect(d json.Delim, what string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("%s: got %v, want %q", what, describe(tok), string(d))
	}
	return nil
}

// describe renders a JSON token for an error message.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(t))
	case string:
		return "string " + strconv.Quote(t)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T %v", t, t)
	}
}

func (w *winkReader) readObject() error {
	tok, err := w.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return ErrEmpty
		}
		return w.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("top level: got %v, want an object", describe(tok))
	}
	seen := make(map[string]bool)
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		switch key {
		case "dimensions":
			w.dim, err = w.readCount(key, maxDim)
		case "size":
			w.size, err = w.readCount(key, math.MaxInt32)
		case "words":
			err = w.readWords()
		case "vectors":
			err = w.readVectors()
		default:
			var skip json.RawMessage
			if err := w.dec.Decode(&skip); err != nil {
				return w.syntax(err)
			}
		}
		if err != nil {
			return err
		}
	}
	if err := w.expect('}', "end of top-level object"); err != nil {
		return err
	}
	if _, err := w.dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("trailing data after the JSON object at byte %d", w.dec.InputOffset())
	}
	return nil
}

// readCount reads a positive integer no larger than limit.
func (w *winkReader) readCount(key string, limit int) (int, error) {
	var x any
	if err := w.dec.Decode(&x); err != nil {
		return 0, w.syntax(err)
	}
	f, ok := x.(float64)
	if !ok || f != math.Trunc(f) || f < 1 || f > float64(limit) {
		return 0, fmt.Errorf("%q is %v, want a positive integer up to %d", key, x, limit)
	}
	return int(f), nil
}

func (w *winkReader) readWords() error {
	if err := w.expect('[', `"words"`); err != nil {
		return err
	}
	w.index = make(map[string]int)
	for i := 0; w.dec.More(); i++ {
		if i%checkEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		s, ok := tok.(string)
		if !ok {
			return fmt.Errorf("words[%d] is %s, want a string", i, describe(tok))
		}
		if j, dup := w.index[s]; dup {
			return fmt.Errorf("duplicate word %q in words (positions %d and %d)", s, j, i)
		}
		w.index[s] = i
		w.words = append(w.words, s)
	}
	if err := w.expect(']', `end of "words"`); err != nil {
		return err
	}
	w.hasWords = true
	w.keep = len(w.words)
	if w.opt.MaxWords > 0 && w.keep > w.opt.MaxWords {
		w.keep = w.opt.MaxWords
	}
	return nil
}

func (w *winkReader) readVectors() error {
	if err := w.expect('{', `"vectors"`); err != nil {
		return err
	}
	var raw json.RawMessage
	var nums []float64
	for i := 0; w.dec.More(); i++ {
		if i%checkEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err)
		}
		word, _ := tok.(string)
		if w.seenVec[word] {
			return fmt.Errorf("duplicate word %q in vectors", word)
		}
		w.seenVec[word] = true
		raw = raw[:0]
		if err := w.dec.Decode(&raw); err != nil {
			return w.syntax(err)
		}
		nums, err = parseNumbers(nums[:0], raw)
		if err != nil {
			return fmt.Errorf("vector of word %q: %w", word, err)
		}
		if err := w.addVector(word, nums); err != nil {
			return err
		}
	}
	if err := w.expect('}', `end of "vectors"`); err != nil {
		return err
	}
	w.hasVecs = true
	return nil
}

// addVector checks one vector (components, L2 norm, index) and stores its
// components if the word is kept.
func (w *winkReader) addVector(word string, nums []float64) error {
	if w.vecDim == 0 {
		w.vecDim = w.dim
		if w.vecDim == 0 {
			w.vecDim = len(nums) - 2
		}
		if w.vecDim < 1 || w.vecDim > maxDim {
			return fmt.Errorf("vector of word %q has %d numbers, want components, L2 norm and index", word, len(nums))
		}
	}
	if len(nums) != w.vecDim+2 {
		return fmt.Errorf("vector of word %q has %d numbers, want %d (%d components, L2 norm, index)", word, len(nums), w.vecDim+2, w.vecDim)
	}
	idx := nums[len(nums)-1]
	comps := nums[:w.vecDim]
	if !w.hasWords {
		p := pendingVector{comps: make([]float32, w.vecDim), index: idx}
		if err := convert(p.comps, comps, word); err != nil {
			return err
		}
		if w.pending == nil {
			w.pending = make(map[string]pendingVector)
		}
		w.pending[word] = p
		return nil
	}
	pos, err := w.position(word, idx)
	if err != nil {
		return err
	}
	if w.data == nil {
		w.data = make([]float32, w.keep*w.vecDim)
		w.filled = make([]bool, w.keep)
	}
	if pos >= w.keep {
		for i, x := range comps { // not kept, but still validated
			if _, err := toFloat32(x); err != nil {
				return fmt.Errorf("vector of word %q component %d: %w", word, i+1, err)
			}
		}
		return nil
	}
	w.filled[pos] = true
	return convert(w.data[pos*w.vecDim:(pos+1)*w.vecDim], comps, word)
}

// position returns the place of word in words and checks the index stored
// with its vector.
func (w *winkReader) position(word string, idx float64) (int, error) {
	pos, ok := w.index[word]
	if !ok {
		return 0, fmt.Errorf("vectors has word %q, which is not in words", word)
	}
	if idx != float64(pos) {
		return 0, fmt.Errorf("vector of word %q gives index %v, but the word is at position %d of words", word, idx, pos)
	}
	return pos, nil
}

// convert copies src into dst as float32, naming word on a bad value.
func convert(dst []float32, src []float64, word string) error {
	for i, x := range src {
		f, err := toFloat32(x)
		if err != nil {
			return fmt.Errorf("vector of word %q component %d: %w", word, i+1, err)
		}
		dst[i] = f
	}
	return nil
}

// parseNumbers parses a JSON array of numbers (already checked to be valid
// JSON by the decoder) and appends them to dst.
func parseNumbers(dst []float64, raw []byte) ([]float64, error) {
	s := strings.TrimSpace(string(raw))
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("got %.20q, want an array of numbers", s)
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if s == "" {
		return dst, nil
	}
	for i := 0; ; i++ {
		elem, rest, more := strings.Cut(s, ",")
		elem = strings.TrimSpace(elem)
		if elem == "" || (elem[0] != '-' && (elem[0] < '0' || elem[0] > '9')) {
			return nil, fmt.Errorf("element %d is %.20q, want a number", i, elem)
		}
		x, err := strconv.ParseFloat(elem, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		dst = append(dst, x)
		if !more {
			return dst, nil
		}
		s = rest
	}
}

// finish checks the object as a whole and assembles the kept vectors.
func (w *winkReader) finish() (*Vectors, error) {
	if !w.hasWords {
		return nil, errors.New(`missing key "words"`)
	}
	if !w.hasVecs {
		return nil, errors.New(`missing key "vectors"`)
	}
	if len(w.words) == 0 {
		return nil, ErrEmpty
	}
	if w.size >= 0 && w.size != len(w.words) {
		return nil, fmt.Errorf(`"size" is %d but "words" has %d entries`, w.size, len(w.words))
	}
	if w.vecDim == 0 {
		return nil, fmt.Errorf("word %q has no vector", w.words[0])
	}
	if w.dim > 0 && w.dim != w.vecDim {
		return nil, fmt.Errorf(`dimension mismatch: "dimensions" is %d but vectors have %d components`, w.dim, w.vecDim)
	}
	if w.opt.Dim > 0 && w.opt.Dim != w.vecDim {
		return nil, fmt.Errorf("dimension mismatch: want %d, vectors have %d components", w.opt.Dim, w.vecDim)
	}
	if w.data == nil {
		w.data = make([]float32, w.keep*w.vecDim)
		w.filled = make([]bool, w.keep)
	}
	for word, p := range w.pending {
		pos, err := w.position(word, p.index)
		if err != nil {
			return nil, err
		}
		if pos < w.keep {
			copy(w.data[pos*w.vecDim:], p.comps)
			w.filled[pos] = true
		}
	}
	for i, ok := range w.filled {
		if !ok {
			return nil, fmt.Errorf("word %q (position %d) has no vector", w.words[i], i)
		}
	}
	return &Vectors{Dim: w.vecDim, Words: w.words[:w.keep:w.keep], Data: w.data}, nil
}
