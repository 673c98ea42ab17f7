package bm25

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
)

// ErrOptionsMismatch reports an index built with other [Options] than the
// ones it is opened with. Such an index must be deleted and rebuilt.
var ErrOptionsMismatch = errors.New("bm25 index options differ")

// ErrLocked reports an index that another process (or another Open) holds.
var ErrLocked = errors.New("bm25 index is in use by another process")

// ErrMissing reports an index opened read-only (see [Options.ReadOnly])
// that does not exist.
var ErrMissing = errors.New("bm25 index missing")

// ErrDamaged reports an index whose files cannot be read: truncated,
// overwritten or partly deleted. It must be deleted and rebuilt; it holds
// nothing that is not also in the vector store.
var ErrDamaged = errors.New("bm25 index damaged")

// ErrClosed reports a call on a closed [Index].
var ErrClosed = errors.New("bm25 index closed")

// lockTimeout is how long Open waits for another holder of the index to
// let go of it.
const lockTimeout = time.Second

// Default BM25 parameters: Pyserini's and Anserini's defaults.
const (
	DefaultK1 = 0.9
	DefaultB  = 0.4
)

// Options configures an [Index]. The zero value is valid.
type Options struct {
	// Analyzer names the text analysis used for passages and queries:
	// [AnalyzerEnglish] (the default), [AnalyzerStandard] or
	// [AnalyzerSimple]. It is recorded in the index; opening the index
	// with another analyzer fails with [ErrOptionsMismatch].
	Analyzer string
	// K1 is BM25's term-frequency saturation, >= 0. Zero means [DefaultK1].
	// It only affects scoring, so it is not recorded and may change between
	// opens.
	K1 float64
	// B is BM25's length normalisation, in [0, 1]. Zero means [DefaultB]
	// (for no length normalisation at all pass a tiny value such as 1e-9).
	// Like K1 it is not recorded.
	B float64
	// Logger receives what the index does on its own and cannot return as
	// an error: a new generation that could not be written (its batches
	// stay in the log). Nil discards it.
	Logger *slog.Logger
	// ReadOnly opens an existing index for searching only, with a shared
	// lock instead of the write lock and without writing anything, so that a read-only copy
	// of an index (a backup, a read-only volume) can be searched. A missing
	// index is then [ErrMissing] instead of being created. Writes fail.
	ReadOnly bool
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Analyzer == "" {
		o.Analyzer = AnalyzerEnglish
	}
	if o.K1 == 0 {
		o.K1 = DefaultK1
	}
	if o.B == 0 {
		o.B = DefaultB
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.K1 < 0 || o.B < 0 || o.B > 1 {
		return o, fmt.Errorf("bm25 parameters out of range: k1=%g (want >= 0), b=%g (want 0..1)", o.K1, o.B)
	}
	return o, nil
}

// Index is a persistent BM25 index of passages. It is safe for concurrent
// use: searches share a consistent state, and wait for a writer only while
// it applies a batch already on disk to memory; writers are serialised.
type Index struct {
	dir  string
	opt  Options
	an   analysis.Analyzer
	lock *os.File // holds LOCK; nil for an unlocked read-only copy

	// mu guards closed and st: searches hold it for reading, a writer
	// for writing while it changes st.
	mu     sync.RWMutex
	closed bool
	st     *state
	// broken says a write failed part way: the memory and the log's end
	// are not to be trusted, and the index is read again from its files
	// before its next use (see failure.go).
	broken atomic.Bool

	// wmu serialises writers, and guards what only writers use.
	wmu     sync.Mutex
	cur     current
	log     *os.File // the current generation's log; nil when read-only
	logSize int64    // of its whole records
	segSize int64
	// compactMin is the package's compactMin but in crash tests.
	compactMin int64
	// compactAt is the log size at which the next compaction is tried:
	// raised when one fails (a full disk), so that every write does not
	// try again.
	compactAt int64
	buf       []byte // a batch's record, reused
}

// Open opens the index in dir, creating it (and dir) when dir holds no index
// yet. An existing index must have been built with the same analyzer, or
// Open fails with [ErrOptionsMismatch]. The caller must
// [Index.Close] it. Only one writable Index may have dir open at a time:
// another writable Open of it, in this process or another, fails after a
// second. Read-only Indexes share dir with each other but not with a
// writer: a read-only Open fails at once with [ErrLocked] while a writer
// holds it, and a writer waits up to a second for readers to close.
//
// An index in format 1 (a bleve index, which semsearch kept before its own
// format) is [ErrDamaged]: the engine rebuilds it from the stored passages.
func Open(dir string, opt Options) (*Index, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	an, err := newAnalyzer(opt.Analyzer)
	if err != nil {
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	ix := &Index{dir: dir, opt: opt, an: an, compactMin: compactMin}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && opt.ReadOnly:
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, ErrMissing)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create bm25 index %s: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("open bm25 index %s: %w: it is not a directory", dir, ErrDamaged)
	case legacyIndex(dir):
		return nil, fmt.Errorf("open bm25 index %s: %w: it is in BM25 index format 1 (a bleve index, written by an older semsearch), which is rebuilt rather than read", dir, ErrDamaged)
	}
	if ix.lock, err = lockIndex(dir, opt.ReadOnly, lockTimeout); err != nil {
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	if err := ix.load(); err != nil {
		ix.unlock()
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	return ix, nil
}

// generation is one generation of the index as read from its files.
type generation struct {
	cur              current
	st               *state
	log              *os.File // a writer's, open for appending; nil when read-only
	logSize, segSize int64
}

// load reads the current generation from the files, creating an empty
// index when dir holds none and ix is writable, and installs it. The
// caller holds the lock and, once ix is in use, wmu and mu.
func (ix *Index) load() error {
	cur, ok, err := readCurrent(ix.dir)
	if errors.Is(err, errNewer) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	var g generation
	switch {
	case !ok && holdsData(ix.dir):
		return fmt.Errorf("%w: it holds a segment or log but no %s", ErrDamaged, currentFile)
	case !ok && ix.opt.ReadOnly:
		return ErrMissing
	case !ok:
		g, err = ix.create()
	case cur.analyzer != ix.opt.Analyzer:
		return fmt.Errorf("%w: it was built with analyzer %q, not %q; delete the directory and rebuild the index",
			ErrOptionsMismatch, cur.analyzer, ix.opt.Analyzer)
	default:
		g, err = ix.readGeneration(cur)
	}
	if err != nil {
		return err
	}
	if !ix.opt.ReadOnly {
		stray, err := strayFiles(ix.dir, g.cur.gen)
		if err != nil {
			g.release()
			return err
		}
		for _, p := range stray {
			os.Remove(p)
		}
	}
	ix.install(g)
	return nil
}

// readGeneration reads generation cur: its segment mapped, its log
// replayed, and a writer's log left open with what a crash cut short
// dropped (it was never acknowledged), so that the next record follows the
// last whole one.
func (ix *Index) readGeneration(cur current) (generation, error) {
	g := generation{cur: cur}
	var seg *segment
	if cur.hasSegment {
		path := segPath(ix.dir, cur.gen)
		data, err := readSegmentFile(path)
		if err != nil {
			return g, fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		if seg, err = parseSegment(data); err != nil {
			releaseSegmentFile(data)
			return g, fmt.Errorf("%w: %s: %w", ErrDamaged, filepath.Base(path), err)
		}
		g.segSize = int64(len(data))
	}
	g.st = newState(seg)
	path := logPath(ix.dir, cur.gen)
	flag := os.O_RDWR
	if ix.opt.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(f)
	}
	if err == nil {
		g.logSize, err = replayLog(data, g.st)
		if err != nil && !errors.Is(err, errNewer) {
			err = fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
	}
	if err == nil && !ix.opt.ReadOnly && g.logSize < int64(len(data)) {
		if err = f.Truncate(g.logSize); err != nil {
			err = fmt.Errorf("drop the log's torn end: %w", err)
		}
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		g.st.release()
		if errors.Is(err, errNewer) {
			return g, err
		}
		return g, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if ix.opt.ReadOnly {
		f.Close()
	} else {
		g.log = f
	}
	return g, nil
}

// release gives up what g holds, for a generation not installed.
func (g generation) release() {
	g.st.release()
	if g.log != nil {
		g.log.Close()
	}
}

// install makes g the index's generation and releases the one before: no
// search holds it, as the caller holds mu or ix is not in use yet.
func (ix *Index) install(g generation) {
	if ix.st != nil {
		ix.st.release()
	}
	if ix.log != nil {
		ix.log.Close()
	}
	ix.cur, ix.st, ix.log, ix.logSize, ix.segSize, ix.compactAt = g.cur, g.st, g.log, g.logSize, g.segSize, 0
}

// create writes an empty index, generation 1 without a segment, and
// reads it.
func (ix *Index) create() (generation, error) {
	cur := current{gen: 1, analyzer: ix.opt.Analyzer}
	if err := writeFileSync(logPath(ix.dir, cur.gen), logHeader()); err != nil {
		return generation{}, fmt.Errorf("create log: %w", err)
	}
	if err := writeCurrent(ix.dir, cur); err != nil {
		return generation{}, fmt.Errorf("create %s: %w", currentFile, err)
	}
	if err := syncDir(ix.dir); err != nil {
		return generation{}, fmt.Errorf("create %s: %w", currentFile, err)
	}
	return ix.readGeneration(cur)
}

func (ix *Index) unlock() {
	if ix.log != nil {
		ix.log.Close()
		ix.log = nil
	}
	if ix.lock != nil {
		ix.lock.Close() // releases the flock
		ix.lock = nil
	}
}

// read calls fn with the index's state under the read lock, first reading
// the index again from its files when a failed write left it broken.
func (ix *Index) read(fn func(*state) error) error {
	for {
		ix.mu.RLock()
		if ix.closed {
			ix.mu.RUnlock()
			return ErrClosed
		}
		if !ix.broken.Load() {
			defer ix.mu.RUnlock()
			return fn(ix.st)
		}
		ix.mu.RUnlock()
		if err := ix.reopen(); err != nil {
			return err
		}
	}
}

// Count returns how many documents (hash records) and passages the index
// holds.
func (ix *Index) Count() (docs, passages int, err error) {
	err = ix.read(func(st *state) error {
		docs, passages = st.liveDocs, st.livePassages
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count bm25 index: %w", err)
	}
	return docs, passages, nil
}

// Close closes the index, first writing a new segment when the log holds
// a fair share of it (so that the next open reads a segment rather than
// replaying batches). It waits for running calls to finish; later calls
// fail with [ErrClosed]. Closing twice is not an error.
func (ix *Index) Close() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	if ix.log != nil && !ix.broken.Load() && ix.logSize > logHeaderSize && ix.logSize*8 >= ix.segSize {
		// A failure loses nothing: the log holds every batch.
		if err := ix.compact(false); err != nil {
			ix.opt.Logger.Warn("BM25 index: a new generation could not be written at close; the batches stay in its log",
				"dir", ix.dir, "log_bytes", ix.logSize, "error", err)
		}
	}
	if ix.st != nil {
		ix.st.release()
		ix.st = nil
	}
	ix.unlock()
	return nil
}
