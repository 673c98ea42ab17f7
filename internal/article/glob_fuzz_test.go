package article

import (
	"strings"
	"testing"
)

// FuzzGlob: any --include/--exclude pattern compiles or is rejected, and a
// compiled one matches any path without panicking.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"**/*.md", "a/b/c.md"}, {"/news/*.txt", "news/x.txt"}, {"[a-", "a"}, {"**", ""}, {"a/**/b", "a/b"}, {"\\", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, rel string) {
		globs, err := compileGlobs(strings.Split(pattern, ","))
		if err != nil {
			return
		}
		matchAny(globs, rel)
	})
}
