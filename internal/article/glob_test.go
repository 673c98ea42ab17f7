package article

import (
	"strings"
	"testing"
)

func TestGlob_Match(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"*.txt", "a.txt", true},
		{"*.txt", "politics/12.txt", true},
		{"*.txt", "politics/12.md", false},
		{"politics/*.txt", "politics/12.txt", true},
		{"politics/*.txt", "politics/old/12.txt", false},
		{"politics/**/*.txt", "politics/12.txt", true},
		{"politics/**/*.txt", "politics/old/very/12.txt", true},
		{"**/*.txt", "12.txt", true},
		{"**/drafts/**", "a/drafts/b/c.md", true},
		{"**/drafts/**", "drafts/c.md", true},
		{"**/drafts/**", "drafts", true},
		{"**/drafts/**", "notdrafts/c.md", false},
		{"drafts/**", "drafts/x.md", true},
		{"drafts/**", "a/drafts/x.md", false},
		{"drafts", "a/drafts", true},
		{"/top.md", "top.md", true},
		{"/top.md", "sub/top.md", false},
		{"?.txt", "a.txt", true},
		{"?.txt", "ab.txt", false},
		{"[0-9]*.txt", "12.txt", true},
		{"[0-9]*.txt", "x12.txt", false},
		{"a/*/c", "a/b/c", true},
		{"a/*/c", "a/b/b/c", false},
		{"**/**/c", "a/b/c", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.path, func(t *testing.T) {
			g, err := compileGlobs([]string{tt.pattern})
			if err != nil {
				t.Fatal(err)
			}
			if got := g[0].match(tt.path); got != tt.want {
				t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
		})
	}
}

func TestCompileGlobs_Errors(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string
	}{
		{"[a-", "syntax error in pattern"},
		{"dir/[", "syntax error in pattern"},
		{"  ", "empty glob pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := compileGlobs([]string{tt.pattern})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("compileGlobs(%q) error = %v, want %q", tt.pattern, err, tt.wantErr)
			}
		})
	}
}
