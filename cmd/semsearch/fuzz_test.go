package main

import (
	"strings"
	"testing"
)

// FuzzCut: `get --lines` and `--bytes` ranges never panic and return a part
// of the text.
func FuzzCut(f *testing.F) {
	for _, s := range [][3]string{{"a\nb\nc\n", "2-3", ""}, {"abc", "", "1-2"}, {"abc", "", "-1-2"}, {"x", "9999999999999999999", ""}, {"", "1", ""}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, text, lines, bytes string) {
		out, err := cut(text, lines, bytes)
		if err == nil && !strings.Contains(text, out) {
			t.Fatalf("cut(%q, %q, %q) = %q, not part of the text", text, lines, bytes, out)
		}
	})
}
