package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// indexed returns the flags of a data directory whose collection "mine"
// holds the given articles (name -> text), indexed with f.
func indexed(t *testing.T, f *fakeOllama, articles map[string]string) []string {
	t.Helper()
	corpus := t.TempDir()
	for name, text := range articles {
		writeFile(t, filepath.Join(corpus, name), text)
	}
	g := append(f.flags(t.TempDir()), "-c", "mine")
	if _, errOut, code := runExit(t, "", append([]string{"index", corpus}, g...)...); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	return g
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Issue 19 item 3: a failed export -o FILE leaves FILE as it was, and no
// temporary file beside it; a successful one replaces it whole, keeping
// its permissions.
func TestExport_outputFile(t *testing.T) {
	f := newFakeOllama(t, "fake")
	g := indexed(t, f, map[string]string{"a.txt": "Chip makers\n\nThe new processor doubles the speed of laptops.\n"})
	dir := t.TempDir()
	backup := filepath.Join(dir, "backup.jsonl")
	writeFile(t, backup, "precious\n")
	if err := os.Chmod(backup, 0o600); err != nil {
		t.Fatal(err)
	}
	typo := slices.Clone(g)
	typo[len(typo)-1] = "typo"
	_, errOut, code := runExit(t, "", append([]string{"export", "-o", backup}, typo...)...)
	if code == 0 {
		t.Fatalf("export of a missing collection succeeded: %s", errOut)
	}
	if b, _ := os.ReadFile(backup); string(b) != "precious\n" {
		t.Errorf("a failed export changed the file to %q", b)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("the failed export left %v", names)
	}
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", backup}, g...)...); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(backup)
	if !strings.HasPrefix(string(b), `{"type":"collection"`) || !strings.Contains(string(b), `{"type":"end"`) {
		t.Errorf("the export wrote %q", b)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode is %v (%v), want the old -rw-------", fi.Mode(), err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("the export left %v", names)
	}
	// Through a symbolic link: the target is replaced, the link stays.
	link := filepath.Join(t.TempDir(), "link.jsonl")
	if err := os.Symlink(backup, link); err != nil {
		t.Fatal(err)
	}
	writeFile(t, backup, "old\n")
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", link}, g...)...); code != 0 {
		t.Fatalf("export through a link: %d %s", code, errOut)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(backup); !strings.HasPrefix(string(b), `{"type":"collection"`) {
		t.Errorf("the link's target holds %q", b)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("the export left %v", names)
	}
	// Into a named pipe (as into /dev/null): written to, not replaced.
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", fifo}, g...)...); code != 0 {
		t.Fatalf("export into a pipe: %d %s", code, errOut)
	}
	if b := <-got; !strings.Contains(b, `{"type":"end"`) {
		t.Errorf("the pipe got %q", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
	// Into a folder: refused, the folder untouched.
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", dir}, g...)...); code == 0 || !strings.Contains(errOut, "is a folder") {
		t.Errorf("export into a folder: %d %s", code, errOut)
	}
	// Into a folder that does not exist: an error, nothing created.
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", filepath.Join(dir, "no", "x.jsonl")}, g...)...); code == 0 || !strings.Contains(errOut, "no such file") {
		t.Errorf("export into a missing folder: %d %s", code, errOut)
	}
}

// Issue 19 item 4: a truncated or cut export fails with a message naming
// what is wrong, from a file or standard input, and leaves the target
// collection as it was, BM25 index included; the whole export imports and
// its documents are found by BM25.
func TestImport_truncatedLeavesCollection(t *testing.T) {
	f := newFakeOllama(t, "fake")
	target := indexed(t, f, map[string]string{
		"a.txt": "Chip makers\n\nThe new processor doubles the speed of laptops.\n",
		"b.txt": "Cup final\n\nThe home side won the cup final on penalties.\n",
	})
	source := indexed(t, f, map[string]string{
		"a.txt": "Chip makers again\n\nA second processor with zorblax cores.\n",
		"c.txt": "Harbour news\n\nFerries return to the harbour after the quillimer storm.\n",
		"d.txt": "Garden show\n\nRoses and tulips at the spring garden show.\n",
	})
	dump := filepath.Join(t.TempDir(), "dump.jsonl")
	if _, errOut, code := runExit(t, "", append([]string{"export", "-o", dump}, source...)...); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	whole, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(whole), "\n")
	if len(lines) < 5 { // header, 3 documents, (end,) ""
		t.Fatalf("export has %d lines", len(lines))
	}
	listOf := func() string {
		out, errOut, code := runExit(t, "", append([]string{"list", "--json"}, target...)...)
		if code != 0 {
			t.Fatalf("list: %d %s", code, errOut)
		}
		return out
	}
	bm25 := func(q string) string {
		out, errOut, code := runExit(t, "", append([]string{"search", "--mode", "bm25", q}, target...)...)
		if code != 0 {
			t.Fatalf("bm25 search %q: %d %s", q, code, errOut)
		}
		return out
	}
	before := listOf()
	tests := []struct {
		name, data string
		stdin      bool
		want       []string
	}{
		{"whole lines", lines[0] + lines[1] + lines[2], false, []string{"truncated", "promises 3 documents", "holds 2", "no end line", "re-export"}},
		{"cut mid-line", lines[0] + lines[1] + lines[2][:len(lines[2])/2], false, []string{"cut mid-line", "line 3"}},
		{"cut mid-line, stdin", lines[0] + lines[1] + lines[2][:len(lines[2])/2], true, []string{"cut mid-line", "line 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arg, stdin := "-", tt.data
			if !tt.stdin {
				arg, stdin = filepath.Join(t.TempDir(), "cut.jsonl"), ""
				writeFile(t, arg, tt.data)
			}
			_, errOut, code := runExit(t, stdin, append([]string{"import", arg}, target...)...)
			if code != exitFailure {
				t.Fatalf("import: exit %d, want %d: %s", code, exitFailure, errOut)
			}
			for _, w := range append(tt.want, "nothing was imported") {
				if !strings.Contains(errOut, w) {
					t.Errorf("message does not say %q: %s", w, errOut)
				}
			}
			if after := listOf(); after != before {
				t.Errorf("the collection changed:\nbefore %s\nafter  %s", before, after)
			}
			if out := bm25("penalties"); !strings.Contains(out, "b.txt") {
				t.Errorf("bm25 search after the failed import: %s", out)
			}
			if out := bm25("zorblax"); strings.Contains(out, "a.txt") {
				t.Errorf("bm25 finds the export's version of a.txt: %s", out)
			}
		})
	}
	if _, errOut, code := runExit(t, "", append([]string{"import", dump}, target...)...); code != 0 || !strings.Contains(errOut, "3 documents") {
		t.Fatalf("import of the whole export: %d %s", code, errOut)
	}
	for q, id := range map[string]string{"zorblax": "a.txt", "quillimer": "c.txt", "penalties": "b.txt"} {
		if out := bm25(q); !strings.Contains(out, id) {
			t.Errorf("bm25 %q after the import does not find %s: %s", q, id, out)
		}
	}
}
