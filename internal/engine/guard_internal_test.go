package engine

import "testing"

func TestSourceRules(t *testing.T) {
	tests := []struct {
		stored, given   string
		file, may, sure bool // isFileSource(given), mayBeSameFile, surelySameFile
	}{
		{"bbc/business/002.txt", "bbc/business/002.txt", true, true, true},
		{"bbc/business/002.txt", "./bbc//business/002.txt", true, true, true},
		{"bbc/business/002.txt", "bbc/sport/002.txt", true, false, false},
		// The same file named from another working directory.
		{"corpus/tech/018.txt", "tech/018.txt", true, true, false},
		{"/home/me/corpus/tech/018.txt", "corpus/tech/018.txt", true, true, false},
		{"tech/018.txt", "/home/me/corpus/tech/018.txt", true, true, false},
		// Two absolute paths are two files; a name is not a suffix of a longer name.
		{"/a/tech/018.txt", "/b/tech/018.txt", true, false, false},
		{"corpus/x018.txt", "018.txt", true, false, false},
		{"-", "corpus/note.txt", true, false, false},
		// What the guard does not compare.
		{"a.txt", "-", false, false, false},
		{"a.txt", "", false, false, false},
		{"a.txt", "https://example.com/a.txt", false, false, false},
	}
	for _, tt := range tests {
		if got := isFileSource(tt.given); got != tt.file {
			t.Errorf("isFileSource(%q) = %t, want %t", tt.given, got, tt.file)
		}
		if !tt.file {
			continue
		}
		if got := mayBeSameFile(tt.stored, tt.given); got != tt.may {
			t.Errorf("mayBeSameFile(%q, %q) = %t, want %t", tt.stored, tt.given, got, tt.may)
		}
		if got := surelySameFile(tt.stored, tt.given); got != tt.sure {
			t.Errorf("surelySameFile(%q, %q) = %t, want %t", tt.stored, tt.given, got, tt.sure)
		}
	}
}
