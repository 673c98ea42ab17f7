package engine

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// fakeNeighbours answers from a table and counts the words asked about.
type fakeNeighbours struct {
	table map[string][]Neighbour
	asked []string
	err   error
}

func (f *fakeNeighbours) Neighbours(_ context.Context, word string, n int) ([]Neighbour, error) {
	f.asked = append(f.asked, word)
	ns := f.table[word]
	return ns[:min(n, len(ns))], f.err
}

// suffixTerms stems the way a test needs: "ing" and "ed" cut off, and
// "the" dropped as a stopword.
func suffixTerms(text string) ([]string, error) {
	var out []string
	for _, w := range words(text) {
		if w == "the" {
			continue
		}
		if s, ok := strings.CutSuffix(w, "ing"); ok {
			w = s
		} else if s, ok := strings.CutSuffix(w, "ed"); ok {
			w = s
		}
		out = append(out, w)
	}
	return out, nil
}

func TestEngine_neighbourWords(t *testing.T) {
	table := map[string][]Neighbour{
		"fired":    {{"firing", 0.9}, {"sacked", 0.85}, {"the", 0.8}, {"sacking", 0.8}, {"dismissed", 0.7}, {"ousted", 0.4}},
		"director": {{"sacked", 0.6}, {"chief", 0.6}, {"co-director", 0.55}, {"head", 0.5}},
	}
	tests := []struct {
		name  string
		query string
		x     WordExpansion
		terms func(string) ([]string, error)
		want  []string
	}{
		{"off", "fired director", WordExpansion{}, suffixTerms, nil},
		// firing and sacking are forms of fired and sacked, the a stopword,
		// co-director not one word; sacked is not repeated for director.
		{"forms, stopwords and repeats skipped", "Who fired the director?", WordExpansion{Terms: 2, Weight: 0.5}, suffixTerms, []string{"sacked", "dismissed", "chief", "head"}},
		{"terms per word", "fired director", WordExpansion{Terms: 1, Weight: 0.5}, suffixTerms, []string{"sacked", "chief"}},
		{"min similarity", "fired director", WordExpansion{Terms: 5, Weight: 0.5, MinSimilarity: 0.7}, suffixTerms, []string{"sacked", "dismissed"}},
		// Without the index's terms only exact words are told apart.
		{"no keyword terms", "fired", WordExpansion{Terms: 2, Weight: 0.5}, nil, []string{"firing", "sacked"}},
		{"query forms are taken as known", "firing", WordExpansion{Terms: 1, Weight: 0.5}, suffixTerms, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := &fakeNeighbours{table: table}
			e := &Engine{cfg: Config{Neighbours: nb, KeywordTerms: tt.terms}}
			got, err := e.neighbourWords(t.Context(), tt.query, tt.x)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("neighbourWords(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}

	nb := &fakeNeighbours{table: table}
	e := &Engine{cfg: Config{Neighbours: nb}}
	if _, err := e.neighbourWords(t.Context(), "Who fired the director of the FBI, and who fired him?", WordExpansion{Terms: 1, Weight: 1}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"fired", "director", "fbi"}; !reflect.DeepEqual(nb.asked, want) {
		t.Errorf("asked about %q, want the distinct content words %q", nb.asked, want)
	}
	boom := errors.New("boom")
	e.cfg.Neighbours = &fakeNeighbours{err: boom}
	if _, err := e.neighbourWords(t.Context(), "fired", WordExpansion{Terms: 1, Weight: 1}); !errors.Is(err, boom) {
		t.Errorf("err %v, want the neighbour source's", err)
	}
}

func TestWithWords(t *testing.T) {
	tests := []struct {
		text  string
		extra []string
		w     float64
		want  string
	}{
		{"fired", nil, 0.5, "fired"},
		{"fired", []string{"sacked"}, 1, "fired\nsacked"},
		{"fired", []string{"sacked", "ousted"}, 0.3, "fired\nfired\nfired\nsacked ousted"},
		{"fired", []string{"sacked"}, 0.4, "fired\nfired\nfired\nsacked"},
	}
	for _, tt := range tests {
		if got := withWords(tt.text, tt.extra, tt.w); got != tt.want {
			t.Errorf("withWords(%q, %q, %g) = %q, want %q", tt.text, tt.extra, tt.w, got, tt.want)
		}
	}
}

func TestWordExpansion_Validate(t *testing.T) {
	tests := []struct {
		x  WordExpansion
		ok bool
	}{
		{WordExpansion{}, true},
		{WordExpansion{Terms: 3, Weight: 0.5, MinSimilarity: 0.6}, true},
		{WordExpansion{Terms: 3, Weight: 1}, true},
		{WordExpansion{Terms: -1, Weight: 0.5}, false},
		{WordExpansion{Terms: maxExpansionTerms + 1, Weight: 0.5}, false},
		{WordExpansion{Terms: 3}, false},
		{WordExpansion{Terms: 3, Weight: 1.5}, false},
		{WordExpansion{Terms: 3, Weight: 0.5, MinSimilarity: 1}, false},
		{WordExpansion{Terms: 3, Weight: 0.5, MinSimilarity: -0.1}, false},
		{WordExpansion{Terms: 3, Weight: 0.5, Within: 20}, true},
		{WordExpansion{Terms: 3, Weight: 0.5, Within: -1}, false},
		{WordExpansion{Terms: 3, Weight: 0.5, Within: MaxK + 1}, false},
		{WordExpansion{Terms: 3, Weight: math.NaN()}, false},
		{WordExpansion{Terms: 3, Weight: 0.5, MinSimilarity: math.NaN()}, false},
	}
	for _, tt := range tests {
		if err := tt.x.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: err %v, want ok %t", tt.x, err, tt.ok)
		}
	}
}

func TestFusion_Validate(t *testing.T) {
	with := func(change func(*Fusion)) Fusion {
		f := DefaultFusion()
		change(&f)
		return f
	}
	tests := []struct {
		name string
		f    Fusion
		ok   bool
	}{
		{"default", DefaultFusion(), true},
		{"expansion", with(func(f *Fusion) { f.Expand = WordExpansion{Terms: 2, Weight: 0.5} }), true},
		{"feedback", with(func(f *Fusion) { f.Feedback = Feedback{Passages: 5, Terms: 3, TermWeight: 0.2} }), true},
		{"expansion and feedback", with(func(f *Fusion) {
			f.Expand = WordExpansion{Terms: 2, Weight: 0.5}
			f.Feedback = Feedback{Passages: 5, Terms: 3, TermWeight: 0.2}
		}), false},
		{"NaN vector weight", with(func(f *Fusion) { f.VectorWeight = math.NaN() }), false},
		{"NaN document weight", with(func(f *Fusion) { f.DocWeight = math.NaN() }), false},
		{"NaN rrf k", with(func(f *Fusion) { f.RRFK = math.NaN() }), false},
		{"NaN feedback term weight", with(func(f *Fusion) { f.Feedback = Feedback{Passages: 5, Terms: 3, TermWeight: math.NaN()} }), false},
		{"NaN feedback vector weight", with(func(f *Fusion) { f.Feedback = Feedback{Passages: 5, VectorWeight: math.NaN()} }), false},
	}
	for _, tt := range tests {
		if err := tt.f.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want ok %t", tt.name, err, tt.ok)
		}
	}
}

func TestEngine_occurring(t *testing.T) {
	texts := []string{"The director was sacked.", "Firing squads"}
	tests := []struct {
		name  string
		terms func(string) ([]string, error)
		want  []string
	}{
		// "sacking" is "sacked" to the index, "fired" is "firing".
		{"keyword terms", suffixTerms, []string{"sacking", "fired", "director"}},
		{"lower-case words", nil, []string{"director"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Engine{cfg: Config{KeywordTerms: tt.terms}}
			got, err := e.occurring([]string{"sacking", "fired", "bananas", "director"}, texts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("occurring = %q, want %q", got, tt.want)
			}
		})
	}
}
