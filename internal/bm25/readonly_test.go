package bm25

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// readOnlyDir returns a read-only directory holding a copy of src: a
// read-only tmpfs when running as root (which file modes do not stop), else
// a directory without write permission.
func readOnlyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dst).CombinedOutput(); err != nil {
			t.Skipf("mount tmpfs: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", "-l", dst).Run() })
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v: %s", err, out)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-o", "remount,ro", dst).CombinedOutput(); err != nil {
			t.Skipf("remount read-only: %v: %s", err, out)
		}
		return dst
	}
	if out, err := exec.Command("chmod", "-R", "a-w", dst).CombinedOutput(); err != nil {
		t.Fatalf("chmod: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", dst).Run() })
	return dst
}

// oneDocIndex writes a closed index holding document "a" (hash "1", about
// quaggas) and returns its directory.
func oneDocIndex(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "news.bm25")
	ix, err := Open(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.ReplaceMany(context.Background(), Document{ID: "a", Hash: "1", Passages: []Passage{{Text: "Quagga zebras roam near Etosha."}}}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestOpen_readOnly: a read-only copy of an index (a backup, a read-only
// volume) can be searched; a missing one is ErrMissing, not created.
func TestOpen_readOnly(t *testing.T) {
	ctx := context.Background()
	src := oneDocIndex(t)
	ro := readOnlyDir(t, src)
	if _, err := Open(ro, Options{}); err == nil {
		t.Log("a writable open of a read-only directory worked (file modes do not stop this user)")
	}
	rix, err := Open(ro, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a read-only copy: %v", err)
	}
	defer rix.Close()
	hits, err := rix.Search(ctx, "quagga", 1, nil)
	if err != nil || len(hits) != 1 || hits[0].DocID != "a" || hits[0].Hash != "1" {
		t.Errorf("search a read-only copy: %+v %v", hits, err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.bm25"), Options{ReadOnly: true}); !errors.Is(err, ErrMissing) {
		t.Errorf("read-only open of a missing index: %v, want ErrMissing", err)
	}
	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, "index_meta.json"), []byte("{garbage"), 0o644)
	if _, err := Open(garbage, Options{}); !errors.Is(err, ErrDamaged) {
		t.Errorf("open of a damaged index: %v, want ErrDamaged", err)
	}
}
