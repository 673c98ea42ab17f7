package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// filterNotes says why a search with filter f found nothing: which part of
// the filter matches no document of the collection and why (an unknown id,
// a field no document has, documents without a date), so that an empty
// answer is not mistaken for "nothing relevant". It returns nil when the
// filter is empty or the documents cannot be listed.
func (e *Engine) filterNotes(ctx context.Context, collection string, f vectorstore.Filter) []string {
	if f.Empty() {
		return nil
	}
	docs, _, err := e.store.Documents(ctx, collection, 0, 0)
	if err != nil {
		e.log.Warn("filter not explained: documents not listed", "collection", collection, "error", err)
		return nil
	}
	count := func(part vectorstore.Filter) int {
		match, n := part.Matcher(), 0
		for i := range docs {
			if match(&docs[i]) {
				n++
			}
		}
		return n
	}
	var notes []string
	ids := map[string]bool{}
	fields := map[string]bool{"title": true, "source": true, "author": true, "url": true}
	undated := 0
	for _, d := range docs {
		ids[d.ID] = true
		for k := range d.Meta {
			fields[k] = true
		}
		if d.Published.IsZero() {
			undated++
		}
	}
	if len(f.DocIDs) > 0 {
		var missing []string
		for _, id := range f.DocIDs {
			if !ids[id] {
				missing = append(missing, fmt.Sprintf("%q", id))
			}
		}
		if len(missing) == len(f.DocIDs) {
			notes = append(notes, fmt.Sprintf("filter: no document of %q has the id %s (semsearch list, or GET /v1/documents, shows the ids)", collection, strings.Join(missing, ", ")))
		}
	}
	if f.DocPrefix != "" && count(vectorstore.Filter{DocPrefix: f.DocPrefix}) == 0 {
		notes = append(notes, fmt.Sprintf("filter: no document of %q has an id or source starting with %q (case-sensitive)", collection, f.DocPrefix))
	}
	for _, k := range slices.Sorted(maps.Keys(f.Meta)) {
		switch {
		case !fields[k]:
			notes = append(notes, fmt.Sprintf("filter: no document of %q has a field %q (fields: %s)", collection, k, strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
		case count(vectorstore.Filter{Meta: map[string]string{k: f.Meta[k]}}) == 0:
			notes = append(notes, fmt.Sprintf("filter: no document of %q has %s = %q (exact and case-sensitive)", collection, k, f.Meta[k]))
		}
	}
	if (!f.After.IsZero() || !f.Before.IsZero()) && count(vectorstore.Filter{After: f.After, Before: f.Before}) == 0 {
		n := fmt.Sprintf("filter: no document of %q is dated in the range asked", collection)
		if undated > 0 {
			n += fmt.Sprintf("; %d of its %d documents have no date (give one in front matter, date: 2017-05-10), and a document without a date fails any date bound", undated, len(docs))
		}
		notes = append(notes, n)
	}
	if len(notes) == 0 && count(f) == 0 {
		notes = append(notes, fmt.Sprintf("filter: each of its conditions matches documents of %q, but no document matches all of them", collection))
	}
	return notes
}
