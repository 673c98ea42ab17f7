package embed

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/ollama/ollama/api"
)

// decodeEmbedResponse decodes an /api/embed answer into resp, as
// json.Unmarshal would, several times faster: decoding the vectors was a
// tenth of the CPU of indexing against a fast embedder (docs/indexing.md).
// It takes only the plain shape Ollama sends (the known keys, spelt as
// Ollama spells them, strings without escapes or non-ASCII bytes, numbers
// as JSON writes them) and returns false, having changed nothing, for
// anything else, which the caller then gives to json.Unmarshal: the
// result, and every error, stay encoding/json's.
func decodeEmbedResponse(data []byte, resp *api.EmbedResponse) bool {
	d := embedDecoder{data: data}
	out := *resp
	if !d.byte('{') {
		return false
	}
	if d.peek() == '}' {
		d.i++
	} else {
		for {
			key, ok := d.plainString()
			if !ok || !d.byte(':') {
				return false
			}
			switch key {
			case "model":
				s, ok := d.plainString()
				if !ok {
					return false
				}
				out.Model = s
			case "embeddings":
				vecs, ok := d.vectors()
				if !ok {
					return false
				}
				out.Embeddings = vecs
			case "total_duration", "load_duration", "prompt_eval_count":
				n, ok := d.integer()
				if !ok {
					return false
				}
				switch key {
				case "total_duration":
					out.TotalDuration = time.Duration(n)
				case "load_duration":
					out.LoadDuration = time.Duration(n)
				default:
					out.PromptEvalCount = int(n)
				}
			default:
				return false
			}
			if d.peek() == ',' {
				d.i++
				continue
			}
			if !d.byte('}') {
				return false
			}
			break
		}
	}
	d.space()
	if d.i != len(d.data) {
		return false
	}
	*resp = out
	return true
}

// embedDecoder reads the JSON of one answer; every method skips the white
// space before what it reads and reports false when it is not there.
type embedDecoder struct {
	data []byte
	i    int
}

func (d *embedDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (d *embedDecoder) peek() byte {
	d.space()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

func (d *embedDecoder) byte(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// plainString reads a string of printable ASCII without escapes.
func (d *embedDecoder) plainString() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for ; d.i < len(d.data); d.i++ {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := string(d.data[start:d.i])
			d.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// number returns the bytes of a JSON number (RFC 8259's grammar, which
// encoding/json checks before it parses; strconv accepts more).
func (d *embedDecoder) number() ([]byte, bool) {
	d.space()
	b, start := d.data, d.i
	i := start
	digits := func() bool {
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > from
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	d.i = i
	return b[start:i], true
}

// integer reads a number into an int64, as encoding/json does (a fraction
// or an exponent is its error, so not taken here).
func (d *embedDecoder) integer() (int64, bool) {
	num, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafeString(num), 10, 64)
	return n, err == nil
}

// vectors reads an array of arrays of float32 (an explicit null is left
// to encoding/json), in new memory: resp stays as it was if the answer is
// not taken.
func (d *embedDecoder) vectors() ([][]float32, bool) {
	if !d.byte('[') {
		return nil, false
	}
	vecs := make([][]float32, 0, 16)
	if d.peek() == ']' {
		d.i++
		return vecs, true
	}
	var scratch []float32
	for {
		if !d.byte('[') {
			return nil, false
		}
		scratch = scratch[:0]
		if d.peek() == ']' {
			d.i++
		} else {
			for {
				num, ok := d.number()
				if !ok {
					return nil, false
				}
				// encoding/json parses a float32 field the same way, and
				// refuses what overflows it.
				f, err := strconv.ParseFloat(unsafeString(num), 32)
				if err != nil {
					return nil, false
				}
				scratch = append(scratch, float32(f))
				if d.peek() == ',' {
					d.i++
					continue
				}
				if !d.byte(']') {
					return nil, false
				}
				break
			}
		}
		vecs = append(vecs, append(make([]float32, 0, len(scratch)), scratch...))
		if d.peek() == ',' {
			d.i++
			continue
		}
		if !d.byte(']') {
			return nil, false
		}
		return vecs, true
	}
}

// unsafeString views b as a string for a parse that does not keep it: a
// copy per number was a third of the decoding's cost.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
