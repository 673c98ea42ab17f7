package article

import (
	"fmt"
	"path"
	"strings"
)

// glob is a compiled Include or Exclude pattern.
//
// A pattern is matched against the slash-separated path of a file relative to
// the directory root being walked. "*" matches any run of characters other
// than "/", "?" one such character, "[a-z]" a class (see [path.Match]), and a
// segment that is exactly "**" matches any number of directories, none
// included. A pattern without "/" matches the file's base name in any
// directory ("*.md" matches "notes/a.md"); one with "/" matches the whole
// relative path ("politics/*.txt", "**/drafts/**"), so a leading "/" anchors
// a name at the root ("/README.md").
type glob struct {
	pattern string
	segs    []string
	base    bool // match the base name only
	fold    bool // match case-insensitively (the default patterns: "SHOUT.TXT" is text)
}

// compileGlobs checks and compiles patterns.
func compileGlobs(patterns []string) ([]glob, error) {
	out := make([]glob, 0, len(patterns))
	for _, p := range patterns {
		clean := strings.TrimSpace(p)
		anchored := strings.HasPrefix(clean, "/")
		clean = strings.TrimPrefix(clean, "/")
		if clean == "" {
			return nil, fmt.Errorf("empty glob pattern %q", p)
		}
		g := glob{pattern: p, segs: strings.Split(clean, "/"), base: !anchored && !strings.Contains(clean, "/")}
		for _, s := range g.segs {
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("glob pattern %q: %w", p, err)
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// match reports whether the slash-separated relative path rel matches g.
func (g glob) match(rel string) bool {
	if g.fold {
		rel = strings.ToLower(rel)
	}
	if g.base {
		ok, _ := path.Match(g.segs[0], path.Base(rel))
		return ok
	}
	return matchSegments(g.segs, strings.Split(rel, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range len(name) + 1 {
				if matchSegments(pat, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// matchAny reports whether rel matches any of globs.
func matchAny(globs []glob, rel string) bool {
	for _, g := range globs {
		if g.match(rel) {
			return true
		}
	}
	return false
}
