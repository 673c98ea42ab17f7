package article

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// binarySniffBytes is how much of a file looksBinary inspects for control
// characters; a NUL byte anywhere makes a file binary.
const binarySniffBytes = 64 << 10

// metaCharsetRE finds a charset declared in an HTML document's head, both
// <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// decodeResult is the UTF-8 text of a file's bytes and what it took to get it.
type decodeResult struct {
	text     string
	repaired string // why the text differs from the bytes beyond a stripped BOM; "" if it does not
	skipped  string // why the file is not text at all; "" if it is
}

// stripBOM removes a UTF-8 byte order mark and reports whether the data
// starts with a UTF-16 one (le or be), which decode must convert.
func stripBOM(data []byte) (rest []byte, utf16 string) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return data[len(bomUTF8):], ""
	case bytes.HasPrefix(data, bomUTF16LE):
		return data, "UTF-16LE"
	case bytes.HasPrefix(data, bomUTF16BE):
		return data, "UTF-16BE"
	}
	return data, ""
}

// decode turns a file's bytes into valid UTF-8 text. A UTF-8 byte order mark
// is dropped silently and a UTF-16 one leads to conversion. Binary data (a NUL
// byte, or more than 5% control characters) is refused. Invalid UTF-8 is
// repaired: an HTML document with a declared charset is decoded with it; a file
// without a single valid multi-byte UTF-8 sequence is taken for Windows-1252
// (a superset of Latin-1 for printable text), the usual encoding of otherwise
// ASCII files; anything else has each invalid byte replaced by U+FFFD.
func decode(data []byte, isHTML bool) decodeResult {
	data, utf16 := stripBOM(data)
	if utf16 != "" {
		var e encoding.Encoding = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		if utf16 == "UTF-16BE" {
			e = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
		}
		out, err := e.NewDecoder().Bytes(data)
		if err != nil {
			return decodeResult{skipped: fmt.Sprintf("cannot decode %s: %v", utf16, err)}
		}
		res := decodeResult{text: string(out), repaired: "converted from " + utf16}
		if !utf8.Valid(out) {
			res.text = strings.ToValidUTF8(res.text, "\uFFFD")
		}
		return res
	}
	if looksBinary(data) {
		return decodeResult{skipped: "binary file"}
	}
	if utf8.Valid(data) {
		return decodeResult{text: string(data)}
	}
	if isHTML {
		if m := metaCharsetRE.FindSubmatch(data[:min(len(data), 2048)]); m != nil {
			if e, name := charset.Lookup(string(m[1])); e != nil && name != "utf-8" {
				if out, err := e.NewDecoder().Bytes(data); err == nil && utf8.Valid(out) {
					return decodeResult{text: string(out), repaired: "invalid UTF-8: decoded as declared charset " + name}
				}
			}
		}
	}
	multi, invalid := countUTF8(data)
	if multi == 0 {
		if out, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil && utf8.Valid(out) {
			return decodeResult{text: string(out), repaired: "invalid UTF-8: decoded as Windows-1252 (Latin-1)"}
		}
	}
	return decodeResult{
		text:     replaceInvalid(data),
		repaired: fmt.Sprintf("invalid UTF-8: replaced %d invalid bytes with U+FFFD", invalid),
	}
}

// looksBinary reports whether data is not text: it holds a NUL byte, or more
// than 5% of its first binarySniffBytes are control characters other than
// tab, newline, vertical tab, form feed, carriage return and escape.
func looksBinary(data []byte) bool {
	if bytes.IndexByte(data, 0) >= 0 {
		return true
	}
	head := data[:min(len(data), binarySniffBytes)]
	ctrl := 0
	for _, b := range head {
		if (b < 0x20 && b != '\t' && b != '\n' && b != '\v' && b != '\f' && b != '\r' && b != 0x1B) || b == 0x7F {
			ctrl++
		}
	}
	return ctrl*20 > len(head)
}

// countUTF8 counts valid multi-byte sequences and invalid bytes in data.
func countUTF8(data []byte) (multi, invalid int) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			invalid++
		case size > 1:
			multi++
		}
		i += size
	}
	return multi, invalid
}

// replaceInvalid returns data as a string with every byte that does not
// belong to a valid UTF-8 sequence replaced by U+FFFD.
func replaceInvalid(data []byte) string {
	var b strings.Builder
	b.Grow(len(data) + 16)
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.Write(data[i : i+size])
		}
		i += size
	}
	return b.String()
}
