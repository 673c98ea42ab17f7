package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI applies the request model's id rule as every door does: an id
// over 1024 bytes (or with control characters) is not indexed, and
// search --doc refuses it; k is at most 1000.
func TestCLI_requestModel(t *testing.T) {
	f := newFakeOllama(t, "fake")
	dir := t.TempDir()
	long := strings.Repeat("x", 1025)
	writeFile(t, filepath.Join(dir, "items.json"), fmt.Sprintf(`[{"id": "ok", "text": "Rivers and lakes."}, {"id": %q, "text": "Mountains and snow."}]`, long))
	g := f.flags(t.TempDir())
	out, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	if code != 0 || !strings.Contains(out, "1 new") || !strings.Contains(errOut, "is longer than 1024 bytes") {
		t.Errorf("index of an over-long id: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"search", "--doc", long, "rivers"}, g...)...)
	if code != 2 || !strings.Contains(errOut, "is longer than 1024 bytes") {
		t.Errorf("search --doc with an over-long id: %d %q", code, errOut)
	}
	if out, errOut, code := runExit(t, "", append([]string{"search", "-k", "1000", "rivers"}, g...)...); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("search -k 1000: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := runExit(t, "", append([]string{"search", "-k", "1001", "rivers"}, g...)...); code != 2 || !strings.Contains(errOut, "k must be between 1 and 1000") {
		t.Errorf("search -k 1001: %d %q", code, errOut)
	}
}
