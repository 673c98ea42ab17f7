package vectorstore

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"articles", true},
		{"a", true},
		{"A1", true},
		{"0", true},
		{"wiki_en-2024.v2", true},
		{strings.Repeat("x", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{".hidden", false},
		{"_x", false},
		{"-x", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"../etc", false},
		{"a b", false},
		{"a\x00b", false},
		{"a\n", false},
		{"café", false},
		{"a:b", false},
		{"x.tmp.", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			if got := ValidName(tt.name); got != tt.want {
				t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}
