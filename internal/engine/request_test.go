package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/engine"
)

func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		id, want string
	}{
		{"sport/055.txt", ""},
		{"ünïcode id", ""},
		{strings.Repeat("a", engine.MaxIDBytes), ""},
		{"", "is empty"},
		{"  ", "is empty"},
		{strings.Repeat("a", engine.MaxIDBytes+1), "longer than 1024 bytes"},
		{"a\x1b[31m", "control characters"},
		{"a\nb", "control characters"},
		{"a\u0085b", "control characters"},
	} {
		err := engine.CheckID(tc.id)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckID(%.20q) = %v, want nil", tc.id, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("CheckID(%.20q) = %v, want an ErrInvalid saying %q", tc.id, err, tc.want)
		}
	}
}

func TestFilterSpec(t *testing.T) {
	door := map[string]string{"after": "--after", "doc_ids": "--doc"}
	for _, tc := range []struct {
		name string
		spec engine.FilterSpec
		want string // in the error as the door names it; "" for none
	}{
		{"empty", engine.FilterSpec{}, ""},
		{"dates", engine.FilterSpec{After: "2017-05-01", Before: "2017-06-01T00:00:00Z"}, ""},
		{"bad after", engine.FilterSpec{After: "May 2017"}, `--after "May 2017": want YYYY-MM-DD`},
		{"bad before", engine.FilterSpec{Before: "2017-13-01"}, `before "2017-13-01"`},
		{"empty interval", engine.FilterSpec{After: "2017-06-01", Before: "2017-05-01"}, "filter: after"},
		{"empty id", engine.FilterSpec{DocIDs: []string{"a", ""}}, "filter: document id 2 of 2 is empty"},
		{"control id", engine.FilterSpec{DocIDs: []string{"a\x07"}}, "control characters"},
		{"long id", engine.FilterSpec{DocIDs: []string{strings.Repeat("x", 2000)}}, "longer than 1024 bytes"},
		{"empty field", engine.FilterSpec{Meta: map[string]string{" ": "x"}}, "metadata field name is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.spec.Filter()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Filter() = %v", err)
				}
				return
			}
			var fe *engine.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, engine.ErrInvalid) {
				t.Fatalf("Filter() = %v, want a FieldError", err)
			}
			if got := fe.Named(door); !strings.Contains(got, tc.want) {
				t.Errorf("Named = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// The engine applies the id rule to filters too, whatever the door.
func TestSearch_RefusesBadFilterIDs(t *testing.T) {
	eng, _ := newEngine(t, t.TempDir(), &bagEmbedder{}, "bag")
	ctx := context.Background()
	if _, err := eng.Index(ctx, "c", corpus(), engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"comey.txt\x1b", strings.Repeat("x", engine.MaxIDBytes+1)} {
		q := engine.Query{Text: "fired", K: 5, MinScore: -1, Mode: engine.Vector}
		q.Filter.DocIDs = []string{id}
		if _, err := eng.Search(ctx, "c", q); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("filter id %.20q: err = %v, want ErrInvalid", id, err)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	ok := engine.Query{Text: "Who was fired?", K: engine.DefaultK}
	for _, tc := range []struct {
		name  string
		edit  func(*engine.Query)
		field string // "" with want "": valid
		want  string
	}{
		{"valid", func(*engine.Query) {}, "", ""},
		{"k at the maximum", func(q *engine.Query) { q.K = engine.MaxK }, "", ""},
		{"empty", func(q *engine.Query) { q.Text = " \n" }, "query", "is empty"},
		{"long", func(q *engine.Query) { q.Text = strings.Repeat("a", engine.MaxQueryBytes+1) }, "query", "the limit is 4096"},
		{"bad utf-8", func(q *engine.Query) { q.Text = "a\xff" }, "query", "not valid UTF-8"},
		{"k 0", func(q *engine.Query) { q.K = 0 }, "k", "between 1 and 1000"},
		{"k over", func(q *engine.Query) { q.K = engine.MaxK + 1 }, "k", "between 1 and 1000"},
		{"mmr", func(q *engine.Query) { q.MMR = 1.5 }, "mmr", "between 0 (off) and 1"},
		{"max per doc", func(q *engine.Query) { q.MaxPerDoc = -1 }, "max_per_doc", "must not be negative"},
		{"filter id", func(q *engine.Query) { q.Filter.DocIDs = []string{"a\x00"} }, "", "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := ok
			tc.edit(&q)
			err := engine.CheckQuery(q)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckQuery = %v", err)
				}
				return
			}
			var fe *engine.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Problem, tc.want) {
				t.Fatalf("CheckQuery = %#v, want field %q saying %q", err, tc.field, tc.want)
			}
		})
	}
}
