package chunk

import (
	"strings"
	"testing"
)

func TestOptions_Validate(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		wantErr string // substring of the error; empty means valid
	}{
		{"default", DefaultOptions(), ""},
		{"tokens", Options{Unit: Tokens, Size: 150, Overlap: 40, Max: 200}, ""},
		{"smallest", Options{Unit: Words, Size: 1, Overlap: 0, Max: 1}, ""},
		{"max equals size", Options{Unit: Words, Size: 10, Overlap: 9, Max: 10}, ""},
		{"zero value", Options{}, "unknown unit"},
		{"unknown unit", Options{Unit: "chars", Size: 10, Max: 20}, `unknown unit "chars"`},
		{"zero size", Options{Unit: Words, Size: 0, Max: 20}, "size 0 must be positive"},
		{"negative size", Options{Unit: Words, Size: -5, Max: 20}, "size -5 must be positive"},
		{"negative overlap", Options{Unit: Words, Size: 10, Overlap: -1, Max: 20}, "overlap -1 must not be negative"},
		{"overlap equals size", Options{Unit: Words, Size: 10, Overlap: 10, Max: 20}, "overlap 10 must be less than size 10"},
		{"overlap above size", Options{Unit: Tokens, Size: 10, Overlap: 30, Max: 20}, "overlap 30 must be less than size 10"},
		{"max below size", Options{Unit: Words, Size: 10, Overlap: 2, Max: 9}, "max 9 must be at least size 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opt.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate() = nil, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
			// Split must agree with Validate and never fail on valid options.
			_, splitErr := Split("Some text. More text.", nil, tt.opt)
			if (splitErr != nil) != (err != nil) {
				t.Errorf("Split error %v disagrees with Validate error %v", splitErr, err)
			}
		})
	}
}

func TestDefaultOptions(t *testing.T) {
	opt := DefaultOptions()
	if err := opt.Validate(); err != nil {
		t.Fatalf("DefaultOptions().Validate() = %v", err)
	}
	want := Options{Unit: Words, Size: 120, Overlap: 30, Max: 200, MaxTokens: 400}
	if opt != want {
		t.Errorf("DefaultOptions() = %+v, want %+v", opt, want)
	}
}
