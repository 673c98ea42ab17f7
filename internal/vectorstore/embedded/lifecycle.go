package embedded

import (
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// The lifecycle of a collection: loading, listing and closing.
//
// Each collection has a lifecycle lock of its own, held while it is loaded,
// created, deleted, replaced or closed; the store-wide mu guards only the
// map of loaded collections and their contents, and is never held across a
// load. So loading a big collection (seconds at a million passages) stalls
// nothing but the callers that need that collection, and they give up when
// their context ends. A load whose context ends stops and keeps nothing.
//
// Listing collections reads each unloaded collection's snapshot summary (a
// few hundred bytes at the head of a snapshot since version 7) and the counts its
// log's last record carries, remembering how far it read, so it loads no
// catalog and no vector. A collection of an older snapshot version has no
// summary: listing loads it once (a writer then rewrites it in the current version),
// and what it held when it is closed is remembered.
//
// With [Options.IdleClose], a collection not used for that long is closed:
// its log is synced and closed and its memory released; its next use loads
// it again. Every change was appended to the log before it was applied, and
// every user of a collection holds mu while it uses it, so closing (under
// mu) waits for writes and queries in flight and loses nothing.

// lifeLock is a collection's lifecycle lock: a channel holding a token while
// locked, so that waiting for it can end with a context.
type lifeLock struct {
	ch   chan struct{}
	refs int // holders and waiters; lifeMu guards it
}

// lockCollection takes name's lifecycle lock, waiting at most until ctx ends.
func (s *Store) lockCollection(ctx context.Context, name string) (func(), error) {
	l := s.lifeLock(name)
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; s.dropLifeLock(name, l) }, nil
	case <-ctx.Done():
		s.dropLifeLock(name, l)
		return nil, fmt.Errorf("open collection %q: %w", name, ctx.Err())
	}
}

// tryLockCollection takes name's lifecycle lock if it is free.
func (s *Store) tryLockCollection(name string) (func(), bool) {
	l := s.lifeLock(name)
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; s.dropLifeLock(name, l) }, true
	default:
		s.dropLifeLock(name, l)
		return nil, false
	}
}

func (s *Store) lifeLock(name string) *lifeLock {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	l := s.life[name]
	if l == nil {
		l = &lifeLock{ch: make(chan struct{}, 1)}
		s.life[name] = l
	}
	l.refs++
	return l
}

func (s *Store) dropLifeLock(name string, l *lifeLock) {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(s.life, name)
	}
}

// lockCollections takes the lifecycle locks of two collections, in name
// order so that two callers cannot each hold one and wait for the other.
func (s *Store) lockCollections(ctx context.Context, a, b string) (func(), error) {
	if b < a {
		a, b = b, a
	}
	ua, err := s.lockCollection(ctx, a)
	if err != nil {
		return nil, err
	}
	ub, err := s.lockCollection(ctx, b)
	if err != nil {
		ua()
		return nil, err
	}
	return func() { ub(); ua() }, nil
}

// loadedCollection returns name's collection if it is loaded, else nil.
func (s *Store) loadedCollection(name string) *collection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cols[name]
}

// loadLocked returns name's collection, loading it first if need be. The
// caller holds name's lifecycle lock.
func (s *Store) loadLocked(ctx context.Context, name string) (*collection, error) {
	if c := s.loadedCollection(name); c != nil {
		if err := c.arena.mapped.failed(); err != nil {
			return nil, err // damaged: see use
		}
		return c, nil
	}
	if !vectorstore.ValidName(name) {
		return nil, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	c, err := s.load(ctx, name)
	if err != nil {
		return nil, err
	}
	c.touch(time.Now())
	s.mu.Lock()
	s.cols[name] = c
	if c.snapVersion < snapshotVersion(magic) && !s.readOnly && s.compactMin > 0 && !c.compacting {
		// Rewrite it in the current version once: before version 7
		// listing had to load it (no summary), and before version 10 every
		// open decoded its catalog by gob and checked every vector first.
		// Versions 7 to 9 list well, so only a process that keeps the
		// collection a while (serve, watch, mcp) rewrites them: a short
		// command (delete, eval) would wait for the rewrite as it closes.
		c.compacting = true
		delay := time.Duration(0)
		if c.snapVersion >= summaryVersion {
			delay = olderSnapshotRewriteDelay
		}
		s.bg.Go(func() {
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-s.stop:
					s.mu.Lock()
					c.compacting = false
					s.mu.Unlock()
					return
				}
			}
			if err := s.compact(name, c); err != nil {
				s.logger.Warn("rewriting an older snapshot in the current version failed; it is still read as it is, more slowly, until a compaction succeeds: check the data directory's free space and permissions", "collection", name, "error", err)
			}
		})
	}
	s.mu.Unlock()
	return c, nil
}

// olderSnapshotRewriteDelay is how long a collection of snapshot version 7
// to 9 stays loaded in a writer before it is rewritten in the current
// version.
const olderSnapshotRewriteDelay = time.Minute

// use returns name's collection, loading it first if need be, with mu held
// for reading (for writing when write is set) until the returned function
// is called.
func (s *Store) use(ctx context.Context, name string, write bool) (*collection, func(), error) {
	lock, unlock := s.mu.RLock, s.mu.RUnlock
	if write {
		lock, unlock = s.mu.Lock, s.mu.Unlock
	}
	for {
		lock()
		if c, ok := s.cols[name]; ok {
			// A collection whose snapshot's vectors failed their
			// checksum (found after it opened, see [verifySections])
			// is used no more: its queries would be wrong, and its
			// writes could not be compacted.
			if err := c.arena.mapped.failed(); err != nil {
				unlock()
				return nil, nil, err
			}
			c.touch(time.Now())
			return c, unlock, nil
		}
		unlock()
		// Load it, then look again: it may have been deleted or (after
		// a very short IdleClose) closed again meanwhile.
		release, err := s.lockCollection(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		_, err = s.loadLocked(ctx, name)
		release()
		if err != nil {
			return nil, nil, err
		}
	}
}

// touch records that c was used at now.
func (c *collection) touch(now time.Time) {
	c.used.Store(now.UnixNano())
}

func (c *collection) idle(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, c.used.Load()))
}

// closeIdleLoop closes collections unused for idle until stop is closed.
func (s *Store) closeIdleLoop(idle time.Duration, stop <-chan struct{}) {
	// Checking at a tenth of idle closes a collection at most 10% late.
	t := time.NewTicker(max(idle/10, time.Second))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.closeIdle(now, idle)
		}
	}
}

// closeIdle closes the collections not used since now - idle. A collection
// whose lifecycle lock is taken (being loaded, replaced, deleted) or that
// is being compacted is left for the next round.
func (s *Store) closeIdle(now time.Time, idle time.Duration) {
	s.mu.RLock()
	var names []string
	for name, c := range s.cols {
		if c.idle(now) >= idle {
			names = append(names, name)
		}
	}
	s.mu.RUnlock()
	for _, name := range names {
		if release, ok := s.tryLockCollection(name); ok {
			s.closeCollection(name, now, idle)
			release()
		}
	}
}

// closeCollection closes name's collection if it is still idle. The caller
// holds name's lifecycle lock, so nothing loads it meanwhile.
func (s *Store) closeCollection(name string, now time.Time, idle time.Duration) {
	s.mu.Lock()
	c := s.cols[name]
	if c == nil || c.compacting || c.idle(now) < idle {
		s.mu.Unlock()
		return
	}
	// Every user of c holds mu while it does; from here none can find it,
	// and the next one loads it again (waiting for the lifecycle lock).
	delete(s.cols, name)
	info := c.snapshotInfo()
	s.mu.Unlock()

	// A Flush that took c before it went waits for syncMu, then finds its
	// log gone, which is fine: it is synced here first.
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	logGen, logEnd := c.logGen, c.logEnd
	if c.log != nil {
		if c.synced < c.appended {
			if err := c.log.f.Sync(); err != nil {
				// Keep it open, so that Flush reports the failure.
				s.logger.Warn("collection left open: syncing its change log failed", "collection", name, "error", err)
				s.mu.Lock()
				s.cols[name] = c
				s.mu.Unlock()
				return
			}
			c.synced = c.appended
		}
		logGen, logEnd = c.log.gen, c.log.size
		c.log.f.Close()
		c.log = nil
	}
	// Remember what it holds, so that listing it reads no more than the
	// log's new records, even without a snapshot summary.
	if st, err := os.Stat(s.path(name)); err == nil {
		s.listMu.Lock()
		s.listed[name] = listEntry{snapSize: st.Size(), snapMod: st.ModTime(), gen: c.gen, logFrom: c.logFrom,
			logGen: logGen, logEnd: logEnd, info: info}
		s.listMu.Unlock()
	}
	s.logger.Debug("collection closed after idling", "collection", name, "idle", c.idle(now).Round(time.Second), "passages", info.Passages)
}

func (s *Store) forgetListed(name string) {
	s.listMu.Lock()
	delete(s.listed, name)
	s.listMu.Unlock()
}

// listEntry is what listing read of a collection that is not loaded.
type listEntry struct {
	// The snapshot read: its size and time (a new snapshot is a new file)
	// and generation.
	snapSize int64
	snapMod  time.Time
	gen      uint64
	logFrom  uint64
	// base is the snapshot's summary, nil when unknown (a snapshot older
	// than version 7, whose figures come from loading it).
	base *vectorstore.Collection
	// How far the log was read (the end of its last good record) and what
	// the collection held there.
	logGen uint64
	logEnd int64
	info   vectorstore.Collection
}

// errUncounted says a collection's figures cannot be read without loading
// it: its snapshot has no summary or its log records carry no counts.
var errUncounted = errors.New("collection has no summary")

// listInfo returns what a collection that is not loaded holds, reading
// its snapshot's summary and its log's new records; older collections are
// loaded ([errUncounted]).
func (s *Store) listInfo(ctx context.Context, name string) (vectorstore.Collection, error) {
	info, err := s.readListInfo(name)
	if errors.Is(err, errUncounted) {
		return s.Collection(ctx, name)
	}
	return info, err
}

func (s *Store) readListInfo(name string) (vectorstore.Collection, error) {
	s.listMu.Lock()
	defer s.listMu.Unlock()
	path := s.path(name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		delete(s.listed, name)
		return vectorstore.Collection{}, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	if err != nil {
		return vectorstore.Collection{}, fmt.Errorf("open collection %q: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return vectorstore.Collection{}, fmt.Errorf("open collection %q: %w", name, err)
	}
	e, ok := s.listed[name]
	if !ok || e.snapSize != st.Size() || !e.snapMod.Equal(st.ModTime()) {
		sum, gen, err := readSummary(f, st.Size())
		if err != nil {
			return vectorstore.Collection{}, fmt.Errorf("collection %q: %s is unreadable (%w); delete the file and re-index", name, path, err)
		}
		if sum == nil {
			return vectorstore.Collection{}, errUncounted
		}
		if sum.Info.Name != name {
			return vectorstore.Collection{}, fmt.Errorf("collection %q: %s is unreadable (it holds collection %q); delete the file and re-index", name, path, sum.Info.Name)
		}
		e = listEntry{snapSize: st.Size(), snapMod: st.ModTime(), gen: gen, logFrom: sum.LogFrom,
			base: &sum.Info, logGen: gen, logEnd: int64(walHeader), info: sum.Info}
	}
	e, err = s.readLogTail(name, e)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	s.listed[name] = e
	return e.info, nil
}

// snapshotGen returns the generation of name's snapshot as its header
// says, 0 when it has none (versions 1 and 2, no snapshot).
func (s *Store) snapshotGen(name string) (uint64, error) {
	f, err := os.Open(s.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h [len(magic) + 8]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, fmt.Errorf("%s is unreadable (header: %w)", s.path(name), err)
	}
	switch v := snapshotVersion(string(h[:len(magic)])); {
	case v >= 3:
		return binary.LittleEndian.Uint64(h[len(magic):]), nil
	case v >= 1:
		return 0, nil
	}
	return 0, fmt.Errorf("%s is unreadable (header: not a semsearch collection file)", s.path(name))
}

// readSummary reads a snapshot's generation and, for versions 7 to 10, its
// summary; nil for older versions. It checks that the file's size is the
// one its header and vector count make (what a crash or a copy cut short
// would break); the checksum over the whole file is checked when the
// collection is loaded.
func readSummary(f *os.File, size int64) (*summary, uint64, error) {
	var h [len(magic) + 16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return nil, 0, fmt.Errorf("header: %w", err)
	}
	head := string(h[:len(magic)])
	switch v := snapshotVersion(head); {
	case v == 0:
		return nil, 0, errors.New("header: not a semsearch collection file")
	case v < summaryVersion:
		return nil, 0, nil
	}
	gen, catLen := binary.LittleEndian.Uint64(h[len(magic):]), binary.LittleEndian.Uint64(h[len(magic)+8:])
	rest := size - int64(len(h)) - 12 - crcBytes
	if rest < 0 || catLen > uint64(rest) {
		return nil, 0, fmt.Errorf("catalog: %w", io.ErrUnexpectedEOF)
	}
	var vh [12]byte
	if _, err := f.ReadAt(vh[:], int64(len(h))+int64(catLen)); err != nil {
		return nil, 0, fmt.Errorf("vectors: %w", err)
	}
	dims, nvec := uint64(binary.LittleEndian.Uint32(vh[:])), binary.LittleEndian.Uint64(vh[4:])
	want := snapshotSize(catLen, dims, nvec)
	if v := snapshotVersion(head); v >= 9 {
		want = uint64(mappedSize(v, int64(len(h))+int64(catLen), nvec, dims))
	}
	if uint64(size) != want || (nvec > 0 && dims == 0) {
		return nil, 0, fmt.Errorf("vectors: file size does not match %d vectors of %d dimensions", nvec, dims)
	}
	var sum summary
	if err := gob.NewDecoder(io.LimitReader(f, int64(catLen))).Decode(&sum); err != nil {
		return nil, 0, fmt.Errorf("catalog: %w", err)
	}
	return &sum, gen, nil
}

// readLogTail brings e up to the end of name's log: it walks the records
// written since e.logEnd by their lengths and takes the figures of the
// last whole one.
func (s *Store) readLogTail(name string, e listEntry) (listEntry, error) {
	f, err := os.Open(s.walPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return e, nil // nothing logged since the snapshot
	}
	if err != nil {
		return e, fmt.Errorf("open change log of %q: %w", name, err)
	}
	defer f.Close()
	gen, _, err := readLogHeader(f)
	switch {
	case errors.Is(err, errTorn):
		return e, nil
	case err != nil:
		return e, fmt.Errorf("collection %q: %s: %w", name, s.walPath(name), err)
	case gen < e.logFrom || gen > e.gen:
		// The log of a replaced collection (dropped on open), or one
		// restarted after a snapshot newer than the one read (the next
		// listing reads that).
		return e, nil
	case gen != e.logGen:
		if e.base == nil {
			return e, errUncounted
		}
		e.logGen, e.logEnd, e.info = gen, int64(walHeader), *e.base
	}
	st, err := f.Stat()
	if err != nil {
		return e, fmt.Errorf("open change log of %q: %w", name, err)
	}
	var starts []int64 // of the whole records after e.logEnd
	var h [recHeader]byte
	for off := e.logEnd; off+recHeader <= st.Size(); {
		if _, err := f.ReadAt(h[:], off); err != nil {
			return e, fmt.Errorf("read change log of %q: %w", name, err)
		}
		size := int64(binary.LittleEndian.Uint32(h[:]))
		if size < 5 || size > maxRecBytes || off+recHeader+size > st.Size() {
			break // torn, or being written
		}
		starts = append(starts, off)
		off += recHeader + size
	}
	// The last record whose checksum holds (replay stops at a torn one).
	for i := len(starts) - 1; i >= 0; i-- {
		c, end, ok, err := readCounts(f, starts[i])
		if err != nil {
			return e, fmt.Errorf("collection %q: %s: %w", name, s.walPath(name), err)
		}
		if !ok {
			continue
		}
		if !c.Counts.Counted {
			return e, errUncounted
		}
		e.info.Documents, e.info.Passages, e.info.Updated = c.Counts.Documents, c.Counts.Passages, c.updated
		e.logEnd = end
		break
	}
	return e, nil
}

// recordCounts is what listing needs of a log record.
type recordCounts struct {
	Counts  counts
	updated time.Time
}

// readCounts reads the record at off and returns its figures and end, and
// false if its checksum fails.
func readCounts(f *os.File, off int64) (recordCounts, int64, bool, error) {
	var h [recHeader]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return recordCounts{}, 0, false, err
	}
	p := make([]byte, binary.LittleEndian.Uint32(h[:]))
	if _, err := f.ReadAt(p, off+recHeader); err != nil {
		return recordCounts{}, 0, false, err
	}
	if crc32.Checksum(p, crcTable) != binary.LittleEndian.Uint32(h[4:]) {
		return recordCounts{}, 0, false, nil
	}
	end := off + recHeader + int64(len(p))
	var rc recordCounts
	if p[0] != opPut && p[0] != opDelete && p[0] != opSources && p[0] != opSourcesChange && p[0] != opPutDoc {
		return rc, 0, false, fmt.Errorf("unknown log record type %d", p[0])
	}
	if p[0] == opPutDoc {
		head, _, err := splitRecord(p[1:])
		if err != nil {
			return rc, 0, false, err
		}
		rd := &docReader{buf: head}
		rc.updated, rc.Counts = readPutHead(rd)
		if rd.err != nil {
			return rc, 0, false, fmt.Errorf("decode log record: %w", rd.err)
		}
		return rc, end, true, nil
	}
	// Only the fields listing needs are decoded (gob skips the others),
	// not the document.
	var r struct {
		Updated time.Time
		Counts  counts
	}
	if _, err := decodeRecord(p[1:], &r); err != nil {
		return rc, 0, false, err
	}
	rc.Counts, rc.updated = r.Counts, r.Updated
	return rc, end, true, nil
}
