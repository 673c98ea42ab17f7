package eval

import (
	"reflect"
	"testing"
)

func TestCheckRelevant(t *testing.T) {
	ds := &Dataset{Queries: []Query{
		{ID: "ok", Relevant: map[string]int{"business/047.txt": 1}},
		{ID: "bare", Relevant: map[string]int{"047.txt": 1}},
		{ID: "part", Relevant: map[string]int{"sport/055.txt": 1, "sport/999.txt": 2}},
	}}
	ids := []string{"sport/055.txt", "business/047.txt", "sport/047.txt"}
	got := CheckRelevant(ds, ids)
	want := []MissingRelevant{
		{Query: "bare", Missing: []string{"047.txt"}, Closest: map[string][]string{"047.txt": {"business/047.txt", "sport/047.txt"}}, None: true},
		{Query: "part", Missing: []string{"sport/999.txt"}, Closest: map[string][]string{"sport/999.txt": {"sport/047.txt", "sport/055.txt"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckRelevant =\n%+v\nwant\n%+v", got, want)
	}
	if got := CheckRelevant(&Dataset{Queries: ds.Queries[:1]}, ids); got != nil {
		t.Errorf("all present: %+v", got)
	}
}
