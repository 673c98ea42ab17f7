// Package watch keeps a collection in step with the folders it was indexed
// from: it follows them with fsnotify (inotify on Linux), gathers the
// changes of a burst into one batch, and hands each batch to a sync (see
// package sources), which does the writes through the engine.
package watch

import (
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Batcher gathers changed paths into batches. A batch is due once no
// change came for Quiet (a save, a `git checkout` of a thousand files and
// an editor's write-rename dance each end), or once its first change is
// MaxDelay old while changes keep coming, so a steady stream is still
// indexed. It holds no clock: callers pass the time, so it is tested with
// made-up times.
type Batcher struct {
	Quiet, MaxDelay time.Duration
	paths           map[string]bool
	first, last     time.Time
}

// Add records a change to path at now.
func (b *Batcher) Add(path string, now time.Time) {
	if b.paths == nil {
		b.paths = map[string]bool{}
	}
	if len(b.paths) == 0 {
		b.first = now
	}
	b.paths[path] = true
	b.last = now
}

// Pending reports whether changes are waiting.
func (b *Batcher) Pending() bool { return len(b.paths) > 0 }

// Wait returns how long from now until the waiting changes are due (0 if
// they are), or -1 when none are waiting.
func (b *Batcher) Wait(now time.Time) time.Duration {
	if len(b.paths) == 0 {
		return -1
	}
	due := b.last.Add(b.Quiet)
	if capped := b.first.Add(b.MaxDelay); capped.Before(due) {
		due = capped
	}
	return max(due.Sub(now), 0)
}

// Take returns the waiting changes, sorted, if they are due at now, and
// starts a new batch; otherwise nil.
func (b *Batcher) Take(now time.Time) []string {
	if len(b.paths) == 0 || b.Wait(now) > 0 {
		return nil
	}
	out := make([]string, 0, len(b.paths))
	for p := range b.paths {
		out = append(out, p)
	}
	slices.Sort(out)
	clear(b.paths)
	return out
}

// Ignored reports whether a change to the file named name is an editor's
// or a download's scratch file, never an article: hidden files (which the
// loader skips too), backups ("x~", "#x#"), swap and lock files (".swp",
// ".swx", "~$x.docx", ".~lock.x#"), Vim's write test "4913", and partial
// downloads and writes (".tmp", ".part", ".crdownload", ".partial").
func Ignored(name string) bool {
	base := filepath.Base(name)
	switch {
	case base == "4913", strings.HasPrefix(base, "."), strings.HasPrefix(base, "~$"),
		strings.HasSuffix(base, "~"), strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#"):
		return true
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".swp", ".swx", ".swo", ".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".lock":
		return true
	}
	return false
}
