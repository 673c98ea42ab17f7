// Package embedded is the embedded vectorstore.Store: the passage
// vectors are held in memory in an arena of its own, and each collection is
// persisted as a snapshot plus an append-only change log. chromem-go plays
// no part in storing or querying (its query and persistence were measured
// too slow for this; see docs/decisions/0001-chromem-go-role.md): it reads
// the oldest snapshots (versions 1 and 2, which embedded its export), and
// package transfer uses it to exchange collections with Go programs.
//
// Writes cost the change, not the collection: [Store.Put] and [Store.Delete]
// append one checksummed record to the collection's log, and [Store.Flush]
// syncs the logs, with concurrent Flush calls sharing one fsync (group
// commit). When a log grows past a fraction of its snapshot, a background
// compaction writes a new snapshot and starts the log afresh. Opening a
// collection reads its snapshot (vectors as raw float32, read in one go) and
// replays the log; a torn last record is dropped, so after a crash at any
// byte each document is either its old or its new version.
//
// A collection is loaded on its first use, under a lock of its own (the
// others go on meanwhile), listed without being loaded (from its snapshot's
// summary and its log's counts), and closed after [Options.IdleClose]
// unused; see lifecycle.go.
//
// Queries scan the vectors laid out contiguously in the arena (one float32
// copy in memory): an int8 copy is scanned first on all cores and the best few hundred candidates are ranked
// again in float32; filters restrict the scan itself.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Options configure [Open].
type Options struct {
	// ReadOnly opens without taking the data directory's write lock, so that
	// searches work while another process (e.g. `semsearch serve`) indexes.
	// Writes on a read-only store fail.
	ReadOnly bool
	Logger   *slog.Logger
	// Command says what this process runs (e.g. "semsearch serve"); a
	// writer records it with its pid in the lock file, so that another
	// writer's error can name it ([LockedError]). "" means the program's
	// name.
	Command string
	// CompactFraction starts a background compaction when a collection's
	// change log grows past this fraction of its snapshot (and past
	// CompactMinBytes). Zero means 0.25.
	CompactFraction float64
	// CompactMinBytes is the log size below which no compaction starts.
	// Zero means 4 MiB; negative means never compact (tests).
	CompactMinBytes int64
	// IdleClose closes a collection not used for this long, releasing its
	// memory; its next use opens it again. Zero means never.
	IdleClose time.Duration
}

// Store is the embedded vectorstore.Store. It is safe for
// concurrent use: queries run in parallel, writes are serialised, and a
// document's passages change under one lock so readers never see half of it.
type Store struct {
	dir      string
	readOnly bool
	lockFile *os.File
	logger   *slog.Logger

	compactFraction float64
	compactMin      int64
	bg              sync.WaitGroup // background compactions

	// Collection lifecycle (see lifecycle.go): the lifecycle locks, what
	// listing read of collections not loaded, and the idle closer.
	lifeMu sync.Mutex
	life   map[string]*lifeLock
	listMu sync.Mutex
	listed map[string]listEntry
	stop   chan struct{} // closed by Close: ends the idle closer
	closer sync.WaitGroup

	// mu guards cols and the loaded collections' contents; it is never
	// held while a collection loads.
	mu   sync.RWMutex
	cols map[string]*collection // loaded collections

	loads          atomic.Int64                           // collections loaded (tests)
	testHookLoad   func(ctx context.Context, name string) // called as a load starts (tests)
	testHookVerify func()                                 // called as a background verification starts (tests)
}

// collection is the catalog of one collection: documents, with their passage
// spans, beside the arena that holds the vectors.
type collection struct {
	info vectorstore.Collection
	docs map[string]*docEntry
	// sortedIDs is docs' ids in order, kept for Documents' pages (an
	// export or a paging client asks for hundreds); nil once the set of
	// ids has changed. Written under s.mu by writers, and by readers,
	// which all store the same list.
	sortedIDs atomic.Pointer[[]string]
	arena     arena
	passages  int

	// Persistence. The store's mu guards these, except synced, which
	// syncMu guards; syncMu is taken before mu.
	log        *logFile // nil when read-only
	gen        uint64   // generation of the snapshot loaded or last written
	logFrom    uint64   // the snapshot's LogFrom (see catalog)
	snapBytes  int64
	appended   int64 // bytes ever appended to the log (all generations)
	compacting bool
	// sources are what the collection was indexed from (see
	// [Store.RecordSources]), replaced whole, never changed in place.
	sources *vectorstore.Sources
	syncMu  sync.Mutex
	synced  int64 // appended, as of the last sync

	snapVersion int          // of the snapshot it was loaded from; a writer rewrites an older one
	used        atomic.Int64 // when last used, Unix nanoseconds
	// Where the log ended when a read-only store replayed it, for listing
	// the collection once it is closed (a writer's log says it itself).
	logGen uint64
	logEnd int64
}

type docEntry struct {
	Doc      vectorstore.Document
	Passages []vectorstore.Passage // without Text and Vector: derivable from Doc.Text and the arena
	Vectored []bool                // whether passage i has a vector in the arena (zero vectors are not stored)
	slots    []int32               // passage i's arena slot, -1 without a vector
}

// newCollection returns an empty in-memory collection described by info.
func newCollection(info vectorstore.Collection) *collection {
	return &collection{info: info, docs: map[string]*docEntry{}, arena: arena{dims: info.Settings.Dimensions}}
}

// Open opens (creating if needed) the store in dir. Unless opts.ReadOnly, it
// takes an exclusive lock on the directory, and fails with a
// [LockedError] (vectorstore.ErrLocked) when another process holds it.
func Open(dir string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, readOnly: opts.ReadOnly, logger: logger, cols: map[string]*collection{},
		life: map[string]*lifeLock{}, listed: map[string]listEntry{}, stop: make(chan struct{}),
		compactFraction: opts.CompactFraction, compactMin: opts.CompactMinBytes}
	if s.compactFraction <= 0 {
		s.compactFraction = 0.25
	}
	if s.compactMin == 0 {
		s.compactMin = 4 << 20
	}
	if opts.ReadOnly {
		if _, err := os.Stat(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open data directory: %w", err)
		}
		s.startIdleClose(opts.IdleClose)
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h, _ := ReadLockHolder(dir)
			return nil, &LockedError{Dir: dir, Holder: h}
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := writeHolder(f, opts.Command); err != nil {
		// Only another process's error message loses by this.
		logger.Warn("record this process in the lock file", "error", err)
	}
	s.lockFile = f
	if err := s.removeLeftovers(); err != nil {
		s.Close()
		return nil, err
	}
	s.startIdleClose(opts.IdleClose)
	return s, nil
}

func (s *Store) startIdleClose(idle time.Duration) {
	if idle > 0 {
		s.closer.Go(func() { s.closeIdleLoop(idle, s.stop) })
	}
}

func (s *Store) path(name string) string {
	return filepath.Join(s.dir, name+fileExt)
}

func (s *Store) walPath(name string) string {
	return filepath.Join(s.dir, name+walExt)
}

func (s *Store) writable() error {
	if s.readOnly {
		return errors.New("store is open read-only")
	}
	return nil
}

// CreateCollection implements vectorstore.Store.
func (s *Store) CreateCollection(ctx context.Context, name string, set vectorstore.Settings) (vectorstore.Collection, error) {
	if err := s.writable(); err != nil {
		return vectorstore.Collection{}, err
	}
	if !vectorstore.ValidName(name) {
		return vectorstore.Collection{}, fmt.Errorf("invalid collection name %q: use 1-64 letters, digits, '_', '.', '-'", name)
	}
	release, err := s.lockCollection(ctx, name)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	defer release()
	c, err := s.loadLocked(ctx, name)
	if err == nil {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return c.snapshotInfo(), nil
	}
	if !errors.Is(err, vectorstore.ErrNotFound) {
		return vectorstore.Collection{}, err
	}
	if err := ctx.Err(); err != nil {
		return vectorstore.Collection{}, fmt.Errorf("create collection %q: %w", name, err)
	}
	now := time.Now().UTC()
	c = newCollection(vectorstore.Collection{Name: name, Settings: set, Created: now, Updated: now})
	// The empty snapshot first, then the log: a crash in between leaves a
	// collection whose log open creates.
	c.gen = 1
	tmp, size, err := s.writeSnapshot(c.snapshotInfo(), nil, nil, &arena{dims: set.Dimensions}, c.gen, 0)
	if err == nil {
		err = os.Rename(tmp, s.path(name))
	}
	if err == nil {
		c.snapBytes = size
		c.log, err = createLog(s.walPath(name), c.gen)
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		if c.log != nil {
			c.log.f.Close()
		}
		return vectorstore.Collection{}, fmt.Errorf("create collection %q: %w", name, err)
	}
	c.touch(time.Now())
	s.mu.Lock()
	s.cols[name] = c
	s.mu.Unlock()
	return c.info, nil
}

// Collection implements vectorstore.Store.
func (s *Store) Collection(ctx context.Context, name string) (vectorstore.Collection, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	defer unlock()
	return c.snapshotInfo(), nil
}

func (c *collection) snapshotInfo() vectorstore.Collection {
	info := c.info
	info.Documents = len(c.docs)
	info.Passages = c.passages
	return info
}

// Collections implements vectorstore.Store. A collection that is not
// loaded is listed from its snapshot's summary and its log's last record
// (see lifecycle.go), not loaded.
func (s *Store) Collections(ctx context.Context) ([]vectorstore.Collection, error) {
	names := map[string]bool{}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list data directory: %w", err)
	}
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), fileExt); ok && vectorstore.ValidName(n) {
			names[n] = true
		}
	}
	s.mu.RLock()
	for n := range s.cols {
		names[n] = true
	}
	s.mu.RUnlock()
	out := make([]vectorstore.Collection, 0, len(names))
	for n := range names {
		var info vectorstore.Collection
		var err error
		s.mu.RLock()
		c := s.cols[n]
		if c != nil {
			info = c.snapshotInfo()
		}
		s.mu.RUnlock()
		if c == nil {
			info, err = s.listInfo(ctx, n)
		}
		if errors.Is(err, vectorstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteCollection implements vectorstore.Store.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	if err := s.writable(); err != nil {
		return err
	}
	if !vectorstore.ValidName(name) {
		return fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	release, err := s.lockCollection(ctx, name)
	if err != nil {
		return err
	}
	defer release()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cols[name]; c != nil {
		delete(s.cols, name)
		if c.log != nil {
			c.log.f.Close()
			c.log = nil
		}
	} else if _, err := os.Stat(s.path(name)); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	s.forgetListed(name)
	// The snapshot first: a log without a snapshot is no collection.
	for _, p := range []string{s.path(name), s.walPath(name)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete collection %q: %w", name, err)
		}
	}
	return syncDir(s.dir)
}

// ReplaceCollection implements vectorstore.Store. It writes a snapshot of
// from under name, one generation past both, whose LogFrom makes name's old
// log stale, renames it over name's snapshot (the switch), starts name's new
// log, and then removes from's files. A crash before the rename leaves name
// as it was; after it, name is from's contents (its old log is dropped on
// open), and from may remain, to be deleted.
func (s *Store) ReplaceCollection(ctx context.Context, name, from string) error {
	if err := s.writable(); err != nil {
		return err
	}
	if name == from {
		return fmt.Errorf("replace collection %q with itself", name)
	}
	if !vectorstore.ValidName(name) {
		return fmt.Errorf("invalid collection name %q: use 1-64 letters, digits, '_', '.', '-'", name)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("replace collection %q: %w", name, err)
	}
	release, err := s.lockCollections(ctx, name, from)
	if err != nil {
		return err
	}
	defer release()
	if _, err := s.loadLocked(ctx, from); err != nil {
		return err
	}
	// Of the collection replaced, only its generation matters: a target
	// that is not loaded is not loaded for it.
	dst := s.loadedCollection(name)
	var dstGen uint64
	if dst != nil {
		dstGen = dst.gen
	} else if dstGen, err = s.snapshotGen(name); err != nil {
		return fmt.Errorf("replace collection %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.cols[from]
	s.forgetListed(name)
	s.forgetListed(from)
	gen := max(src.gen, dstGen) + 1
	info := src.snapshotInfo()
	info.Name = name
	docs := slices.Collect(maps.Values(src.docs))
	sources := src.sources // a rebuild copies them to its staging collection
	tmp, size, err := s.writeSnapshot(info, sources, docs, &src.arena, gen, gen)
	if err != nil {
		return fmt.Errorf("replace collection %q: %w", name, err)
	}
	if err := os.Rename(tmp, s.path(name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace collection %q: %w", name, err)
	}
	// Switched: from here name is from's contents on disk. Until the new
	// log exists, opening drops the old one (gen < LogFrom).
	if dst != nil && dst.log != nil {
		dst.log.f.Close()
		dst.log = nil
	}
	if src.log != nil {
		src.log.f.Close()
		src.log = nil
	}
	delete(s.cols, from)
	delete(s.cols, name)
	l, err := createLog(s.walPath(name), gen)
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		if l != nil {
			l.f.Close()
		}
		return fmt.Errorf("replace collection %q: start its change log: %w", name, err)
	}
	src.info.Name = name
	src.sources = sources
	src.gen, src.logFrom, src.snapBytes, src.log = gen, gen, size, l
	src.synced = src.appended
	src.touch(time.Now())
	s.cols[name] = src
	// The snapshot first: a log without a snapshot is no collection.
	for _, p := range []string{s.path(from), s.walPath(from)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replace collection %q: remove %q: %w", name, from, err)
		}
	}
	return syncDir(s.dir)
}

func passageID(docID string, chunk int) string {
	return docID + "\x00" + strconv.Itoa(chunk)
}

// Put implements vectorstore.Store.
func (s *Store) Put(ctx context.Context, name string, doc vectorstore.Document, passages []vectorstore.Passage) error {
	if err := s.writable(); err != nil {
		return err
	}
	if doc.ID == "" {
		return errors.New("put document: empty id")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put document %q: %w", doc.ID, err)
	}
	c, unlock, err := s.use(ctx, name, true)
	if err != nil {
		return err
	}
	defer unlock()
	// Validate everything before changing anything, so a bad passage leaves
	// the old version of the document in place.
	dims := c.info.Settings.Dimensions
	if dims == 0 {
		dims = c.arena.dims
	}
	entry := &docEntry{Passages: make([]vectorstore.Passage, len(passages)), Vectored: make([]bool, len(passages))}
	vecs := make([][]float32, len(passages))
	var stored [][]float32 // the vectors of Vectored passages, in order
	for i, p := range passages {
		if err := vectorstore.CheckPassage(doc, i, p, name, dims); err != nil {
			return err
		}
		norm, _ := sqNorm(p.Vector) // CheckPassage refused NaN and Inf
		meta := p
		meta.Text, meta.Vector = "", nil
		meta.Chunk = i
		entry.Passages[i] = meta
		if norm == 0 {
			continue // a zero vector is similar to nothing, and has no direction to scan
		}
		if dims == 0 {
			dims = len(p.Vector)
		}
		entry.Vectored[i] = true
		vecs[i] = unit(p.Vector, norm)
		stored = append(stored, vecs[i])
	}
	doc.Meta = maps.Clone(doc.Meta)
	doc.Passages = len(passages)
	if doc.Indexed.IsZero() {
		doc.Indexed = time.Now().UTC()
	}
	entry.Doc = doc
	updated := time.Now().UTC()
	after := counts{Counted: true, Documents: len(c.docs) + 1, Passages: c.passages + len(passages)}
	if old, ok := c.docs[doc.ID]; ok {
		after.Documents--
		after.Passages -= len(old.Passages)
	}
	rec := recordPut(putRecord{Entry: entry, Updated: updated, Counts: after}, stored)
	if err := s.append(name, c, rec); err != nil {
		return fmt.Errorf("put document %q: %w", doc.ID, err)
	}
	c.applyPut(entry, vecs)
	c.info.Updated = updated
	return nil
}

// unit returns v scaled to unit length, so that dot products are cosines.
// A vector within 1e-6 of unit length is returned as it is. norm is v's
// squared norm. The result may alias v.
func unit(v []float32, norm float64) []float32 {
	if math.Abs(math.Sqrt(norm)-1) < 1e-6 {
		return v
	}
	out := make([]float32, len(v))
	inv := 1 / math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// append writes a change record to the collection's log. Callers hold s.mu.
// It starts a background compaction when the log has grown large enough.
func (s *Store) append(name string, c *collection, rec []byte) error {
	if c.log == nil {
		return errors.New("collection has no change log")
	}
	if err := c.log.append(rec); err != nil {
		return fmt.Errorf("append to change log: %w", err)
	}
	c.appended += int64(len(rec))
	if s.compactMin > 0 && !c.compacting {
		logBytes := c.log.size - int64(walHeader)
		if logBytes > s.compactMin && float64(logBytes) > s.compactFraction*float64(c.snapBytes) {
			c.compacting = true
			s.bg.Go(func() {
				if err := s.compact(name, c); err != nil {
					s.logger.Error("compaction failed; the change log keeps growing", "collection", name, "err", err)
				}
			})
		}
	}
	return nil
}

// applyPut replaces a document in memory. vecs[i] is passage i's unit
// vector, nil for a passage without one; it is copied.
func (c *collection) applyPut(e *docEntry, vecs [][]float32) {
	id := e.Doc.ID
	if old, ok := c.docs[id]; ok {
		c.remove(old)
	} else {
		c.sortedIDs.Store(nil)
	}
	e.slots = make([]int32, len(e.Passages))
	for i, v := range vecs {
		e.slots[i] = -1
		if v == nil {
			continue
		}
		e.slots[i] = c.arena.alloc(v, e, i)
	}
	c.docs[id] = e
	c.passages += len(e.Passages)
}

// remove drops a document's passages from memory.
func (c *collection) remove(e *docEntry) {
	for _, slot := range e.slots {
		if slot >= 0 {
			c.arena.release(slot)
		}
	}
	delete(c.docs, e.Doc.ID)
	c.passages -= len(e.Passages)
}

// applyDelete removes documents in memory and returns how many it removed.
func (c *collection) applyDelete(ids []string) int {
	n := 0
	for _, id := range ids {
		if e, ok := c.docs[id]; ok {
			c.remove(e)
			c.sortedIDs.Store(nil)
			n++
		}
	}
	return n
}

// sqNorm returns the squared L2 norm and false if v holds NaN or Inf.
func sqNorm(v []float32) (float64, bool) {
	var sum float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, false
		}
		sum += float64(x) * float64(x)
	}
	return sum, true
}

// Delete implements vectorstore.Store.
func (s *Store) Delete(ctx context.Context, name string, ids ...string) (int, error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	c, unlock, err := s.use(ctx, name, true)
	if err != nil {
		return 0, err
	}
	defer unlock()
	var gone []string
	after := counts{Counted: true, Documents: len(c.docs), Passages: c.passages}
	for _, id := range ids {
		if e, ok := c.docs[id]; ok && !slices.Contains(gone, id) {
			gone = append(gone, id)
			after.Documents--
			after.Passages -= len(e.Passages)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	updated := time.Now().UTC()
	rec, err := record(opDelete, deleteRecord{IDs: gone, Updated: updated, Counts: after}, nil)
	if err != nil {
		return 0, fmt.Errorf("delete documents: encode log record: %w", err)
	}
	if err := s.append(name, c, rec); err != nil {
		return 0, fmt.Errorf("delete documents: %w", err)
	}
	n := c.applyDelete(gone)
	c.info.Updated = updated
	return n, nil
}

// Document implements vectorstore.Store.
func (s *Store) Document(ctx context.Context, name, id string) (vectorstore.Document, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return vectorstore.Document{}, err
	}
	defer unlock()
	e, ok := c.docs[id]
	if !ok {
		return vectorstore.Document{}, fmt.Errorf("document %q in collection %q: %w", id, name, vectorstore.ErrNotFound)
	}
	d := e.Doc
	d.Meta = maps.Clone(d.Meta)
	return d, nil
}

// Documents implements vectorstore.Store.
func (s *Store) Documents(ctx context.Context, name string, offset, limit int) ([]vectorstore.Document, int, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	ids := c.idsInOrder()
	total := len(ids)
	if offset < 0 {
		offset = 0
	}
	if offset > total {
		offset = total
	}
	ids = ids[offset:]
	if limit > 0 && limit < len(ids) {
		ids = ids[:limit]
	}
	out := make([]vectorstore.Document, len(ids))
	for i, id := range ids {
		d := c.docs[id].Doc
		d.Text = ""
		d.Meta = maps.Clone(d.Meta)
		out[i] = d
	}
	return out, total, nil
}

// idsInOrder returns the collection's document ids, sorted. The slice is
// shared: callers must not change it. The caller holds s.mu.
func (c *collection) idsInOrder() []string {
	if p := c.sortedIDs.Load(); p != nil {
		return *p
	}
	ids := make([]string, 0, len(c.docs))
	for id := range c.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	c.sortedIDs.Store(&ids)
	return ids
}

// Hashes implements vectorstore.Store.
func (s *Store) Hashes(ctx context.Context, name string) (map[string]string, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[string]string, len(c.docs))
	for id, e := range c.docs {
		out[id] = e.Doc.Hash
	}
	return out, nil
}

// Query implements vectorstore.Store by scanning the collection's arena
// (see [collection.search]): exact for small collections, an int8 pass and a
// float32 rescoring of the best candidates for large ones. A filter is
// applied during the scan, so the top k are the best k that match.
func (s *Store) Query(ctx context.Context, name string, v []float32, k int, f vectorstore.Filter) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, fmt.Errorf("query: k must be positive, got %d", k)
	}
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if dims := max(c.info.Settings.Dimensions, c.arena.dims); dims > 0 && len(v) != dims {
		return nil, fmt.Errorf("query: vector has %d dimensions, collection %q has %d", len(v), name, dims)
	}
	norm, ok := sqNorm(v)
	if !ok || norm == 0 {
		return nil, nil // a query with no known words is similar to nothing
	}
	v = unit(v, norm) // scores are cosines whatever the query's length
	res, err := c.search(ctx, v, k, f)
	if err != nil {
		return nil, fmt.Errorf("query collection %q: %w", name, err)
	}
	hits := make([]vectorstore.Hit, len(res))
	for i, r := range res {
		e, chunk := c.arena.owner[r.slot], c.arena.chunk[r.slot]
		p := e.Passages[chunk]
		p.Text = e.Doc.Text[p.Start:p.End]
		hits[i] = e.hit(p)
		// Both vectors are unit length, so the dot product is the cosine,
		// give or take float32 rounding.
		hits[i].Score = min(max(r.score, -1), 1)
	}
	return hits, nil
}

// hit makes a Hit of one of e's passages, with the document fields a
// citation needs.
func (e *docEntry) hit(p vectorstore.Passage) vectorstore.Hit {
	h := vectorstore.Hit{
		DocID:     e.Doc.ID,
		Title:     e.Doc.Title,
		Source:    e.Doc.Source,
		Author:    e.Doc.Author,
		URL:       e.Doc.URL,
		Published: e.Doc.Published,
		Meta:      maps.Clone(e.Doc.Meta),
		Passage:   p,
	}
	h.Locate(&e.Doc)
	return h
}

// FilterDocs implements vectorstore.Store.
func (s *Store) FilterDocs(ctx context.Context, name string, f vectorstore.Filter) ([]string, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	match := docFilter(f)
	var ids []string
	for id, e := range c.docs {
		if match(e) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Lookup implements vectorstore.Store.
func (s *Store) Lookup(ctx context.Context, name string, keys []vectorstore.PassageKey) ([]vectorstore.Hit, error) {
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	hits := make([]vectorstore.Hit, 0, len(keys))
	for _, k := range keys {
		e, ok := c.docs[k.DocID]
		if !ok || k.Chunk < 0 || k.Chunk >= len(e.Passages) {
			continue
		}
		p := e.Passages[k.Chunk]
		p.Text = e.Doc.Text[p.Start:p.End]
		if slot := e.slots[k.Chunk]; slot >= 0 {
			p.Vector = slices.Clone(c.arena.vec(slot))
		}
		hits = append(hits, e.hit(p))
	}
	return hits, nil
}

// docFilter is the filter's predicate on catalog entries.
func docFilter(f vectorstore.Filter) func(*docEntry) bool {
	m := f.Matcher()
	return func(e *docEntry) bool { return m(&e.Doc) }
}

// Close implements vectorstore.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.mu.Unlock()
	s.closer.Wait()
	var err error
	if !s.readOnly {
		s.bg.Wait()
		err = s.Flush(context.Background())
		s.mu.Lock()
		for _, c := range s.cols {
			if c.log != nil {
				c.log.f.Close()
				c.log = nil
			}
		}
		s.mu.Unlock()
	}
	if s.lockFile != nil {
		_ = s.lockFile.Truncate(0) // no holder any more
		_ = syscall.Flock(int(s.lockFile.Fd()), syscall.LOCK_UN)
		if cerr := s.lockFile.Close(); err == nil {
			err = cerr
		}
		s.lockFile = nil
	}
	return err
}

var _ vectorstore.Store = (*Store)(nil)
