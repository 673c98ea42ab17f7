package chunk

import (
	"strings"
	"testing"
)

func TestMeasure(t *testing.T) {
	tests := []struct {
		name          string
		text          string
		words, tokens int
	}{
		{"empty", "", 0, 0},
		{"space", " \t\r\n\u00a0\u2028\ufeff", 0, 0},
		{"words", "the quick brown fox", 4, 4},
		{"punctuation", "Hello, world!", 2, 4},
		{"apostrophe", "don't", 1, 3},
		{"abbreviation", "U.S. officials", 2, 5},
		{"money", "$1.13bn (£600m)", 2, 8},
		{"hyphen", "high-speed", 1, 3},
		{"accents", "café naïve", 2, 2},
		{"combining mark", "cafe\u0301", 1, 1},
		{"cjk", "日本語 text", 2, 4},
		{"invalid utf8", "a\xffb \xe2\x80", 2, 5},
		{"long word", strings.Repeat("x", 1000), 1, 1},
		{"emoji", "ok 😀!", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := measure(tt.text, Words); got != tt.words {
				t.Errorf("measure(%q, Words) = %d, want %d", tt.text, got, tt.words)
			}
			if got := measure(tt.text, Tokens); got != tt.tokens {
				t.Errorf("measure(%q, Tokens) = %d, want %d", tt.text, got, tt.tokens)
			}
		})
	}
}
