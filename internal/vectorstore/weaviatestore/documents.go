package weaviatestore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

func strfmtUUID(s string) strfmt.UUID { return strfmt.UUID(s) }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

func sortCollections(list []vectorstore.Collection) {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
}

// filterKV lists a document's filterable fields as "key=value" strings:
// title, source, author and url, then the custom metadata (a custom key with
// one of those four names is shadowed, as in [vectorstore.Filter.Matcher]).
func filterKV(d *vectorstore.Document) []string {
	kv := []string{"title=" + d.Title, "source=" + d.Source, "author=" + d.Author, "url=" + d.URL}
	for k, v := range d.Meta {
		switch k {
		case "title", "source", "author", "url":
			continue
		}
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return kv
}

// where turns a filter into a Weaviate where filter on the properties both
// classes share, or nil when it restricts nothing. Results are checked
// against [vectorstore.Filter.Matcher] as well, so the meaning is the same
// as on every backend.
func where(f vectorstore.Filter) *filters.WhereBuilder {
	var ops []*filters.WhereBuilder
	if len(f.DocIDs) > 0 {
		ops = append(ops, filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.ContainsAny).WithValueText(f.DocIDs...))
	}
	if f.DocPrefix != "" {
		// Like's wildcards (* and ?) cannot be escaped: the pattern stops
		// before the first, so it admits at least the documents meant, and
		// the matcher drops the rest.
		p := f.DocPrefix
		if i := strings.IndexAny(p, "*?"); i >= 0 {
			p = p[:i]
		}
		ops = append(ops, filters.Where().WithOperator(filters.Or).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.Like).WithValueText(p + "*"),
			filters.Where().WithPath([]string{"filter_kv"}).WithOperator(filters.Like).WithValueText("source=" + p + "*"),
		}))
	}
	keys := slices.Sorted(maps.Keys(f.Meta))
	for _, k := range keys {
		v := f.Meta[k]
		switch k {
		case "title", "source", "author", "url":
		default:
			if v == "" {
				continue // matches documents without the key too: left to the matcher
			}
		}
		ops = append(ops, filters.Where().WithPath([]string{"filter_kv"}).WithOperator(filters.ContainsAny).WithValueText(k+"="+v))
	}
	if !f.After.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{"published"}).WithOperator(filters.GreaterThanEqual).WithValueDate(f.After))
	}
	if !f.Before.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{"published"}).WithOperator(filters.LessThan).WithValueDate(f.Before))
	}
	switch len(ops) {
	case 0:
		return nil
	case 1:
		return ops[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(ops)
}

func and(a, b *filters.WhereBuilder) *filters.WhereBuilder {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{a, b})
}

// docRecord is a document object: its current generation and the document
// without text.
type docRecord struct {
	gen int64
	doc vectorstore.Document
}

func parseDoc(r graphql.SearchResult) (docRecord, error) {
	var d vectorstore.Document
	if err := json.Unmarshal([]byte(str(r.Properties["doc_json"])), &d); err != nil {
		return docRecord{}, fmt.Errorf("document object %s: %w", r.ID, err)
	}
	d.ID = str(r.Properties["doc_id"])
	d.Passages = int(num(r.Properties["passages"]))
	if t, ok := r.Properties["text"]; ok {
		d.Text = str(t)
	}
	return docRecord{gen: num(r.Properties["gen"]), doc: d}, nil
}

// docsByID reads the document objects of ids (unknown ids are left out).
func (s *Store) docsByID(ctx context.Context, coll string, ids []string) (map[string]docRecord, error) {
	out := make(map[string]docRecord, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		part := ids[:n]
		ids = ids[n:]
		res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
			return q.WithCollection(s.docClass(coll)).WithLimit(len(part)).
				WithProperties("doc_id", "gen", "passages", "doc_json").
				WithWhere(filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.ContainsAny).WithValueText(part...))
		})
		if err != nil {
			return nil, fmt.Errorf("read documents of %q: %w", coll, err)
		}
		for _, r := range res {
			rec, err := parseDoc(r)
			if err != nil {
				return nil, err
			}
			out[rec.doc.ID] = rec
		}
	}
	s.remember(coll, out)
	return out, nil
}

// scanDocs reads every document object of a collection, in no order.
func (s *Store) scanDocs(ctx context.Context, coll string, props ...string) ([]graphql.SearchResult, error) {
	var all []graphql.SearchResult
	after := ""
	for {
		res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
			q = q.WithCollection(s.docClass(coll)).WithLimit(1000).WithProperties(props...)
			if after != "" {
				q = q.WithAfter(after)
			}
			return q
		})
		if err != nil {
			return nil, err
		}
		all = append(all, res...)
		if len(res) < 1000 {
			return all, nil
		}
		after = res[len(res)-1].ID
	}
}

// remember records generations seen current, for the consistency check of
// later searches (see [Store.consistentSearch]).
func (s *Store) remember(coll string, docs map[string]docRecord) {
	at := s.epoch.Add(1)
	s.gensMu.Lock()
	defer s.gensMu.Unlock()
	m := s.gens[coll]
	if m == nil {
		m = map[string]genSeen{}
		s.gens[coll] = m
	}
	for id, d := range docs {
		m[id] = genSeen{gen: d.gen, at: at}
	}
}

func (s *Store) forget(coll string, ids ...string) {
	s.gensMu.Lock()
	defer s.gensMu.Unlock()
	for _, id := range ids {
		delete(s.gens[coll], id)
	}
}

// seen returns the generations recorded before epoch e for ids.
func (s *Store) seen(coll string, ids []string, e uint64) map[string]int64 {
	s.gensMu.Lock()
	defer s.gensMu.Unlock()
	out := map[string]int64{}
	for _, id := range ids {
		if g, ok := s.gens[coll][id]; ok && g.at < e {
			out[id] = g.gen
		}
	}
	return out
}

// Put implements vectorstore.Store: the new passages are written under a
// new generation, the document object is switched to it, and the passages
// of older generations are deleted.
func (s *Store) Put(ctx context.Context, coll string, doc vectorstore.Document, passages []vectorstore.Passage) error {
	if doc.ID == "" {
		return errors.New("put document: empty id")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put document %q: %w", doc.ID, err)
	}
	m, err := s.readMeta(ctx, coll)
	if err != nil {
		return err
	}
	dims := m.Settings.Dimensions
	for i, p := range passages {
		if err := vectorstore.CheckPassage(doc, i, p, coll, dims); err != nil {
			return err
		}
	}
	doc.Meta = maps.Clone(doc.Meta)
	doc.Passages = len(passages)
	if doc.Indexed.IsZero() {
		doc.Indexed = time.Now().UTC()
	}
	kv := filterKV(&doc)
	var published any
	if !doc.Published.IsZero() {
		published = doc.Published.UTC().Format(time.RFC3339Nano)
	}
	terms, err := s.termsFunc(m)
	if err != nil {
		return fmt.Errorf("put document %q: %w", doc.ID, err)
	}
	gen := generation(doc, passages, kv, published, m.Analyzer)
	objs := make([]*models.Object, 0, len(passages))
	for i, p := range passages {
		props := map[string]any{
			"doc_id": doc.ID, "gen": gen, "chunk": i,
			"start": p.Start, "end": p.End, "line_start": p.LineStart, "line_end": p.LineEnd,
			"text": doc.Text[p.Start:p.End], "title": doc.Title, "filter_kv": kv,
		}
		if terms != nil {
			// As internal/bm25 indexes a passage: the title, then the text.
			t, err := terms(doc.Title + "\n" + doc.Text[p.Start:p.End])
			if err != nil {
				return fmt.Errorf("put document %q: %w", doc.ID, err)
			}
			props["terms"] = strings.Join(t, " ")
		}
		if published != nil {
			props["published"] = published
		}
		o := &models.Object{Class: s.psgClass(coll), ID: strfmtUUID(passageUUID(s.key(coll), doc.ID, gen, i)), Properties: props}
		if !isZero(p.Vector) {
			o.Vector = slices.Clone(p.Vector)
		}
		objs = append(objs, o)
	}
	if err := s.upsert(ctx, fmt.Sprintf("put document %q", doc.ID), objs); err != nil {
		return mapMissing(err, coll)
	}
	text := doc.Text
	doc.Text = ""
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("put document %q: %w", doc.ID, err)
	}
	props := map[string]any{"doc_id": doc.ID, "gen": gen, "hash": doc.Hash, "passages": len(passages),
		"doc_json": string(body), "text": text, "filter_kv": kv}
	if published != nil {
		props["published"] = published
	}
	// The switch: one object write makes the new generation current.
	if err := s.upsert(ctx, fmt.Sprintf("put document %q", doc.ID), []*models.Object{{
		Class: s.docClass(coll), ID: strfmtUUID(docUUID(s.key(coll), doc.ID)), Properties: props,
	}}); err != nil {
		return mapMissing(err, coll)
	}
	s.remember(coll, map[string]docRecord{doc.ID: {gen: gen}})
	// The new version is stored; what follows is cleanup that searches
	// already ignore, so a canceled caller does not stop it half way.
	ctx = context.WithoutCancel(ctx)
	if err := s.removeStale(ctx, coll, doc.ID, gen, len(passages)); err != nil {
		s.log.Warn("old passages left behind; searches ignore them", "collection", coll, "doc_id", doc.ID, "err", err)
	}
	s.touchSoon(ctx, coll)
	return nil
}

// generation returns the generation number of a document version: a hash of
// what its passage objects hold, so that a Put run again with the same
// version (index or import repeated after a failed write) writes the same
// objects under the same ids. Weaviate can commit a write after its client
// gave up on it (its replication coordinator works on a context of its
// own): with a new number per attempt, such a write landed after the
// retry's cleanup as a generation no document points at, one passage object
// too many on every node. Different versions get different numbers; 52 bits
// stay exact as a JSON number.
func generation(doc vectorstore.Document, passages []vectorstore.Passage, kv []string, published any, analyzer string) int64 {
	h := sha256.New()
	field := func(v string) { fmt.Fprintf(h, "%d:%s", len(v), v) }
	field(doc.ID)
	field(doc.Title)
	field(doc.Text)
	field(fmt.Sprint(published))
	field(analyzer)
	field(strings.Join(kv, "\x00"))
	var b [8]byte
	for _, p := range passages {
		fmt.Fprintf(h, "|%d %d %d %d %d|", p.Start, p.End, p.LineStart, p.LineEnd, len(p.Vector))
		for _, x := range p.Vector {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(x))
			h.Write(b[:4])
		}
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]) >> 12)
}

// removeStale deletes the passages of document id that are not among the
// n passages of generation gen.
//
// Other generations are gen < G or gen > G, never gen != G: Weaviate
// answers NotEqual as every doc id the shard ever allocated minus those
// whose inverted entry equals G, and an object being written has its id and
// object data before its properties' inverted entries, one property after
// another in map order. A passage of generation G still being written on a
// replica (a QUORUM write was acknowledged by the others) can have its
// doc_id entry and not yet its gen entry; NotEqual then matched it, the
// delete (by uuid, at QUORUM) removed it from every replica, and the
// document recorded one passage more than the cluster held. Range operators
// read only the entries that exist.
func (s *Store) removeStale(ctx context.Context, coll, id string, gen int64, n int) error {
	genPath := []string{"gen"}
	stale := and(filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.Equal).WithValueText(id),
		filters.Where().WithOperator(filters.Or).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath(genPath).WithOperator(filters.LessThan).WithValueInt(gen),
			filters.Where().WithPath(genPath).WithOperator(filters.GreaterThan).WithValueInt(gen),
			filters.Where().WithPath([]string{"chunk"}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(n)),
		}))
	return s.deleteWhere(ctx, fmt.Sprintf("remove old passages of %q", id), s.psgClass(coll), stale)
}

// termsFunc returns the analysis a collection's BM25 property needs, nil
// when it has none, or an error when this store cannot make it.
func (s *Store) termsFunc(m collectionMeta) (func(string) ([]string, error), error) {
	if m.Analyzer == "" {
		return nil, nil
	}
	if s.opt.Terms == nil || s.opt.Analyzer != m.Analyzer {
		return nil, fmt.Errorf("collection %q indexes BM25 terms made by analyzer %q, which this client does not have (it has %q)", m.Name, m.Analyzer, s.opt.Analyzer)
	}
	return s.opt.Terms, nil
}

func mapMissing(err error, coll string) error {
	if missingClass(err) && !errors.Is(err, vectorstore.ErrNotFound) {
		return fmt.Errorf("collection %q: %w: %v", coll, vectorstore.ErrNotFound, err)
	}
	return err
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// touchSoon records the collection's update time, at most every few
// seconds per collection (it costs a read and a write).
func (s *Store) touchSoon(ctx context.Context, coll string) {
	s.gensMu.Lock()
	last := s.touched[coll]
	now := time.Now()
	if now.Sub(last) < 2*time.Second {
		s.gensMu.Unlock()
		return
	}
	s.touched[coll] = now
	s.gensMu.Unlock()
	if err := s.touch(ctx, coll); err != nil {
		s.log.Warn("collection update time not recorded", "collection", coll, "err", err)
	}
}

// Delete implements vectorstore.Store.
func (s *Store) Delete(ctx context.Context, coll string, ids ...string) (int, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return 0, err
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return 0, nil
	}
	docs, err := s.docsByID(ctx, coll, ids)
	if err != nil {
		return 0, err
	}
	if len(docs) == 0 {
		return 0, nil
	}
	found := slices.Sorted(maps.Keys(docs))
	byID := filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.ContainsAny).WithValueText(found...)
	// Document objects first: their passages are invisible from then on.
	if err := s.deleteWhere(ctx, "delete documents", s.docClass(coll), byID); err != nil {
		return 0, err
	}
	s.forget(coll, found...)
	if err := s.deleteWhere(context.WithoutCancel(ctx), "delete passages", s.psgClass(coll), byID); err != nil {
		s.log.Warn("passages of deleted documents left behind; searches ignore them", "collection", coll, "err", err)
	}
	s.gensMu.Lock()
	s.touched[coll] = time.Time{}
	s.gensMu.Unlock()
	s.touchSoon(context.WithoutCancel(ctx), coll)
	return len(docs), nil
}

// Document implements vectorstore.Store.
func (s *Store) Document(ctx context.Context, coll, id string) (vectorstore.Document, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return vectorstore.Document{}, err
	}
	res, err := s.search(ctx, func(q *graphql.Search) *graphql.Search {
		return q.WithCollection(s.docClass(coll)).WithLimit(1).WithProperties("doc_id", "gen", "passages", "doc_json", "text").
			WithWhere(filters.Where().WithPath([]string{"doc_id"}).WithOperator(filters.Equal).WithValueText(id))
	})
	if err != nil {
		return vectorstore.Document{}, fmt.Errorf("read document %q: %w", id, err)
	}
	for _, r := range res {
		rec, err := parseDoc(r)
		if err != nil {
			return vectorstore.Document{}, err
		}
		if rec.doc.ID == id {
			return rec.doc, nil
		}
	}
	return vectorstore.Document{}, fmt.Errorf("document %q: %w", id, vectorstore.ErrNotFound)
}

// Documents implements vectorstore.Store.
func (s *Store) Documents(ctx context.Context, coll string, offset, limit int) ([]vectorstore.Document, int, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return nil, 0, err
	}
	res, err := s.scanDocs(ctx, coll, "doc_id", "gen", "passages", "doc_json")
	if err != nil {
		return nil, 0, fmt.Errorf("list documents of %q: %w", coll, err)
	}
	docs := make([]vectorstore.Document, 0, len(res))
	for _, r := range res {
		rec, err := parseDoc(r)
		if err != nil {
			return nil, 0, err
		}
		docs = append(docs, rec.doc)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	total := len(docs)
	if offset >= total {
		return nil, total, nil
	}
	docs = docs[max(offset, 0):]
	if limit > 0 && limit < len(docs) {
		docs = docs[:limit]
	}
	return docs, total, nil
}

// Hashes implements vectorstore.Store.
func (s *Store) Hashes(ctx context.Context, coll string) (map[string]string, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return nil, err
	}
	res, err := s.scanDocs(ctx, coll, "doc_id", "hash")
	if err != nil {
		return nil, fmt.Errorf("read hashes of %q: %w", coll, err)
	}
	out := make(map[string]string, len(res))
	for _, r := range res {
		out[str(r.Properties["doc_id"])] = str(r.Properties["hash"])
	}
	return out, nil
}

// FilterDocs implements vectorstore.Store.
func (s *Store) FilterDocs(ctx context.Context, coll string, f vectorstore.Filter) ([]string, error) {
	if _, err := s.readMeta(ctx, coll); err != nil {
		return nil, err
	}
	var res []graphql.SearchResult
	var err error
	w := where(f)
	if w != nil {
		res, err = s.search(ctx, func(q *graphql.Search) *graphql.Search {
			return q.WithCollection(s.docClass(coll)).WithLimit(maxLimit).WithProperties("doc_id", "doc_json").WithWhere(w)
		})
	}
	if w == nil || (err == nil && len(res) >= maxLimit) {
		res, err = s.scanDocs(ctx, coll, "doc_id", "doc_json")
	}
	if err != nil {
		return nil, fmt.Errorf("filter documents of %q: %w", coll, err)
	}
	match := f.Matcher()
	var ids []string
	for _, r := range res {
		rec, err := parseDoc(r)
		if err != nil {
			return nil, err
		}
		if match(&rec.doc) {
			ids = append(ids, rec.doc.ID)
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids), nil
}
