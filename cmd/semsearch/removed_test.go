package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRemovedFlags: a flag, environment variable or eval sweep key of an
// experiment that was retired fails with one line saying it was removed and
// why, not "unknown flag" or a page of help.
func TestRemovedFlags(t *testing.T) {
	g := []string{"--data", t.TempDir(), "--model", "m", "--ollama", downAddr(t)}
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "zebras", "relevant": ["zebra.txt"]}`+"\n")
	corpus := t.TempDir()
	writeFile(t, filepath.Join(corpus, "zebra.txt"), "Zebras\n\nZebras graze on the plains.\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the removed name the line starts with
	}{
		{"expand after the command", nil, []string{"search", "--expand", "2:0.5:0.6", "q"}, "--expand"},
		{"expand before the command", nil, []string{"--expand=off", "search", "q"}, "--expand"},
		{"word vectors", nil, []string{"search", "--word-vectors", "/nonexistent", "q"}, "--word-vectors"},
		{"thesaurus on index", nil, []string{"index", "--thesaurus", "wn.tgz", "."}, "--thesaurus"},
		{"thesaurus relations", nil, []string{"search", "--thesaurus-relations", "syn", "q"}, "--thesaurus-relations"},
		{"SEMSEARCH_THESAURUS", map[string]string{"SEMSEARCH_THESAURUS": "wn.tgz"}, []string{"search", "q"}, "SEMSEARCH_THESAURUS"},
		{"SEMSEARCH_WORD_VECTORS", map[string]string{"SEMSEARCH_WORD_VECTORS": "v.txt"}, []string{"list"}, "SEMSEARCH_WORD_VECTORS"},
		{"SEMSEARCH_EXPAND", map[string]string{"SEMSEARCH_EXPAND": "off"}, []string{"search", "q"}, "SEMSEARCH_EXPAND"},
		{"sweep feedback", nil, []string{"eval", "--dataset", queries, "--corpus", corpus, "--sweep", "feedback=5:3:0.2:0.2"}, "--sweep feedback"},
		{"sweep expand", nil, []string{"eval", "--dataset", queries, "--corpus", corpus, "--sweep", "expand=off,2:0.5:0.6"}, "--sweep expand"},
		{"sweep doc-weight", nil, []string{"eval", "--dataset", queries, "--corpus", corpus, "--sweep", "doc-weight=0.1"}, "--sweep doc-weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := tt.args
			if args[0] != "--expand=off" {
				args = append(append([]string{args[0]}, g...), args[1:]...)
			} else {
				args = append(args[:2:2], append(g, args[2:]...)...)
			}
			out, errOut, code := runExit(t, "", args...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if code != exitUsage || len(lines) != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", code, out, errOut)
			}
			if !strings.HasPrefix(lines[0], "semsearch: "+tt.want+" was removed in 2026-12: ") ||
				!strings.Contains(lines[0], "measured no gain") || !strings.Contains(lines[0], "docs/research/paraphrase.md") {
				t.Errorf("stderr %q; want %q was removed, why, and where the measurements are", lines[0], tt.want)
			}
		})
	}
}

// TestHelp_noExperimentFlags: the retired experiments' flags are gone from
// every command's help.
func TestHelp_noExperimentFlags(t *testing.T) {
	for _, cmd := range []string{"search", "index", "eval"} {
		out, _, err := run(t, "", cmd, "--help")
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		for _, gone := range []string{"--expand", "--word-vectors", "--thesaurus", "SEMSEARCH_THESAURUS", "feedback", "doc-weight"} {
			if strings.Contains(out, gone) {
				t.Errorf("%s --help still mentions %s", cmd, gone)
			}
		}
	}
}
