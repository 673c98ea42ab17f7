package weaviatestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Host is one Weaviate node: its HTTP and gRPC addresses ("host:port").
type Host struct {
	HTTP, GRPC string
}

// Options configure a [Store].
type Options struct {
	// Hosts are the nodes the client knows, first preferred. Reads that
	// fail on one node are retried on the next; writes too (they are
	// idempotent: object ids are deterministic).
	Hosts []Host
	// TLS uses https and TLS gRPC.
	TLS bool
	// APIKey, when set, authenticates every request.
	APIKey string
	// Prefix starts every Weaviate collection name this store creates
	// (default "Semsearch"); two stores with different prefixes share a
	// server without seeing each other.
	Prefix string
	// Replication is the replication factor of collections created by this
	// store (default 1). Async replication is switched on, so a node that
	// was down catches up.
	Replication int
	// WriteConsistency is ONE, QUORUM (default) or ALL.
	WriteConsistency string
	// ReadConsistency is ONE (default), QUORUM or ALL.
	ReadConsistency string
	// Timeout bounds each request to a node (default 10s), so a write that
	// cannot reach enough replicas fails within seconds instead of hanging.
	Timeout time.Duration
	// Analyzer and Terms, when set, make BM25 rank what semsearch's own
	// index ranks: each passage also stores Terms(title + "\n" + text) in a
	// whitespace-tokenized property, queries are turned into terms the same
	// way, and BM25 searches that property (Weaviate's own tokenizers do not
	// stem). Analyzer names the analysis and is recorded with collections
	// created; a collection created without it searches text and title with
	// Weaviate's word tokenizer.
	Analyzer string
	Terms    func(text string) ([]string, error)
	Logger   *slog.Logger
}

// Store is a [vectorstore.Store] on a Weaviate node or cluster. It is safe
// for concurrent use.
type Store struct {
	opt   Options
	nodes []*weaviate.Client
	log   *slog.Logger

	mu        sync.Mutex
	preferred int // index of the node that answered last

	epoch   atomic.Uint64 // counts reads of document objects
	gensMu  sync.Mutex
	gens    map[string]map[string]genSeen // collection -> document -> generation seen current
	touched map[string]time.Time          // collection -> when its update time was last recorded

	keysMu sync.Mutex
	keys   map[string]string // collection -> storage name, when it is not its own (see collectionMeta.Storage)
	// factors are the replication factors of Weaviate classes, as read by
	// [Store.replicationFactor].
	factors map[string]int
	http    *http.Client // for the requests the client library cannot make (replicas.go)
}

// genSeen is a document's generation as read once, with the epoch counted
// when the read was done.
type genSeen struct {
	gen int64
	at  uint64
}

// Open connects to the nodes in opt. It does not wait for them: the first
// request reports a node that cannot be reached.
func Open(opt Options) (*Store, error) {
	if len(opt.Hosts) == 0 {
		return nil, errors.New("weaviate: no host given")
	}
	if opt.Prefix == "" {
		opt.Prefix = "Semsearch"
	}
	if !prefixRE.MatchString(opt.Prefix) {
		return nil, fmt.Errorf("weaviate: collection prefix %q must start with an upper-case letter and hold only letters and digits", opt.Prefix)
	}
	if opt.Replication <= 0 {
		opt.Replication = 1
	}
	var err error
	if opt.WriteConsistency, err = consistency(opt.WriteConsistency, "QUORUM"); err != nil {
		return nil, err
	}
	if opt.ReadConsistency, err = consistency(opt.ReadConsistency, "ONE"); err != nil {
		return nil, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{opt: opt, log: log, gens: map[string]map[string]genSeen{}, touched: map[string]time.Time{}, keys: map[string]string{}, factors: map[string]int{},
		http: &http.Client{Timeout: opt.Timeout}}
	scheme := "http"
	if opt.TLS {
		scheme = "https"
	}
	for _, h := range opt.Hosts {
		cfg := weaviate.Config{
			Host:       h.HTTP,
			Scheme:     scheme,
			Timeout:    opt.Timeout + 2*time.Second, // our own per-write deadline fires first and says so
			GrpcConfig: &wgrpc.Config{Host: h.GRPC, Secured: opt.TLS},
		}
		if opt.APIKey != "" {
			// Weaviate takes API keys as bearer tokens; no OIDC discovery needed.
			cfg.Headers = map[string]string{"Authorization": "Bearer " + opt.APIKey}
		}
		c, err := weaviate.NewClient(cfg)
		if err != nil {
			return nil, fmt.Errorf("weaviate client for %s: %w", h.HTTP, err)
		}
		s.nodes = append(s.nodes, c)
	}
	return s, nil
}

var prefixRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,30}$`)

func consistency(v, def string) (string, error) {
	if v == "" {
		return def, nil
	}
	switch u := strings.ToUpper(v); u {
	case "ONE", "QUORUM", "ALL":
		return u, nil
	}
	return "", fmt.Errorf("weaviate: consistency level %q: want ONE, QUORUM or ALL", v)
}

// encodeName turns a collection name into letters, digits and "_": lower
// case letters and digits stay, every other byte becomes "_" and two hex
// digits, so names that differ only in case stay apart.
func encodeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func (s *Store) metaClass() string { return s.opt.Prefix + "Collections" }

// docClass and psgClass name the classes holding a collection's data: those
// of its storage name (see collectionMeta.Storage) as last read by readMeta,
// which every operation calls first.
func (s *Store) docClass(name string) string { return s.storageClass("D_", s.key(name)) }
func (s *Store) psgClass(name string) string { return s.storageClass("P_", s.key(name)) }

func (s *Store) storageClass(kind, storage string) string {
	return s.opt.Prefix + kind + encodeName(storage)
}

// key returns the storage name of collection name: the name its classes
// and object ids are made from.
func (s *Store) key(name string) string {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if k, ok := s.keys[name]; ok {
		return k
	}
	return name
}

func (s *Store) setKey(name, storage string) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if storage == "" {
		delete(s.keys, name)
		return
	}
	s.keys[name] = storage
}

var idSpace = uuid.MustParse("6f2a9d4e-52c1-4b7a-9b0e-3c8e1f5a7d20")

func metaID(prefix, name string) string {
	return uuid.NewSHA1(idSpace, []byte(prefix+"\x00"+name)).String()
}
func docUUID(coll, id string) string { return uuid.NewSHA1(idSpace, []byte(coll+"\x00"+id)).String() }
func passageUUID(coll, id string, gen int64, chunk int) string {
	return uuid.NewSHA1(idSpace, []byte(coll+"\x00"+id+"\x00"+strconv.FormatInt(gen, 10)+"\x00"+strconv.Itoa(chunk))).String()
}

// --- node access with failover ---

// read runs fn on the preferred node, then on the others while it fails and
// ctx is alive. It returns the first error when every node failed.
func (s *Store) read(ctx context.Context, fn func(c *weaviate.Client) error) error {
	return s.onNodes(ctx, fn)
}

// write runs fn like read, with the request timeout as a bound on the
// whole attempt per node, and words a failure so it says what happened.
func (s *Store) write(ctx context.Context, what string, fn func(ctx context.Context, c *weaviate.Client) error) error {
	err := s.onNodes(ctx, func(c *weaviate.Client) error {
		wctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
		defer cancel()
		err := fn(wctx, c)
		if err != nil && ctx.Err() == nil && (wctx.Err() != nil || strings.Contains(err.Error(), "DeadlineExceeded")) {
			// A live node that cannot get enough replicas to answer: another
			// coordinator would wait for the same replicas, so do not retry.
			return rejected{fmt.Errorf("no answer within %s", s.opt.Timeout)}
		}
		return err
	})
	if err == nil || errors.Is(err, vectorstore.ErrNotFound) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%s: Weaviate write at consistency %s failed (fewer than the needed replicas reachable, or the cluster has no leader): %w", what, s.opt.WriteConsistency, err)
}

func (s *Store) onNodes(ctx context.Context, fn func(c *weaviate.Client) error) error {
	s.mu.Lock()
	start := s.preferred
	s.mu.Unlock()
	var first error
	for i := range s.nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := (start + i) % len(s.nodes)
		err := fn(s.nodes[n])
		if err == nil {
			if n != start {
				s.mu.Lock()
				s.preferred = n
				s.mu.Unlock()
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, vectorstore.ErrNotFound) || !retryable(err) {
			return err
		}
		if first == nil {
			first = err
		}
		if len(s.nodes) > 1 {
			s.log.Warn("weaviate node failed; trying the next", "node", s.opt.Hosts[n].HTTP, "err", err)
		}
	}
	return first
}

// retryable reports errors another node may not have: connection failures,
// timeouts, server errors. A request the server rejected (4xx, invalid
// argument) would fail the same everywhere.
func retryable(err error) bool {
	if errors.As(err, new(rejected)) {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"status code: 400", "status code: 401", "status code: 403", "status code: 404", "status code: 422", "InvalidArgument", "invalid argument"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// rejected is an answer in which the server refused the request itself:
// another node would refuse it too.
type rejected struct{ error }

func (r rejected) Unwrap() error { return r.error }

// missingClass reports an error that says a Weaviate collection does not exist.
func missingClass(err error) bool {
	if err == nil {
		return false
	}
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "could not find class") || strings.Contains(m, "class not found") ||
		strings.Contains(m, "no such class") || (strings.Contains(m, "class") && strings.Contains(m, "not found")) ||
		strings.Contains(m, "collection") && strings.Contains(m, "not found") || strings.Contains(m, "does not exist")
}

// search runs a gRPC search on the class with read consistency.
func (s *Store) search(ctx context.Context, build func(q *graphql.Search) *graphql.Search) ([]graphql.SearchResult, error) {
	var out []graphql.SearchResult
	err := s.read(ctx, func(c *weaviate.Client) error {
		q := c.Experimental().Search()
		if s.opt.Replication > 1 {
			q = q.WithConsistencyLevel(s.opt.ReadConsistency)
		}
		res, err := build(q).Do(ctx)
		if err != nil {
			if missingClass(err) {
				return fmt.Errorf("%w: %v", vectorstore.ErrNotFound, err)
			}
			return err
		}
		out = res
		return nil
	})
	return out, err
}

// upsert writes objects in one gRPC batch at write consistency and fails
// when any object failed.
func (s *Store) upsert(ctx context.Context, what string, objs []*models.Object) error {
	for len(objs) > 0 {
		n := min(len(objs), 500)
		batch := objs[:n]
		err := s.write(ctx, what, func(ctx context.Context, c *weaviate.Client) error {
			if err := s.checkReplicas(ctx, c, batch[0].Class); err != nil {
				return err
			}
			res, err := c.Batch().ObjectsBatcher().WithObjects(batch...).WithConsistencyLevel(s.opt.WriteConsistency).Do(ctx)
			if err != nil {
				return err
			}
			for _, r := range res {
				if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
					return errors.New(r.Result.Errors.Error[0].Message)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		objs = objs[n:]
	}
	return nil
}

// deleteWhere deletes the objects of class that match where.
func (s *Store) deleteWhere(ctx context.Context, what, class string, where *filters.WhereBuilder) error {
	return s.write(ctx, what, func(ctx context.Context, c *weaviate.Client) error {
		if err := s.checkReplicas(ctx, c, class); err != nil {
			return err
		}
		for {
			res, err := c.Batch().ObjectsBatchDeleter().WithClassName(class).WithWhere(where).
				WithConsistencyLevel(s.opt.WriteConsistency).WithOutput("minimal").Do(ctx)
			if err != nil {
				if missingClass(err) {
					return vectorstore.ErrNotFound
				}
				return err
			}
			if res.Results == nil {
				return fmt.Errorf("delete from %s: Weaviate answered without results", class)
			}
			if res.Results.Failed > 0 {
				return fmt.Errorf("delete from %s: %d objects failed", class, res.Results.Failed)
			}
			if res.Results.Matches < res.Results.Limit || res.Results.Limit == 0 {
				return nil
			}
		}
	})
}

// --- collections ---

// collectionMeta is the object of the metadata class for one collection.
type collectionMeta struct {
	Name     string               `json:"name"`
	Settings vectorstore.Settings `json:"settings"`
	Analyzer string               `json:"analyzer,omitempty"` // BM25 over the "terms" property, made with this analysis
	Created  time.Time            `json:"created"`
	Updated  time.Time            `json:"updated"`
	// Storage is the name the collection's classes and object ids are made
	// from: "" for its own name, another after [Store.ReplaceCollection]
	// switched it to the classes of the collection it was replaced with.
	Storage string `json:"storage,omitempty"`
	// Retired is the storage name of the contents a switch replaced, whose
	// classes are deleted after it (again on the next switch or delete, if
	// a crash came first).
	Retired string `json:"retired,omitempty"`
}

// storage returns the name the collection's classes are made from.
func (m collectionMeta) storage() string {
	if m.Storage != "" {
		return m.Storage
	}
	return m.Name
}

func boolp(b bool) *bool { return &b }

func textProp(name, tokenization string, searchable, filterable bool) *models.Property {
	return &models.Property{Name: name, DataType: []string{"text"}, Tokenization: tokenization,
		IndexSearchable: boolp(searchable), IndexFilterable: boolp(filterable)}
}

func intProp(name string, filterable bool) *models.Property {
	return &models.Property{Name: name, DataType: []string{"int"}, IndexFilterable: boolp(filterable), IndexSearchable: boolp(false)}
}

func (s *Store) class(name string, props []*models.Property, vectors bool) *models.Class {
	c := &models.Class{
		Class:      name,
		Vectorizer: "none",
		Properties: props,
		ReplicationConfig: &models.ReplicationConfig{
			Factor:       int64(s.opt.Replication),
			AsyncEnabled: s.opt.Replication > 1,
		},
		InvertedIndexConfig: &models.InvertedIndexConfig{
			// The BM25 parameters of semsearch's own index (internal/bm25).
			Bm25:      &models.BM25Config{K1: bm25K1, B: 0.4},
			Stopwords: &models.StopwordConfig{Preset: "en"},
		},
	}
	if s.opt.Terms != nil {
		// The terms are already without stopwords, by our list: Weaviate's
		// longer English list would drop query words the index kept.
		c.InvertedIndexConfig.Stopwords = &models.StopwordConfig{Preset: "none"}
	}
	if vectors {
		c.VectorIndexType = "hnsw"
		c.VectorIndexConfig = map[string]any{"distance": "cosine", "ef": -1, "efConstruction": 128, "maxConnections": 32,
			"dynamicEfMin": 200, "dynamicEfMax": 1000, "dynamicEfFactor": 10}
	} else {
		c.VectorIndexConfig = map[string]any{"skip": true}
	}
	return c
}

// ensureClass creates a Weaviate collection unless it exists.
func (s *Store) ensureClass(ctx context.Context, c *models.Class) error {
	return s.write(ctx, "create collection "+c.Class, func(ctx context.Context, cl *weaviate.Client) error {
		exists, err := cl.Schema().ClassExistenceChecker().WithClassName(c.Class).Do(ctx)
		if err != nil {
			return err
		}
		if exists {
			return nil
		}
		err = cl.Schema().ClassCreator().WithClass(c).Do(ctx)
		if err != nil && strings.Contains(err.Error(), "already exists") {
			return nil
		}
		return err
	})
}

func (s *Store) metaClassDef() *models.Class {
	return s.class(s.metaClass(), []*models.Property{
		textProp("name", "field", false, true),
		textProp("meta_json", "field", false, false),
	}, false)
}

func docProps() []*models.Property {
	return []*models.Property{
		textProp("doc_id", "field", false, true),
		intProp("gen", true),
		textProp("hash", "field", false, false),
		intProp("passages", true), // aggregated (summed) for the collection's passage count
		textProp("doc_json", "field", false, false),
		textProp("text", "field", false, false),
		{Name: "filter_kv", DataType: []string{"text[]"}, Tokenization: "field", IndexFilterable: boolp(true), IndexSearchable: boolp(false)},
		{Name: "published", DataType: []string{"date"}, IndexFilterable: boolp(true), IndexRangeFilters: boolp(false)},
	}
}

func passageProps() []*models.Property {
	return []*models.Property{
		textProp("doc_id", "field", false, true),
		intProp("gen", true),
		intProp("chunk", true),
		intProp("start", false),
		intProp("end", false),
		intProp("line_start", false),
		intProp("line_end", false),
		textProp("text", "word", true, false),
		textProp("title", "word", true, false),
		textProp("terms", "whitespace", true, false),
		{Name: "filter_kv", DataType: []string{"text[]"}, Tokenization: "field", IndexFilterable: boolp(true), IndexSearchable: boolp(false)},
		{Name: "published", DataType: []string{"date"}, IndexFilterable: boolp(true), IndexRangeFilters: boolp(false)},
	}
}

// readMeta returns the recorded metadata of a collection or ErrNotFound.
func (s *Store) readMeta(ctx context.Context, name string) (collectionMeta, error) {
	if !vectorstore.ValidName(name) {
		return collectionMeta{}, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
	}
	res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
		return q.WithCollection(s.metaClass()).WithLimit(1).WithProperties("meta_json").
			WithWhere(filters.Where().WithPath([]string{"name"}).WithOperator(filters.Equal).WithValueText(name))
	})
	if err != nil {
		if errors.Is(err, vectorstore.ErrNotFound) {
			s.setKey(name, "")
			return collectionMeta{}, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
		}
		return collectionMeta{}, fmt.Errorf("read collection %q: %w", name, err)
	}
	for _, r := range res {
		var m collectionMeta
		if err := json.Unmarshal([]byte(str(r.Properties["meta_json"])), &m); err != nil {
			return collectionMeta{}, fmt.Errorf("collection %q: bad metadata: %w", name, err)
		}
		if m.Name == name {
			s.setKey(name, m.Storage)
			return m, nil
		}
	}
	s.setKey(name, "")
	return collectionMeta{}, fmt.Errorf("collection %q: %w", name, vectorstore.ErrNotFound)
}

func (s *Store) writeMeta(ctx context.Context, m collectionMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.upsert(ctx, "record collection "+m.Name, []*models.Object{{
		Class:      s.metaClass(),
		ID:         strfmtUUID(metaID(s.opt.Prefix, m.Name)),
		Properties: map[string]any{"name": m.Name, "meta_json": string(b)},
	}})
}

// touch records the time of a change to a collection.
func (s *Store) touch(ctx context.Context, name string) error {
	m, err := s.readMeta(ctx, name)
	if err != nil {
		return err
	}
	m.Updated = time.Now().UTC()
	return s.writeMeta(ctx, m)
}

// CreateCollection implements vectorstore.Store.
func (s *Store) CreateCollection(ctx context.Context, name string, set vectorstore.Settings) (vectorstore.Collection, error) {
	if !vectorstore.ValidName(name) {
		return vectorstore.Collection{}, fmt.Errorf("invalid collection name %q: use letters, digits, '.', '_' and '-'", name)
	}
	if m, err := s.readMeta(ctx, name); err == nil {
		return s.info(ctx, m)
	} else if !errors.Is(err, vectorstore.ErrNotFound) {
		return vectorstore.Collection{}, err
	}
	if err := s.ensureClass(ctx, s.metaClassDef()); err != nil {
		return vectorstore.Collection{}, err
	}
	now := time.Now().UTC()
	m := collectionMeta{Name: name, Settings: set, Created: now, Updated: now}
	// The classes of this name may serve another collection, switched to
	// them by ReplaceCollection (or be retired by one): take fresh ones.
	inUse, err := s.storageInUse(ctx, name)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	if inUse {
		m.Storage = name + "." + strconv.FormatInt(now.UnixNano(), 36)
	}
	s.setKey(name, m.Storage)
	if err := s.ensureClass(ctx, s.class(s.docClass(name), docProps(), false)); err != nil {
		return vectorstore.Collection{}, err
	}
	if err := s.ensureClass(ctx, s.class(s.psgClass(name), passageProps(), true)); err != nil {
		return vectorstore.Collection{}, err
	}
	if s.opt.Terms != nil {
		m.Analyzer = s.opt.Analyzer
	}
	if err := s.writeMeta(ctx, m); err != nil {
		return vectorstore.Collection{}, err
	}
	return vectorstore.Collection{Name: name, Settings: set, Created: now, Updated: now}, nil
}

// info adds the document and passage counts to a collection's metadata.
func (s *Store) info(ctx context.Context, m collectionMeta) (vectorstore.Collection, error) {
	s.setKey(m.Name, m.Storage)
	docs, passages, err := s.counts(ctx, m.Name)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	return vectorstore.Collection{Name: m.Name, Settings: m.Settings, Documents: docs, Passages: passages, Created: m.Created, Updated: m.Updated}, nil
}

// counts returns how many documents a collection holds and the sum of
// their passage counts (passages of a replaced version being written or
// deleted are not counted).
func (s *Store) counts(ctx context.Context, name string) (int, int, error) {
	class := s.docClass(name)
	// Aggregate takes no consistency level; each replica holds every object.
	q := fmt.Sprintf("{Aggregate{%s{meta{count} passages{sum}}}}", class)
	var docs, passages int
	err := s.read(ctx, func(c *weaviate.Client) error {
		resp, err := c.GraphQL().Raw().WithQuery(q).Do(ctx)
		if err != nil {
			return err
		}
		if len(resp.Errors) > 0 {
			if missingClass(errors.New(resp.Errors[0].Message)) {
				return vectorstore.ErrNotFound
			}
			return rejected{errors.New(resp.Errors[0].Message)}
		}
		var out struct {
			Aggregate map[string][]struct {
				Meta     struct{ Count float64 } `json:"meta"`
				Passages struct{ Sum *float64 }  `json:"passages"`
			}
		}
		b, _ := json.Marshal(resp.Data)
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("aggregate answer: %w", err)
		}
		rows := out.Aggregate[class]
		if len(rows) == 0 {
			return nil
		}
		docs = int(rows[0].Meta.Count)
		if rows[0].Passages.Sum != nil {
			passages = int(*rows[0].Passages.Sum)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count collection %q: %w", name, err)
	}
	return docs, passages, nil
}

// Collection implements vectorstore.Store.
func (s *Store) Collection(ctx context.Context, name string) (vectorstore.Collection, error) {
	m, err := s.readMeta(ctx, name)
	if err != nil {
		return vectorstore.Collection{}, err
	}
	return s.info(ctx, m)
}

// Collections implements vectorstore.Store.
func (s *Store) Collections(ctx context.Context) ([]vectorstore.Collection, error) {
	res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
		return q.WithCollection(s.metaClass()).WithLimit(maxLimit).WithProperties("meta_json")
	})
	if errors.Is(err, vectorstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	var out []vectorstore.Collection
	for _, r := range res {
		var m collectionMeta
		if err := json.Unmarshal([]byte(str(r.Properties["meta_json"])), &m); err != nil {
			return nil, fmt.Errorf("list collections: bad metadata: %w", err)
		}
		c, err := s.info(ctx, m)
		if errors.Is(err, vectorstore.ErrNotFound) {
			continue // being deleted
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sortCollections(out)
	return out, nil
}

// DeleteCollection implements vectorstore.Store.
func (s *Store) DeleteCollection(ctx context.Context, name string) error {
	m, err := s.readMeta(ctx, name)
	if err != nil {
		return err
	}
	// The metadata first: from then on the collection does not exist, even
	// if removing its classes fails half way.
	if err := s.deleteMeta(ctx, name); err != nil {
		return err
	}
	// A crash during a switch can leave the staging collection's metadata
	// naming the classes the switched collection now uses: keep those.
	inUse, err := s.storageInUse(ctx, m.storage())
	if err != nil {
		return err
	}
	if !inUse {
		if err := s.deleteClasses(ctx, name, m.storage()); err != nil {
			return err
		}
	}
	if m.Retired != "" {
		if err := s.deleteClasses(ctx, name, m.Retired); err != nil {
			return err
		}
	}
	s.gensMu.Lock()
	delete(s.gens, name)
	s.gensMu.Unlock()
	s.setKey(name, "")
	return nil
}

func (s *Store) deleteMeta(ctx context.Context, name string) error {
	return s.write(ctx, "delete collection "+name, func(ctx context.Context, c *weaviate.Client) error {
		if err := s.checkReplicas(ctx, c, s.metaClass()); err != nil {
			return err
		}
		return c.Data().Deleter().WithClassName(s.metaClass()).WithID(metaID(s.opt.Prefix, name)).
			WithConsistencyLevel(s.opt.WriteConsistency).Do(ctx)
	})
}

// deleteClasses removes the classes made from storage name (missing ones
// are fine).
func (s *Store) deleteClasses(ctx context.Context, name, storage string) error {
	for _, class := range []string{s.storageClass("P_", storage), s.storageClass("D_", storage)} {
		err := s.write(ctx, "delete collection "+name, func(ctx context.Context, c *weaviate.Client) error {
			s.forgetFactor(class)
			err := c.Schema().ClassDeleter().WithClassName(class).Do(ctx)
			if err != nil && missingClass(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// storageInUse reports whether a recorded collection's data lives in the
// classes of storage name, or is about to be removed from them.
func (s *Store) storageInUse(ctx context.Context, storage string) (bool, error) {
	res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
		return q.WithCollection(s.metaClass()).WithLimit(maxLimit).WithProperties("meta_json")
	})
	if errors.Is(err, vectorstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list collections: %w", err)
	}
	for _, r := range res {
		var m collectionMeta
		if err := json.Unmarshal([]byte(str(r.Properties["meta_json"])), &m); err != nil {
			return false, fmt.Errorf("list collections: bad metadata: %w", err)
		}
		if m.storage() == storage || m.Retired == storage {
			return true, nil
		}
	}
	return false, nil
}

// ReplaceCollection implements vectorstore.Store: one write of name's
// metadata points it at from's classes (the switch), then from's metadata
// and name's old classes are deleted.
func (s *Store) ReplaceCollection(ctx context.Context, name, from string) error {
	if name == from {
		return fmt.Errorf("replace collection %q with itself", name)
	}
	if !vectorstore.ValidName(name) {
		return fmt.Errorf("invalid collection name %q: use letters, digits, '.', '_' and '-'", name)
	}
	src, err := s.readMeta(ctx, from)
	if err != nil {
		return err
	}
	dst, err := s.readMeta(ctx, name)
	exists := err == nil
	if err != nil && !errors.Is(err, vectorstore.ErrNotFound) {
		return err
	}
	if exists && dst.Retired != "" && dst.Retired != src.storage() {
		// Left by a switch a crash interrupted.
		if err := s.deleteClasses(ctx, name, dst.Retired); err != nil {
			return err
		}
	}
	m := collectionMeta{Name: name, Settings: src.Settings, Analyzer: src.Analyzer, Created: src.Created,
		Updated: time.Now().UTC(), Storage: src.storage()}
	if exists && dst.storage() != src.storage() {
		m.Retired = dst.storage()
	}
	if err := s.writeMeta(ctx, m); err != nil {
		return fmt.Errorf("replace collection %q: %w", name, err)
	}
	s.setKey(name, m.Storage)
	s.gensMu.Lock()
	delete(s.gens, name)
	delete(s.gens, from)
	s.gensMu.Unlock()
	// Switched. What follows is cleanup; a crash leaves from's metadata
	// (deleting it later keeps the classes name uses) or name's retired
	// classes (deleted by the next switch or delete of name).
	ctx = context.WithoutCancel(ctx)
	if err := s.deleteMeta(ctx, from); err != nil {
		return fmt.Errorf("replace collection %q: remove %q: %w", name, from, err)
	}
	s.setKey(from, "")
	if m.Retired != "" {
		if err := s.deleteClasses(ctx, name, m.Retired); err != nil {
			return fmt.Errorf("replace collection %q: remove its old contents: %w", name, err)
		}
		m.Retired = ""
		if err := s.writeMeta(ctx, m); err != nil {
			s.log.Warn("collection metadata still names removed classes", "collection", name, "err", err)
		}
	}
	return nil
}

// Flush implements vectorstore.Store: Weaviate has made every write durable
// (in its write-ahead log) before acknowledging it.
func (s *Store) Flush(ctx context.Context) error { return ctx.Err() }

// Close implements vectorstore.Store.
func (s *Store) Close() error { return nil }

var _ vectorstore.Store = (*Store)(nil)
