package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
)

func TestBatcher(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	for _, tc := range []struct {
		name   string
		adds   []int // ms of each change
		at     int   // ms of Take
		want   int   // paths taken
		waitMs int   // Wait at `at` when nothing is taken
	}{
		{"nothing", nil, 0, 0, -1},
		{"one change, still quiet period", []int{0}, 100, 0, 200},
		{"one change, quiet", []int{0}, 300, 1, 0},
		{"burst keeps it waiting", []int{0, 250, 500, 700}, 900, 0, 100},
		{"burst ends", []int{0, 250, 500, 700}, 1000, 4, 0},
		{"steady stream capped by MaxDelay", []int{0, 200, 400, 600, 800, 999}, 1000, 6, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Batcher{Quiet: 300 * time.Millisecond, MaxDelay: time.Second}
			for i, a := range tc.adds {
				b.Add(fmt.Sprintf("f%d", i), ms(a))
			}
			got := b.Take(ms(tc.at))
			if len(got) != tc.want {
				t.Fatalf("took %v, want %d paths", got, tc.want)
			}
			if tc.want == 0 {
				if w := b.Wait(ms(tc.at)); w != time.Duration(tc.waitMs)*time.Millisecond && !(tc.waitMs < 0 && w < 0) {
					t.Errorf("wait %v, want %dms", w, tc.waitMs)
				}
			} else if b.Pending() {
				t.Error("still pending after Take")
			}
		})
	}
	// The same path twice is one change.
	b := Batcher{Quiet: time.Millisecond, MaxDelay: time.Second}
	b.Add("a", t0)
	b.Add("a", t0)
	if got := b.Take(ms(5)); len(got) != 1 {
		t.Errorf("took %v", got)
	}
}

func TestIgnored(t *testing.T) {
	for name, want := range map[string]bool{
		"/d/notes.md": false, "/d/report.pdf": false, "/d/4913": true, "/d/.notes.md.swp": true, "/d/notes.md~": true,
		"/d/#notes.md#": true, "/d/~$report.docx": true, "/d/.~lock.report.docx#": true, "/d/file.tmp": true,
		"/d/big.pdf.part": true, "/d/big.pdf.crdownload": true, "/d/.hidden.md": true, "/d/a.md.swx": true,
	} {
		if got := Ignored(name); got != want {
			t.Errorf("Ignored(%q) = %v, want %v", name, got, want)
		}
	}
}

// fakeNotifier feeds made-up events; Add fails with addErr once addOK
// directories were added.
type fakeNotifier struct {
	events chan fsnotify.Event
	errs   chan error
	mu     sync.Mutex
	added  []string
	addOK  int
	addErr error
}

func newFake() *fakeNotifier {
	return &fakeNotifier{events: make(chan fsnotify.Event), errs: make(chan error), addOK: 1 << 30}
}

func (f *fakeNotifier) Add(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.added) >= f.addOK {
		return f.addErr
	}
	f.added = append(f.added, p)
	return nil
}
func (f *fakeNotifier) Events() <-chan fsnotify.Event { return f.events }
func (f *fakeNotifier) Errors() <-chan error          { return f.errs }
func (f *fakeNotifier) Close() error                  { return nil }

// syncRecorder records the batches synced and when.
type syncRecorder struct {
	mu      sync.Mutex
	batches [][]string
	at      []time.Time
}

func (s *syncRecorder) sync(_ context.Context, changed []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, changed)
	s.at = append(s.at, time.Now())
	return nil
}

func TestRunBatches(t *testing.T) {
	root := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		rec := &syncRecorder{}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		ready := make(chan int, 1)
		go func() {
			done <- run(ctx, Config{Roots: []string{root}, Sync: rec.sync, Ready: func(n int) { ready <- n }}, f)
		}()
		<-ready
		start := time.Now()
		if len(rec.batches) != 1 || rec.batches[0] != nil {
			t.Fatalf("the start syncs once to catch up: %v", rec.batches)
		}
		// A save: editors' scratch files around it are ignored.
		for _, name := range []string{".a.md.swp", "4913", "a.md~", "a.md"} {
			f.events <- fsnotify.Event{Name: filepath.Join(root, name), Op: fsnotify.Create}
		}
		f.events <- fsnotify.Event{Name: filepath.Join(root, "a.md"), Op: fsnotify.Write}
		f.events <- fsnotify.Event{Name: "/elsewhere/b.md", Op: fsnotify.Write}
		f.events <- fsnotify.Event{Name: filepath.Join(root, "a.md"), Op: fsnotify.Chmod}
		time.Sleep(time.Second)
		synctest.Wait()
		if len(rec.batches) != 2 || len(rec.batches[1]) != 1 || rec.batches[1][0] != filepath.Join(root, "a.md") {
			t.Fatalf("batches %q", rec.batches)
		}
		if d := rec.at[1].Sub(start); d != 300*time.Millisecond {
			t.Errorf("a save is synced %v after it, want the quiet period 300ms", d)
		}
		// A burst of 1,000 files over 2s (a git checkout): a batch at least
		// every MaxDelay, and far fewer batches than files.
		burst := time.Now()
		for i := range 1000 {
			f.events <- fsnotify.Event{Name: filepath.Join(root, fmt.Sprintf("f%04d.md", i)), Op: fsnotify.Create}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		got := 0
		for i, b := range rec.batches[2:] {
			got += len(b)
			if i > 0 && rec.at[2+i].Sub(rec.at[1+i]) > time.Second+10*time.Millisecond {
				t.Errorf("batch %d came %v after the one before", i, rec.at[2+i].Sub(rec.at[1+i]))
			}
		}
		if got != 1000 || len(rec.batches)-2 > 4 {
			t.Errorf("the burst came in %d batches holding %d paths, want at most 4 holding 1000", len(rec.batches)-2, got)
		}
		t.Logf("1,000 files in %d batches, the last %v after the burst began", len(rec.batches)-2, rec.at[len(rec.at)-1].Sub(burst))
		// Lost events: everything is synced again.
		f.errs <- fsnotify.ErrEventOverflow
		time.Sleep(time.Second)
		synctest.Wait()
		if last := rec.batches[len(rec.batches)-1]; len(last) != 1 || last[0] != root {
			t.Errorf("after an overflow the batch is %q, want the root", last)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run ended with %v", err)
		}
	})
}

func TestRunSyncFailureRetries(t *testing.T) {
	root := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		var mu sync.Mutex
		calls := 0
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go run(ctx, Config{Roots: []string{root}, Retry: 5 * time.Second, Sync: func(context.Context, []string) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 1 {
				return errors.New("embedding server down")
			}
			return nil
		}}, f)
		time.Sleep(6 * time.Second)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if calls != 2 {
			t.Errorf("%d syncs, want the failed one tried again once", calls)
		}
	})
}

func TestRunOutOfWatches(t *testing.T) {
	root := t.TempDir()
	f := newFake()
	f.addOK, f.addErr = 1, fmt.Errorf("inotify_add_watch: %w", syscall.ENOSPC)
	err := run(t.Context(), Config{Roots: []string{root}, Sync: func(context.Context, []string) error { return nil }}, f)
	if !errors.Is(err, ErrTooManyWatches) || !strings.Contains(err.Error(), "fs.inotify.max_user_watches") {
		t.Errorf("err = %v, want one naming fs.inotify.max_user_watches", err)
	}
}

// TestRunSymlinkedRoot: a root that is a symbolic link to a folder is
// followed (inotify, for real) down to its subfolders, and changes come
// named under the link.
func TestRunSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real"), filepath.Join(dir, "link")
	if err := os.MkdirAll(filepath.Join(real, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 10)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Roots: []string{link}, Quiet: 50 * time.Millisecond,
			Sync:  func(_ context.Context, changed []string) error { got <- changed; return nil },
			Ready: func(int) { close(ready) }})
	}()
	<-ready
	<-got // the first sync
	if err := os.WriteFile(filepath.Join(real, "sub", "a.md"), []byte("# A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case changed := <-got:
		if len(changed) != 1 || changed[0] != filepath.Join(link, "sub", "a.md") {
			t.Errorf("changed %q, want the file under the link", changed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no sync after a write in a subfolder of a linked root")
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
