package vectorstore

import (
	"strings"
	"testing"
	"time"
)

func TestFilter_Validate(t *testing.T) {
	may, june := time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    Filter
		want string // "" for valid
	}{
		{"empty", Filter{}, ""},
		{"everything", Filter{DocIDs: []string{"a"}, Meta: map[string]string{"author": ""}, After: may, Before: june}, ""},
		{"one bound", Filter{After: june}, ""},
		{"empty id", Filter{DocIDs: []string{"a", ""}}, "document id 2 of 2 is empty"},
		{"blank id", Filter{DocIDs: []string{" "}}, "document id 1 of 1 is empty"},
		{"empty field", Filter{Meta: map[string]string{" ": "x"}}, "metadata field name is empty"},
		{"dates reversed", Filter{After: june, Before: may}, "must be earlier than before"},
		{"dates equal", Filter{After: may, Before: may}, "must be earlier than before"},
	}
	for _, tt := range tests {
		err := tt.f.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}
