package bm25

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	bolterrors "go.etcd.io/bbolt/errors"
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
	if o.K1 < 0 || o.B < 0 || o.B > 1 {
		return o, fmt.Errorf("bm25 parameters out of range: k1=%g (want >= 0), b=%g (want 0..1)", o.K1, o.B)
	}
	return o, nil
}

// layout is what an index records about how it was built: everything that
// changes what is stored, as opposed to how it is scored.
type layout struct {
	Format   int    `json:"format"`
	Analyzer string `json:"analyzer"`
}

// layoutFormat is bumped whenever the stored documents change shape.
const layoutFormat = 1

func (o Options) layout() layout {
	return layout{Format: layoutFormat, Analyzer: o.Analyzer}
}

// Bleve field names and internal keys.
const (
	fieldText  = "text" // passage: analysed title and text, not stored
	fieldDoc   = "doc"  // passage: the document id, one keyword term
	fieldKind  = "kind" // document record: the keyword kindRecord
	fieldRec   = "rec"  // document record: stored JSON (see record)
	kindRecord = "doc"

	keyLayout = "semsearch.bm25.layout"
	keyStats  = "semsearch.bm25.stats"
)

// Index is a persistent BM25 index of passages. It is safe for concurrent
// use: searches run on a consistent snapshot and never wait for writers,
// while writers are serialised.
type Index struct {
	dir string
	opt Options
	an  analysis.Analyzer
	cfg map[string]any // bleve's, to reopen it

	// mu guards closed and bix against Close and reopening: every method
	// holds it for reading while it uses bix.
	mu     sync.RWMutex
	closed bool
	bix    bleve.Index
	// broken says bix failed a write or panicked, and must be opened again
	// from its files before its next use (see failure.go).
	broken atomic.Bool

	// wmu serialises Replace and Delete, which read the current state to
	// compute the next one.
	wmu sync.Mutex
}

// Open opens the index in dir, creating it (and dir) when dir holds no index
// yet. An existing index must have been built with the same analyzer, or
// Open fails with [ErrOptionsMismatch]. The caller must
// [Index.Close] it. Only one writable Index may have dir open at a time:
// another writable Open of it, in this process or another, fails after a
// second. Read-only Indexes share dir with each other but not with a
// writer: a read-only Open fails at once with [ErrLocked] while a writer
// holds it, and a writer waits up to a second for readers to close.
func Open(dir string, opt Options) (*Index, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	an, err := newAnalyzer(opt.Analyzer)
	if err != nil {
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, err)
	}
	ix := &Index{dir: dir, opt: opt, an: an}

	// Without a timeout, bleve waits forever for the lock on root.bolt
	// that another process (or another Open) holds.
	cfg := map[string]any{"bolt_timeout": lockTimeout.String()}
	if opt.ReadOnly {
		cfg["read_only"] = true
	}
	ix.cfg = cfg
	exists, err := indexExists(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("open bm25 index %s: %w: %w", dir, ErrDamaged, err)
	case exists && heldByWriter(dir, opt.ReadOnly, lockTimeout):
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, ErrLocked)
	case exists:
		if err := verifyFiles(dir); err != nil {
			return nil, fmt.Errorf("open bm25 index %s: %w: %w", dir, ErrDamaged, err)
		}
		ix.bix, err = openBleve(dir, cfg)
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open bm25 index %s: %w", dir, ErrLocked)
		}
		if err != nil {
			return nil, fmt.Errorf("open bm25 index %s: %w: %w", dir, ErrDamaged, err)
		}
	case opt.ReadOnly:
		return nil, fmt.Errorf("open bm25 index %s: %w", dir, ErrMissing)
	default:
		ix.bix, err = bleve.NewUsing(dir, newMapping(), scorch.Name, bleve.Config.DefaultKVStore, cfg)
		if err != nil {
			return nil, fmt.Errorf("create bm25 index %s: %w", dir, err)
		}
	}
	if err := ix.checkLayout(); err != nil {
		_ = ix.bix.Close()
		return nil, err
	}
	return ix, nil
}

// indexExists reports whether dir holds an index. A directory that holds
// files but no index metadata, or a file where the directory should be, is
// damage, not absence.
func indexExists(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("%s is not a directory", dir)
	}
	_, err = os.Stat(filepath.Join(dir, "index_meta.json"))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("it holds %d entries but no index_meta.json", len(entries))
	}
	return false, nil
}

// openBleve opens an existing bleve index, turning a panic inside bleve on
// damaged files into an error.
func openBleve(dir string, cfg map[string]any) (bix bleve.Index, err error) {
	defer func() {
		if r := recover(); r != nil {
			bix, err = nil, fmt.Errorf("bleve failed reading it: %v", r)
		}
	}()
	return bleve.OpenUsing(dir, cfg)
}

// newMapping returns the bleve mapping of a new index. Documents are built
// field by field (see [Index.Replace]) and indexed with IndexAdvanced, so the
// mapping only switches off dynamic fields and the _all field. Its "bm25"
// scoring model applies to bleve's own searches, which this package does not
// use for ranking.
func newMapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultMapping.Dynamic = false
	m.DefaultMapping.Enabled = true
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	m.ScoringModel = index.BM25Scoring
	return m
}

// checkLayout compares the layout recorded in the index with the one
// asked for, recording it in an index that has none yet and is empty.
func (ix *Index) checkLayout() error {
	want := ix.opt.layout()
	r, err := ix.reader()
	if err != nil {
		return fmt.Errorf("open bm25 index %s: %w: %w", ix.dir, ErrDamaged, err)
	}
	raw, err := r.GetInternal([]byte(keyLayout))
	var n uint64
	if err == nil {
		n, err = r.DocCount()
	}
	_ = r.Close()
	if err != nil {
		return fmt.Errorf("open bm25 index %s: %w: read layout: %w", ix.dir, ErrDamaged, err)
	}
	if raw == nil {
		if ix.opt.ReadOnly {
			if n > 0 {
				return fmt.Errorf("open bm25 index %s: %w: it has documents but no recorded options", ix.dir, ErrDamaged)
			}
			return nil // an empty index, never written to
		}
		if n > 0 {
			return fmt.Errorf("open bm25 index %s: %w: it has documents but no recorded options (not made by this package?); delete the directory and rebuild the index", ix.dir, ErrOptionsMismatch)
		}
		b, err := json.Marshal(want)
		if err != nil {
			return fmt.Errorf("open bm25 index %s: %w", ix.dir, err)
		}
		if err := ix.bix.SetInternal([]byte(keyLayout), b); err != nil {
			return fmt.Errorf("open bm25 index %s: record layout: %w", ix.dir, err)
		}
		return nil
	}
	var got layout
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("open bm25 index %s: %w: recorded layout: %w", ix.dir, ErrDamaged, err)
	}
	if got != want {
		return fmt.Errorf("open bm25 index %s: %w: it was built with analyzer %q (format %d), not %q (format %d); delete the directory and rebuild the index",
			ix.dir, ErrOptionsMismatch, got.Analyzer, got.Format, want.Analyzer, want.Format)
	}
	return nil
}

// reader opens a snapshot of the index. The caller must close it.
func (ix *Index) reader() (index.IndexReader, error) {
	adv, err := ix.bix.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// acquire holds ix open until the returned release is called, first
// opening it again from its files when a failed write left it broken.
func (ix *Index) acquire() (release func(), err error) {
	for {
		ix.mu.RLock()
		if ix.closed {
			ix.mu.RUnlock()
			return nil, ErrClosed
		}
		if !ix.broken.Load() {
			return ix.mu.RUnlock, nil
		}
		ix.mu.RUnlock()
		if err := ix.reopen(); err != nil {
			return nil, err
		}
	}
}

// Count returns how many documents (hash records) and passages the index
// holds.
func (ix *Index) Count() (docs, passages int, err error) {
	defer ix.recoverBleve("count", &err)
	release, err := ix.acquire()
	if err != nil {
		return 0, 0, fmt.Errorf("count bm25 index: %w", err)
	}
	defer release()
	r, err := ix.reader()
	if err != nil {
		return 0, 0, fmt.Errorf("count bm25 index: %w", err)
	}
	defer r.Close()
	nd, np, err := counts(context.Background(), r)
	if err != nil {
		return 0, 0, fmt.Errorf("count bm25 index: %w", err)
	}
	return int(nd), int(np), nil
}

// counts returns the number of document records and of passages in r.
func counts(ctx context.Context, r index.IndexReader) (docs, passages uint64, err error) {
	total, err := r.DocCount()
	if err != nil {
		return 0, 0, err
	}
	tfr, err := r.TermFieldReader(ctx, []byte(kindRecord), fieldKind, false, false, false)
	if err != nil {
		return 0, 0, err
	}
	docs = tfr.Count()
	if err := tfr.Close(); err != nil {
		return 0, 0, err
	}
	if docs > total { // cannot happen; guards the subtraction
		return 0, 0, fmt.Errorf("%d document records but %d documents in all", docs, total)
	}
	return docs, total - docs, nil
}

// Close closes the index. It waits for running calls to finish; later
// calls fail with [ErrClosed]. Closing twice is not an error.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	if ix.bix == nil {
		return nil // broken, and reopening it failed
	}
	// A broken index's memory is what failed (see failure.go); its files
	// hold every batch that succeeded, so failing to close it loses nothing.
	if err := closeBleve(ix.bix); err != nil && !ix.broken.Load() {
		return fmt.Errorf("close bm25 index %s: %w", ix.dir, err)
	}
	return nil
}
