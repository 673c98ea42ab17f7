// Package chromemstore is the embedded vectorstore.Store: chromem-go holds the
// passage vectors in memory and answers similarity queries; each collection is
// persisted as one snapshot file that is replaced atomically.
//
// Why one snapshot per collection rather than chromem-go's file-per-document
// persistence (NewPersistentDB): with a file per passage, opening a store
// reads tens of thousands of small files, replacing an article deletes and
// writes one file per passage, and a crash in between leaves an article with
// some old and some new passages on disk. A snapshot written to a temporary
// file, synced and renamed over the old one is either the old state or the new
// one. BenchmarkPersistence in this package measures both approaches, and
// TestCrashMidWrite shows what a crash part way through leaves with each.
package chromemstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/philippgille/chromem-go"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Options configure [Open].
type Options struct {
	// ReadOnly opens without taking the data directory's write lock, so that
	// searches work while another process (e.g. `semsearch serve`) indexes.
	// Writes on a read-only store fail.
	ReadOnly bool
	Logger   *slog.Logger
}

// Store is a vectorstore.Store backed by chromem-go. It is safe for
// concurrent use: queries run in parallel, writes are serialised, and a
// document's passages change under one lock so readers never see half of it.
type Store struct {
	dir      string
	readOnly bool
	lockFile *os.File
	logger   *slog.Logger

	mu   sync.RWMutex
	db   *chromem.DB
	cols map[string]*collection // loaded collections
}

// collection is the catalog of one collection: documents, with their passage
// spans, beside the chromem collection that holds the vectors.
type collection struct {
	info     vectorstore.Collection
	docs     map[string]*docEntry
	vectors  *chromem.Collection
	passages int
	// version counts changes; flushed is the version last written to disk.
	version, flushed uint64
}

type docEntry struct {
	Doc      vectorstore.Document
	Passages []vectorstore.Passage // without Text and Vector: derivable from Doc.Text and the chromem documents
	Vectored []bool                // whether passage i has a vector in chromem (zero vectors are not stored)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can be used as a collection name: 1-64
// letters, digits, '_', '.', '-', starting with a letter or digit. Names map
// directly to file names.
func ValidName(name string) bool { return validName.MatchString(name) }

// Open opens (creating if needed) the store in dir. Unless opts.ReadOnly, it
// takes an exclusive lock on the directory, and fails with
// vectorstore.ErrLocked when another process holds it.
func Open(dir string, opts Options) (*Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, readOnly: opts.ReadOnly, logger: logger, db: chromem.NewDB(), cols: map[string]*collection{}}
	if opts.ReadOnly {
		if _, err := os.Stat(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open data directory: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w (stop the other process, e.g. `semsearch serve`, or use another --data directory)", dir, vectorstore.ErrLocked)
		}
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	s.lockFile = f
	return s, nil
}

func (s *Store) path(name string) string {
	return filepath.Join(s.dir, name+fileExt)
}

// get returns the loaded collection, loading it from disk on first use.
// Callers hold s.mu (read or write); loading needs the write lock, so get
// with a read lock may return errNeedLoad.
func (s *Store) get(name string) (*collection, error) {
	if c, ok := s.cols[name]; ok {
		return c, nil
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	c, err := s.load(name)
	if err != nil {
		return nil, err
	}
	s.cols[name] = c
	return c, nil
}

// collection returns the named collection for reading. It takes the write
// lock only the first time, to load it.
func (s *Store) readCollection(name string) (*collection, func(), error) {
	s.mu.RLock()
	if c, ok := s.cols[name]; ok {
		return c, s.mu.RUnlock, nil
	}
	s.mu.RUnlock()
	s.mu.Lock()
	if _, err := s.get(name); err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	s.mu.Unlock()
	s.mu.RLock()
	c, ok := s.cols[name]
	if !ok { // deleted in between
		s.mu.RUnlock()
		return nil, nil, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	return c, s.mu.RUnlock, nil
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
	if !ValidName(name) {
		return vectorstore.Collection{}, fmt.Errorf("invalid collection name %q: use 1-64 letters, digits, '_', '.', '-'", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.get(name)
	if err == nil {
		return c.snapshotInfo(), nil
	}
	if !errors.Is(err, vectorstore.ErrNotFound) {
		return vectorstore.Collection{}, err
	}
	vecs, err := s.db.CreateCollection(name, nil, noEmbedding)
	if err != nil {
		return vectorstore.Collection{}, fmt.Errorf("create collection %q: %w", name, err)
	}
	now := time.Now().UTC()
	c = &collection{
		info:    vectorstore.Collection{Name: name, Settings: set, Created: now, Updated: now},
		docs:    map[string]*docEntry{},
		vectors: vecs,
		version: 1,
	}
	s.cols[name] = c
	return c.info, nil
}

// noEmbedding is given to chromem so that it never falls back to its default
// (OpenAI) embedding function: every vector here comes from the engine.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("chromemstore: vectors must be supplied by the caller")
}

// Collection implements vectorstore.Store.
func (s *Store) Collection(ctx context.Context, name string) (vectorstore.Collection, error) {
	c, unlock, err := s.readCollection(name)
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

// Collections implements vectorstore.Store.
func (s *Store) Collections(ctx context.Context) ([]vectorstore.Collection, error) {
	names := map[string]bool{}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list data directory: %w", err)
	}
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), fileExt); ok && ValidName(n) {
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
		info, err := s.Collection(ctx, n)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(name); err != nil {
		return err
	}
	if err := s.db.DeleteCollection(name); err != nil {
		return fmt.Errorf("delete collection %q: %w", name, err)
	}
	delete(s.cols, name)
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete collection %q: %w", name, err)
	}
	return nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.get(name)
	if err != nil {
		return err
	}
	// Validate everything before changing anything, so a bad passage leaves
	// the old version of the document in place.
	dims := c.info.Settings.Dimensions
	add := make([]chromem.Document, 0, len(passages))
	entry := &docEntry{Passages: make([]vectorstore.Passage, len(passages)), Vectored: make([]bool, len(passages))}
	for i, p := range passages {
		if p.Start < 0 || p.End > len(doc.Text) || p.Start > p.End {
			return fmt.Errorf("put document %q: passage %d range [%d,%d) outside text of %d bytes", doc.ID, i, p.Start, p.End, len(doc.Text))
		}
		if dims > 0 && len(p.Vector) != dims {
			return fmt.Errorf("put document %q: passage %d has %d dimensions, collection %q has %d", doc.ID, i, len(p.Vector), name, dims)
		}
		norm, ok := sqNorm(p.Vector)
		if !ok {
			return fmt.Errorf("put document %q: passage %d vector has NaN or Inf", doc.ID, i)
		}
		meta := p
		meta.Text, meta.Vector = "", nil
		meta.Chunk = i
		entry.Passages[i] = meta
		if norm == 0 {
			continue // a zero vector is similar to nothing; chromem would turn it into NaNs
		}
		entry.Vectored[i] = true
		add = append(add, chromem.Document{
			ID:        passageID(doc.ID, i),
			Metadata:  map[string]string{"doc_id": doc.ID, "chunk": strconv.Itoa(i)},
			Embedding: slices.Clone(p.Vector), // chromem keeps unit vectors as given; the caller may reuse its buffer
			// No Content: the text is the document's Text[Start:End], kept
			// once in the catalog rather than twice in every snapshot.
		})
	}
	// From here on the change is all in memory and must not stop half way:
	// chromem's AddDocuments quietly skips documents once its context is
	// canceled, which would store a document without some of its vectors.
	ctx = context.WithoutCancel(ctx)
	if old, ok := c.docs[doc.ID]; ok {
		if err := c.removeVectors(ctx, doc.ID, old); err != nil {
			return err
		}
		c.passages -= len(old.Passages)
	}
	for _, a := range add {
		if err := c.vectors.AddDocument(ctx, a); err != nil {
			// AddDocument only fails on the checks made above; undo any
			// partial add so the collection does not hold a half document.
			_ = c.removeVectors(ctx, doc.ID, entry)
			delete(c.docs, doc.ID)
			c.version++
			return fmt.Errorf("put document %q: %w", doc.ID, err)
		}
	}
	doc.Meta = maps.Clone(doc.Meta)
	doc.Passages = len(passages)
	if doc.Indexed.IsZero() {
		doc.Indexed = time.Now().UTC()
	}
	entry.Doc = doc
	c.docs[doc.ID] = entry
	c.passages += len(passages)
	c.info.Updated = time.Now().UTC()
	c.version++
	return nil
}

func (c *collection) removeVectors(ctx context.Context, docID string, e *docEntry) error {
	ids := make([]string, 0, len(e.Passages))
	for i, v := range e.Vectored {
		if v {
			ids = append(ids, passageID(docID, i))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := c.vectors.Delete(ctx, nil, nil, ids...); err != nil {
		return fmt.Errorf("remove passages of %q: %w", docID, err)
	}
	return nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.get(name)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		e, ok := c.docs[id]
		if !ok {
			continue
		}
		if err := c.removeVectors(ctx, id, e); err != nil {
			return n, err
		}
		delete(c.docs, id)
		c.passages -= len(e.Passages)
		c.version++
		n++
	}
	if n > 0 {
		c.info.Updated = time.Now().UTC()
	}
	return n, nil
}

// Document implements vectorstore.Store.
func (s *Store) Document(ctx context.Context, name, id string) (vectorstore.Document, error) {
	c, unlock, err := s.readCollection(name)
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
	c, unlock, err := s.readCollection(name)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	ids := make([]string, 0, len(c.docs))
	for id := range c.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
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

// Hashes implements vectorstore.Store.
func (s *Store) Hashes(ctx context.Context, name string) (map[string]string, error) {
	c, unlock, err := s.readCollection(name)
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

// Query implements vectorstore.Store. chromem-go compares the query with
// every passage (exact search); with a filter, it ranks all passages and the
// filter keeps the best k that match, so a filter never empties the top k.
func (s *Store) Query(ctx context.Context, name string, v []float32, k int, f vectorstore.Filter) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, fmt.Errorf("query: k must be positive, got %d", k)
	}
	c, unlock, err := s.readCollection(name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if dims := c.info.Settings.Dimensions; dims > 0 && len(v) != dims {
		return nil, fmt.Errorf("query: vector has %d dimensions, collection %q has %d", len(v), name, dims)
	}
	if norm, ok := sqNorm(v); !ok || norm == 0 {
		return nil, nil // a query with no known words is similar to nothing
	}
	count := c.vectors.Count()
	if count == 0 {
		return nil, nil
	}
	n := k
	match := func(*docEntry) bool { return true }
	if !f.Empty() {
		n = count
		match = docFilter(f)
	}
	n = min(n, count)
	res, err := c.vectors.QueryEmbedding(ctx, v, n, nil, nil)
	if err == nil {
		// chromem stops scoring when ctx is canceled but reports no error,
		// returning a partial ranking.
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("query collection %q: %w", name, err)
	}
	hits := make([]vectorstore.Hit, 0, min(k, len(res)))
	for _, r := range res {
		e, ok := c.docs[r.Metadata["doc_id"]]
		if !ok || !match(e) {
			continue
		}
		i, _ := strconv.Atoi(r.Metadata["chunk"])
		if i < 0 || i >= len(e.Passages) {
			continue
		}
		p := e.Passages[i]
		p.Text = e.Doc.Text[p.Start:p.End]
		h := e.hit(p)
		// Both vectors are unit length, so the dot product chromem returns
		// is the cosine, give or take float32 rounding.
		h.Score = min(max(r.Similarity, -1), 1)
		hits = append(hits, h)
		if len(hits) == k {
			break
		}
	}
	return hits, nil
}

// hit makes a Hit of one of e's passages, with the document fields a
// citation needs.
func (e *docEntry) hit(p vectorstore.Passage) vectorstore.Hit {
	return vectorstore.Hit{
		DocID:     e.Doc.ID,
		Title:     e.Doc.Title,
		Source:    e.Doc.Source,
		Author:    e.Doc.Author,
		URL:       e.Doc.URL,
		Published: e.Doc.Published,
		Meta:      maps.Clone(e.Doc.Meta),
		Passage:   p,
	}
}

// FilterDocs implements vectorstore.Store.
func (s *Store) FilterDocs(ctx context.Context, name string, f vectorstore.Filter) ([]string, error) {
	c, unlock, err := s.readCollection(name)
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
	c, unlock, err := s.readCollection(name)
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
		if e.Vectored[k.Chunk] {
			d, err := c.vectors.GetByID(ctx, passageID(k.DocID, k.Chunk))
			if err != nil {
				return nil, fmt.Errorf("lookup %s#%d: %w", k.DocID, k.Chunk, err)
			}
			p.Vector = d.Embedding // GetByID returns a copy
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
	var err error
	if !s.readOnly {
		err = s.Flush(context.Background())
	}
	if s.lockFile != nil {
		_ = syscall.Flock(int(s.lockFile.Fd()), syscall.LOCK_UN)
		if cerr := s.lockFile.Close(); err == nil {
			err = cerr
		}
		s.lockFile = nil
	}
	return err
}

var _ vectorstore.Store = (*Store)(nil)
