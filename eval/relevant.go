package eval

import (
	"slices"
	"sort"

	"github.com/semsearch/semsearch/internal/suggest"
)

// MissingRelevant is a query whose judged relevant ids are not all in the
// corpus, as when a dataset names "047.txt" for the article indexed as
// "business/047.txt": such an id can never be retrieved and scores 0.
type MissingRelevant struct {
	Query string
	// Missing are the relevant ids not in the corpus, sorted.
	Missing []string
	// Closest maps each missing id to the corpus ids that look like it,
	// best first (none when nothing looks alike).
	Closest map[string][]string
	// None says that no relevant id of the query is in the corpus: the
	// query cannot score at all.
	None bool
}

// CheckRelevant returns, in query order, the queries of ds whose relevant
// ids are not all among the corpus ids.
func CheckRelevant(ds *Dataset, ids []string) []MissingRelevant {
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[id] = true
	}
	sorted := slices.Clone(ids)
	sort.Strings(sorted)
	var out []MissingRelevant
	for _, q := range ds.Queries {
		var m MissingRelevant
		for id := range q.Relevant {
			if !have[id] {
				m.Missing = append(m.Missing, id)
			}
		}
		if len(m.Missing) == 0 {
			continue
		}
		sort.Strings(m.Missing)
		m.Query, m.None = q.ID, len(m.Missing) == len(q.Relevant)
		m.Closest = make(map[string][]string, len(m.Missing))
		for _, id := range m.Missing {
			m.Closest[id] = suggest.Similar(id, sorted, 3)
		}
		out = append(out, m)
	}
	return out
}
