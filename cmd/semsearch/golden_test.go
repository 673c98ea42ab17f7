package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -run '%s' -update rewrites it after a deliberate change)\n--- got:\n%s\n--- want:\n%s", path, t.Name(), got, want)
	}
}

// tookRe matches the times a search reports, the one part of its output
// that changes from run to run.
var (
	tookJSONRe = regexp.MustCompile(`"took_ms": \d+(\.\d+)?`)
	tookLineRe = regexp.MustCompile(`(?m) in [\d.]+(ns|µs|ms|s)$`)
)

func stableOutput(b string) []byte {
	out := tookJSONRe.ReplaceAll([]byte(b), []byte(`"took_ms": TIME`))
	return tookLineRe.ReplaceAll(out, []byte(" in TIME"))
}

// TestSearch_golden: the search command's plain and --json output over the
// sample articles, with a fake Ollama whose vectors are a hash of the text,
// so every score is the same on every run.
func TestSearch_golden(t *testing.T) {
	unsetEnv(t, "SEMSEARCH_MODEL")
	unsetEnv(t, "SEMSEARCH_COLLECTION")
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	if _, errOut, code := runExit(t, "", append([]string{"index", "../../examples/articles"}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	for _, tt := range []struct {
		file string
		args []string
	}{
		{"search.golden", []string{"search", "-k", "3", "Who did Trump fire the day before meeting Lavrov?"}},
		{"search-json.golden", []string{"search", "--json", "-k", "2", "What did Lavrov joke about?"}},
		{"search-explain.golden", []string{"search", "--explain", "-k", "2", "--mode", "hybrid", "Comey firing"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			out, errOut, code := runExit(t, "", append(tt.args, g...)...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", tt.args, code, errOut)
			}
			golden(t, tt.file, stableOutput(out))
		})
	}
}
