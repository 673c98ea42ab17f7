package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The request model every front door (CLI, HTTP, MCP, the search page)
// applies: the doors translate their own syntax into a [Query] and these
// rules, and only their words (flag or field names) differ.
const (
	// DefaultK is how many passages a search returns unless asked; a door
	// may default lower or higher (the page shows 10), never above MaxK.
	DefaultK = 5
	// MaxIDBytes bounds a document id, wherever one is given.
	MaxIDBytes = 1024
)

// FieldError is a request field with a bad value. Field is the model's name
// for it ("after", "before", "id", or "" for the filter as a whole and
// its document ids), so that each door names it in its own words (--after,
// filter.after). It wraps [ErrInvalid].
type FieldError struct {
	Field string
	// Problem says what is wrong and what is wanted, without the field.
	Problem string
}

func (e *FieldError) Error() string { return e.Named(nil) }

// Unwrap makes a FieldError an [ErrInvalid].
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Named formats the error with the field as the door calls it: names maps
// the model's field names to the door's; a field it does not list keeps
// its own name.
func (e *FieldError) Named(names map[string]string) string {
	if e.Field == "" {
		return e.Problem
	}
	name := e.Field
	if n, ok := names[e.Field]; ok {
		name = n
	}
	return name + " " + e.Problem
}

// CheckID reports an id no door accepts: empty, longer than [MaxIDBytes],
// or holding control characters (printed, such an id would drive a
// terminal, and it could not be typed). It returns a *[FieldError] for
// field "id".
func CheckID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &FieldError{Field: "id", Problem: "is empty"}
	case len(id) > MaxIDBytes:
		return &FieldError{Field: "id", Problem: fmt.Sprintf("%.40q... is longer than %d bytes", id, MaxIDBytes)}
	case strings.ContainsFunc(id, unicode.IsControl):
		return &FieldError{Field: "id", Problem: fmt.Sprintf("%q holds control characters", id)}
	}
	return nil
}

// FilterSpec is a search filter as a door receives it, its dates still
// text (see [vectorstore.ParseDate] for their forms).
type FilterSpec struct {
	DocIDs []string
	// DocPrefix keeps documents whose id or source starts with it (see
	// [vectorstore.Filter.DocPrefix]): a folder, such as "sport/".
	DocPrefix     string
	Meta          map[string]string
	After, Before string
}

// Filter checks the spec and converts it for [Query]. Every error is a
// *[FieldError].
func (f FilterSpec) Filter() (vectorstore.Filter, error) {
	out := vectorstore.Filter{DocIDs: f.DocIDs, DocPrefix: f.DocPrefix}
	if len(f.Meta) > 0 {
		out.Meta = f.Meta
	}
	if err := checkDocIDs(f.DocIDs); err != nil {
		return out, err
	}
	if f.DocPrefix != "" {
		if err := CheckID(f.DocPrefix); err != nil {
			return out, &FieldError{Field: "doc_prefix", Problem: err.(*FieldError).Problem}
		}
	}
	var err error
	if out.After, err = vectorstore.ParseDate(f.After); err != nil {
		return out, &FieldError{Field: "after", Problem: err.Error()}
	}
	if out.Before, err = vectorstore.ParseDate(f.Before); err != nil {
		return out, &FieldError{Field: "before", Problem: err.Error()}
	}
	if err := out.Validate(); err != nil {
		return out, &FieldError{Problem: "filter: " + err.Error()}
	}
	return out, nil
}

// checkDocIDs applies [CheckID] to a filter's ids.
func checkDocIDs(ids []string) error {
	for i, id := range ids {
		if err := CheckID(id); err != nil {
			return &FieldError{Problem: fmt.Sprintf("filter: document id %d of %d %s", i+1, len(ids), err.(*FieldError).Problem)}
		}
	}
	return nil
}

// CheckQuery applies the request model to a query: its text, k, ranking
// settings and filter. Every error is a *[FieldError] whose Field is
// "query", "k", "mmr", "max_per_doc", or "" for the filter. The engine
// checks every query with it; doors call it to name the field in their
// own words before searching.
func CheckQuery(q Query) error {
	switch {
	case !utf8.ValidString(q.Text):
		return &FieldError{Field: "query", Problem: "is not valid UTF-8"}
	case strings.TrimSpace(q.Text) == "":
		return &FieldError{Field: "query", Problem: "is empty: ask a question"}
	case len(q.Text) > MaxQueryBytes:
		return &FieldError{Field: "query", Problem: fmt.Sprintf("is %d bytes long; the limit is %d", len(q.Text), MaxQueryBytes)}
	case q.K < 1 || q.K > MaxK:
		return &FieldError{Field: "k", Problem: fmt.Sprintf("must be between 1 and %d, got %d", MaxK, q.K)}
	case !(q.MMR >= 0 && q.MMR <= 1): // NaN fails too
		return &FieldError{Field: "mmr", Problem: fmt.Sprintf("must be between 0 (off) and 1, got %g", q.MMR)}
	case q.MaxPerDoc < 0:
		return &FieldError{Field: "max_per_doc", Problem: fmt.Sprintf("must not be negative, got %d", q.MaxPerDoc)}
	}
	if err := checkDocIDs(q.Filter.DocIDs); err != nil {
		return err
	}
	if err := q.Filter.Validate(); err != nil {
		return &FieldError{Problem: "filter: " + err.Error()}
	}
	return nil
}
