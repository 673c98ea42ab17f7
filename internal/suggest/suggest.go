// Package suggest finds, among known names, those that look like a name
// that was not found, for "did you mean" hints: article ids given without
// their folder, a model name missing a letter.
package suggest

import (
	"cmp"
	"path"
	"slices"
	"strings"
)

// Similar returns up to limit of candidates that look like name, best
// first: the same name in another case; a path that ends with name
// ("business/047.txt" for "047.txt") or with the same base name; a name
// that one extends ("glove-100d" for "glove-100"); then names within a few
// edits (a third of name's length, at least one). Ties keep the
// candidates' lexical order. A candidate equal to name is not suggested.
func Similar(name string, candidates []string, limit int) []string {
	type scored struct {
		name  string
		score int
	}
	lname := strings.ToLower(name)
	base := path.Base(lname)
	maxEdits := max(1, len([]rune(name))/3)
	var found []scored
	for _, c := range candidates {
		if c == name {
			continue
		}
		lc := strings.ToLower(c)
		score := -1
		switch {
		case lc == lname:
			score = 0
		case strings.HasSuffix(lc, "/"+lname) || strings.HasSuffix(lname, "/"+lc):
			score = 1
		case path.Base(lc) == base:
			score = 2
		case strings.HasPrefix(lc, lname) || strings.HasPrefix(lname, lc):
			score = 3
		default:
			if d := distance(lname, lc, maxEdits); d <= maxEdits {
				score = 10 + d
			}
		}
		if score >= 0 {
			found = append(found, scored{c, score})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, min(limit, len(found)))
	for _, f := range found[:min(limit, len(found))] {
		out = append(out, f.name)
	}
	return out
}

// Or joins names as "a", "a or b", "a, b or c".
func Or(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// distance is the Levenshtein distance between a and b in runes, or more
// than bound when it exceeds bound (computed no further).
func distance(a, b string, bound int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > bound || -d > bound {
		return bound + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
