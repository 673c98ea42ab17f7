package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Config says what to watch and what to do with a batch of changes.
type Config struct {
	// Roots are the absolute paths followed: directories (with every
	// directory under them but hidden ones) and files.
	Roots []string
	// Sync brings the collection in step with the roots: called once at
	// the start (changed nil: catch up with what changed while nobody was
	// watching) and then with each batch of changed paths. A failed sync
	// is logged and tried again with the next batch, or after Retry.
	Sync func(ctx context.Context, changed []string) error
	// Quiet and MaxDelay bound a batch (see [Batcher]); Retry is how long
	// after a failed sync it is tried again. Defaults: 300ms, 1s, 5s.
	Quiet, MaxDelay, Retry time.Duration
	// Ready, when set, is called once the roots are watched and the first
	// sync ended, with the number of directories watched.
	Ready func(dirs int)
	Log   *slog.Logger
}

// notifier is what Run needs of fsnotify.Watcher (tests give a fake).
type notifier interface {
	Add(path string) error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

type fsnotifier struct{ *fsnotify.Watcher }

func (f fsnotifier) Events() <-chan fsnotify.Event { return f.Watcher.Events }
func (f fsnotifier) Errors() <-chan error          { return f.Watcher.Errors }

// ErrTooManyWatches reports that the system's limit of inotify watches
// (fs.inotify.max_user_watches on Linux) was reached.
var ErrTooManyWatches = errors.New("out of inotify watches")

// Run watches cfg.Roots until ctx is done, syncing each batch of changes.
// It returns nil when ctx ends it, and an error when watching is not
// possible (the inotify watch limit reached: the error names the sysctl).
func Run(ctx context.Context, cfg Config) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", watchErr(err))
	}
	return run(ctx, cfg, fsnotifier{w})
}

type watcher struct {
	cfg   Config
	n     notifier
	dirs  map[string]bool // directories watched
	roots map[string]bool
	batch Batcher
	log   *slog.Logger
}

func run(ctx context.Context, cfg Config, n notifier) error {
	defer n.Close()
	if cfg.Quiet <= 0 {
		cfg.Quiet = 300 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 5 * time.Second
	}
	w := &watcher{cfg: cfg, n: n, dirs: map[string]bool{}, roots: map[string]bool{}, log: cfg.Log,
		batch: Batcher{Quiet: cfg.Quiet, MaxDelay: cfg.MaxDelay}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	parents := map[string]bool{}
	for _, r := range cfg.Roots {
		w.roots[r] = true
		// The parent tells when the root itself is deleted and made again.
		if p := filepath.Dir(r); !parents[p] {
			parents[p] = true
			if err := w.add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := w.addTree(r); err != nil {
			return err
		}
	}
	var retry <-chan time.Time
	if err := cfg.Sync(ctx, nil); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		w.log.Error("sync failed; trying again", "error", err, "in", cfg.Retry)
		retry = time.After(cfg.Retry)
	}
	if cfg.Ready != nil {
		cfg.Ready(len(w.dirs))
	}
	for {
		var due <-chan time.Time
		var timer *time.Timer
		if d := w.batch.Wait(time.Now()); d >= 0 {
			timer = time.NewTimer(d)
			due = timer.C
		}
		var err error
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case ev, ok := <-n.Events():
			if !ok {
				return errors.New("watch: the file system notifier stopped")
			}
			err = w.event(ev)
		case e, ok := <-n.Errors():
			if !ok {
				return errors.New("watch: the file system notifier stopped")
			}
			if errors.Is(e, fsnotify.ErrEventOverflow) {
				// Changes were lost: sync everything.
				w.log.Warn("too many changes at once to follow one by one; syncing all sources")
				for r := range w.roots {
					w.batch.Add(r, time.Now())
				}
			} else {
				w.log.Warn("file system notifier", "error", e)
			}
		case <-due:
			paths := w.batch.Take(time.Now())
			if paths == nil {
				break
			}
			if w.writing(paths) {
				break // partial writes: wait until they settle
			}
			retry = nil
			w.log.Debug("syncing a batch", "paths", len(paths))
			if err := cfg.Sync(ctx, paths); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				w.log.Error("sync failed; trying again", "error", err, "in", cfg.Retry)
				retry = time.After(cfg.Retry)
			}
		case <-retry:
			retry = nil
			for r := range w.roots {
				w.batch.Add(r, time.Now().Add(-cfg.Quiet))
			}
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// event takes one file system event into the batch.
func (w *watcher) event(ev fsnotify.Event) error {
	if ev.Op == fsnotify.Chmod || ev.Name == "" || Ignored(ev.Name) || !w.inRoots(ev.Name) {
		return nil
	}
	w.log.Debug("file system event", "path", ev.Name, "op", ev.Op.String())
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// The notifier drops a removed directory's watch (and those below
		// it); one made again under the name is added anew.
		w.forget(ev.Name)
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
			// What was watched under this name (a folder replaced, a
			// link pointed elsewhere) is another folder now.
			w.forget(ev.Name)
			// A new (or re-created, or moved-in) directory: watch it and
			// all under it. Files made in it before its watch existed
			// are found by the sync, which reads the new folder whole.
			if err := w.addTree(ev.Name); err != nil {
				return err
			}
		}
	}
	w.batch.Add(ev.Name, time.Now())
	return nil
}

// forget drops the watches held for name and the folders under it: the
// notifier has dropped them, or they are other folders now.
func (w *watcher) forget(name string) {
	for d := range w.dirs {
		if d == name || strings.HasPrefix(d, name+string(filepath.Separator)) {
			delete(w.dirs, d)
		}
	}
}

// inRoots reports whether path is a root or inside one.
func (w *watcher) inRoots(path string) bool {
	for r := range w.roots {
		if path == r || strings.HasPrefix(path, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// writing reports whether a file of paths was written too recently to be
// whole (a copy or a download still going), and puts paths back then.
func (w *watcher) writing(paths []string) bool {
	now := time.Now()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		// (A time in the future is a clock's skew, not a write.)
		if age := now.Sub(fi.ModTime()); age >= 0 && age < w.cfg.Quiet/2 {
			for _, p := range paths {
				w.batch.Add(p, now)
			}
			return true
		}
	}
	return false
}

// addTree watches dir and the directories under it (not hidden ones, which
// the loader skips); a file root is watched through its parent.
func (w *watcher) addTree(root string) error {
	fi, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone: its parent's watch sees it made again
	}
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil
	}
	// A root that is a symbolic link (to a folder) is walked where it
	// points, and watched under its own name, which events then carry.
	real := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		real = r
	}
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walked
			}
			w.log.Warn("cannot watch", "path", p, "error", err)
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if p != real && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return nil
		}
		if err := w.add(filepath.Join(root, rel)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		return nil
	})
}

func (w *watcher) add(dir string) error {
	if w.dirs[dir] {
		return nil
	}
	if err := w.n.Add(dir); err != nil {
		return fmt.Errorf("watch %s (%d directories watched): %w", dir, len(w.dirs), watchErr(err))
	}
	w.dirs[dir] = true
	return nil
}

// watchErr explains running out of inotify watches or instances.
func watchErr(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w (%v): raise the limit, e.g. `sudo sysctl fs.inotify.max_user_watches=524288` "+
			"(and in /etc/sysctl.d/ to keep it), or watch fewer folders", ErrTooManyWatches, err)
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("%w (%v): too many inotify instances; raise fs.inotify.max_user_instances, e.g. `sudo sysctl fs.inotify.max_user_instances=512`", ErrTooManyWatches, err)
	}
	return err
}
