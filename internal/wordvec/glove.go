package wordvec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxLine bounds one GloVe line (a 300-d vector takes about 3 kB).
const maxLine = 64 << 20

// readGloVe reads GloVe text: "word f1 f2 ... fd" per line, fields separated
// by spaces or tabs. Blank lines are skipped; line numbers in errors count
// them.
func readGloVe(ctx context.Context, br *bufio.Reader, opt Options) (*Vectors, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	v := &Vectors{Dim: opt.Dim}
	seen := make(map[string]int) // word -> line
	dimLine := 0                 // line that fixed the dimension, 0 if opt.Dim did
	var fields []string
	n := 0
	for sc.Scan() {
		n++
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		fields = splitFields(fields[:0], line)
		if len(fields) == 0 {
			continue
		}
		word, comps := fields[0], fields[1:]
		if opt.Dim > 0 && len(comps) > opt.Dim {
			k := len(fields) - opt.Dim
			word, comps = strings.Join(fields[:k], " "), fields[k:]
		}
		if len(comps) == 0 {
			return nil, fmt.Errorf("line %d: word %q has no vector components", n, word)
		}
		switch {
		case v.Dim == 0:
			v.Dim, dimLine = len(comps), n
		case len(comps) != v.Dim && dimLine > 0:
			return nil, fmt.Errorf("line %d: word %q has %d components, want %d as on line %d (ragged rows)", n, word, len(comps), v.Dim, dimLine)
		case len(comps) != v.Dim:
			return nil, fmt.Errorf("line %d: word %q has %d components, want dimension %d", n, word, len(comps), v.Dim)
		}
		if first, dup := seen[word]; dup {
			return nil, fmt.Errorf("line %d: duplicate word %q (first on line %d)", n, word, first)
		}
		seen[word] = n
		for i, c := range comps {
			x, err := parseComponent(c)
			if err != nil {
				return nil, fmt.Errorf("line %d: word %q component %d: %w", n, word, i+1, err)
			}
			v.Data = append(v.Data, x)
		}
		v.Words = append(v.Words, word)
		if opt.MaxWords > 0 && len(v.Words) == opt.MaxWords {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLine)
		}
		return nil, fmt.Errorf("read line %d: %w", n+1, err)
	}
	if len(v.Words) == 0 {
		return nil, ErrEmpty
	}
	return v, nil
}

// splitFields appends the space- or tab-separated fields of line to dst.
// Runs of separators count as one; a trailing '\r' is dropped.
func splitFields(dst []string, line string) []string {
	line = strings.TrimSuffix(line, "\r")
	start := -1
	for i := 0; i < len(line); i++ {
		if line[i] == ' ' || line[i] == '\t' {
			if start >= 0 {
				dst = append(dst, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, line[start:])
	}
	return dst
}

// parseComponent parses one vector component as a finite float32.
func parseComponent(s string) (float32, error) {
	x, err := strconv.ParseFloat(s, 32)
	var ne *strconv.NumError
	switch {
	case err == nil:
	case errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange):
		if math.IsInf(x, 0) {
			return 0, fmt.Errorf("value %q is out of float32 range", s)
		}
		// Underflow to zero or a subnormal is not worth refusing a file for.
		return float32(x), nil
	case errors.As(err, &ne):
		return 0, fmt.Errorf("parse %q: %w", s, ne.Err)
	default:
		return 0, err
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("value %q is not finite", s)
	}
	return float32(x), nil
}
