package embedded

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestOpen_lockHolder: the write lock's holder records its pid, command
// and start time in the lock file, and a second writer's error names it
// (it used to blame a running `semsearch serve` whatever held the lock).
// A closed store leaves no holder behind.
func TestOpen_lockHolder(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{Command: "semsearch index"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Command: "semsearch serve"})
	if !errors.Is(err, vectorstore.ErrLocked) {
		t.Fatalf("second writer: %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.Holder == nil {
		t.Fatalf("second writer: %v, want a LockedError naming the holder", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Command != "semsearch index" || le.Holder.Started.IsZero() {
		t.Errorf("holder = %+v, want this process running semsearch index", le.Holder)
	}
	for _, want := range []string{"semsearch index", "pid " + strconv.Itoa(os.Getpid()), dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "serve") {
		t.Errorf("error %q blames a server", err)
	}
	if h, ok := ReadLockHolder(dir); !ok || h.Command != "semsearch index" {
		t.Errorf("ReadLockHolder while held: %+v %v", h, ok)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if h, ok := ReadLockHolder(dir); ok {
		t.Errorf("ReadLockHolder after Close: %+v, want none", h)
	}
	w2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("writer after the first closed: %v", err)
	}
	w2.Close()
}
