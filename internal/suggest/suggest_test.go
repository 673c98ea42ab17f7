package suggest

import (
	"slices"
	"testing"
)

func TestSimilar(t *testing.T) {
	ids := []string{"business/047.txt", "sport/047.txt", "sport/055.txt", "tech/003.txt", "047.txt.bak", "zebra.txt"}
	models := []string{"glove-100d", "glove-300d", "nomic-embed-text", "all-minilm"}
	tests := []struct {
		name       string
		candidates []string
		limit      int
		want       []string
	}{
		{"047.txt", ids, 5, []string{"business/047.txt", "sport/047.txt", "047.txt.bak"}},
		{"sport/047.txt", ids, 5, []string{"business/047.txt", "sport/055.txt"}},
		{"Zebra.txt", ids, 5, []string{"zebra.txt"}},
		{"sport/05.txt", ids, 1, []string{"sport/055.txt"}},
		{"glove-100", models, 3, []string{"glove-100d", "glove-300d"}},
		{"nomic-embed-txt", models, 3, []string{"nomic-embed-text"}},
		{"llama3", models, 3, []string{}},
		{"zebra.txt", ids, 5, []string{}}, // itself is not a suggestion
	}
	for _, tt := range tests {
		if got := Similar(tt.name, tt.candidates, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("Similar(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOr(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "a b": "a or b", "a b c": "a, b or c"} {
		var names []string
		for _, r := range in {
			if r != ' ' {
				names = append(names, string(r))
			}
		}
		if got := Or(names); got != want {
			t.Errorf("Or(%q) = %q, want %q", names, got, want)
		}
	}
}
