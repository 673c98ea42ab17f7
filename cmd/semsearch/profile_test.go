package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartProfiles: SEMSEARCH_CPUPROFILE and SEMSEARCH_MEMPROFILE write
// pprof profiles when the command ends; a path that cannot be written is a
// warning, never a failure; without them nothing is written.
func TestStartProfiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"SEMSEARCH_CPUPROFILE": filepath.Join(dir, "cpu.prof"),
		"SEMSEARCH_MEMPROFILE": filepath.Join(dir, "mem.prof"),
	}
	var stderr bytes.Buffer
	stop := startProfiles(func(k string) string { return env[k] }, &stderr)
	stop()
	for _, f := range env {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: not written (%v)", f, err)
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("warnings: %s", stderr.String())
	}

	bad := filepath.Join(dir, "missing", "cpu.prof")
	stderr.Reset()
	stop = startProfiles(func(k string) string {
		if k == "SEMSEARCH_CPUPROFILE" || k == "SEMSEARCH_MEMPROFILE" {
			return bad
		}
		return ""
	}, &stderr)
	stop()
	if got := stderr.String(); !strings.Contains(got, "SEMSEARCH_CPUPROFILE") || !strings.Contains(got, "SEMSEARCH_MEMPROFILE") {
		t.Errorf("unwritable paths: warnings %q, want one for each variable", got)
	}

	stderr.Reset()
	startProfiles(func(string) string { return "" }, &stderr)()
	if entries, _ := os.ReadDir(dir); len(entries) != 2 || stderr.Len() > 0 {
		t.Errorf("without the variables: %d files, warnings %q", len(entries), stderr.String())
	}
}
