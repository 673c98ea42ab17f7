package embedded

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
)

// Flush implements vectorstore.Store: it syncs the change log of every
// collection written to since its last sync. Concurrent calls share the
// work (group commit): a call that finds a sync under way waits for it and
// returns at once if that sync covered its changes, so N writers flushing
// together cost about one or two fsyncs, not N.
func (s *Store) Flush(ctx context.Context) error {
	if err := s.writable(); err != nil {
		return err
	}
	s.mu.RLock()
	type pending struct {
		name   string
		c      *collection
		target int64
	}
	var todo []pending
	for name, c := range s.cols {
		if c.log != nil {
			todo = append(todo, pending{name, c, c.appended})
		}
	}
	s.mu.RUnlock()
	for _, p := range todo {
		if err := s.sync(ctx, p.name, p.c, p.target); err != nil {
			return err
		}
	}
	return nil
}

// sync makes c's log durable at least up to target bytes appended.
func (s *Store) sync(ctx context.Context, name string, c *collection, target int64) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if c.synced >= target {
		return nil // a sync that started after our append covered it
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sync change log of %q: %w", name, err)
	}
	s.mu.RLock()
	l, end := c.log, c.appended
	s.mu.RUnlock()
	if l == nil {
		return nil // closed or deleted meanwhile
	}
	if err := l.f.Sync(); err != nil {
		s.mu.RLock()
		gone := s.cols[name] != c || c.log != l
		s.mu.RUnlock()
		if gone {
			return nil
		}
		return fmt.Errorf("sync change log of %q: %w", name, err)
	}
	c.synced = end
	return nil
}

// compact writes a new snapshot of c and restarts its log with the records
// appended while the snapshot was written. Readers and writers go on while
// the snapshot is written: slots freed meanwhile are not reused, so the
// snapshot reads the vectors of its catalog unchanged. The caller has set
// c.compacting.
func (s *Store) compact(name string, c *collection) (err error) {
	s.mu.Lock()
	docs := slices.Collect(maps.Values(c.docs))
	info, sources := c.snapshotInfo(), c.sources
	// The block lists as they are now: blocks appended later are not the
	// snapshot's, and the blocks themselves never move.
	view := &arena{dims: c.arena.dims, f32: slices.Clone(c.arena.f32), i8: slices.Clone(c.arena.i8), sign: slices.Clone(c.arena.sign),
		scale: c.arena.scale, mapped: c.arena.mapped}
	c.arena.noReuse = true
	var from int64
	if c.log != nil {
		from = c.log.size
	}
	gen := c.gen + 1 // a writer's log is never newer than its snapshot (replay refuses that)
	logFrom := c.logFrom
	s.mu.Unlock()

	// A snapshot whose vectors are still being verified is not copied
	// before they are: a damaged one would be written into a file with
	// good checksums, and the old file (the evidence) replaced.
	var tmp string
	var size int64
	werr := view.mapped.wait()
	if werr == nil {
		tmp, size, werr = s.writeSnapshot(info, sources, docs, view, gen, logFrom)
	} else {
		werr = fmt.Errorf("compact collection %q: %w", name, werr)
	}

	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	c.compacting = false
	c.arena.reuse()
	if werr != nil {
		return werr
	}
	if s.cols[name] != c || c.log == nil { // deleted or closed meanwhile
		os.Remove(tmp)
		return nil
	}
	if err := os.Rename(tmp, s.path(name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact collection %q: %w", name, err)
	}
	c.gen, c.snapBytes = gen, size
	// The new snapshot is in place; the old log still replays correctly
	// over it, so from here a failure only leaves the log long.
	old := c.log
	tail := make([]byte, old.size-from)
	if _, err := old.f.ReadAt(tail, from); err != nil {
		return fmt.Errorf("compact collection %q: read log tail: %w", name, err)
	}
	f, err := os.CreateTemp(s.dir, name+".wal.*.tmp")
	if err != nil {
		return fmt.Errorf("compact collection %q: %w", name, err)
	}
	l := &logFile{f: f, gen: gen}
	err = l.writeHeader()
	if err == nil {
		err = l.append(tail)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(f.Name(), s.walPath(name))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("compact collection %q: restart log: %w", name, err)
	}
	old.f.Close()
	c.log = l
	c.synced = c.appended // the new log was synced whole
	s.logger.Debug("collection compacted", "collection", name, "documents", len(docs), "snapshot_bytes", size, "log_tail_bytes", len(tail))
	return nil
}
