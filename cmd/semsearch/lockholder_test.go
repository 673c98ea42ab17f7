package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/bm25"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// TestCLI_lockHeldByIndex: while another `semsearch index` holds the data
// directory (and writes the BM25 index), a second index and a hybrid
// search name that run and its pid and say to wait; they offer no
// --server, since no server runs (they used to blame a running serve).
func TestCLI_lockHeldByIndex(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}

	// The other index run: the store's write lock and the BM25 index.
	other, err := embedded.Open(data, embedded.Options{Command: "semsearch index"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	kw, err := bm25.Open(filepath.Join(data, defaultCollection+".bm25"), bm25.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kw.Close()

	pid := fmt.Sprintf("`semsearch index` (pid %d", os.Getpid())
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"index", []string{"index", dir}, "holds the data directory " + data + ": wait for it to finish"},
		{"hybrid search", []string{"search", "fish"}, "is writing the BM25 index of " + data},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runExit(t, "", append(tc.args, g...)...)
			if code == 0 || !strings.Contains(errOut, pid) || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q: want it to name %s and say %q", code, errOut, pid, tc.want)
			}
			if strings.Contains(errOut, "--server") || strings.Contains(errOut, "serve") {
				t.Errorf("stderr %q offers a server that is not running", errOut)
			}
		})
	}
}
