package bm25

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
)

// state is what an index holds in memory: its segment, which documents of
// the segment were removed since it was written, and the documents added
// since (from the log and this process's writes). Searches read it under
// Index.mu's read lock; a write changes it under the write lock.
type state struct {
	seg *segment // nil: none written yet

	// segGone[d] says segment document d was replaced or deleted (and
	// so its passages; see segLive).
	segGone []bool

	docs     map[string]*memDoc
	passages []memPassage
	postings map[string]*memList

	// Totals of what is live, for BM25's N and average length.
	liveDocs, livePassages int
	liveTokens             int64
}

// memDoc is a document added since the segment was written; its passages
// are passages[first : first+n].
type memDoc struct {
	id, hash string
	tokens   int64
	first, n int
	gone     bool
}

type memPassage struct {
	doc    *memDoc
	chunk  uint32
	length uint32
}

// memList is a term's postings among the passages added since the segment:
// (passage delta, frequency) varint pairs, passages ascending (they are
// appended in order). It takes about a third of the memory of fixed-size
// pairs, and the postings held in memory are what bounds a writer's heap
// between generations.
type memList struct {
	buf  []byte
	last uint32 // the passage added last
}

func (l *memList) add(passage, tf uint32) {
	l.buf = binary.AppendUvarint(l.buf, uint64(passage-l.last))
	l.buf = binary.AppendUvarint(l.buf, uint64(tf))
	l.last = passage
}

// each calls fn with each posting's passage (into state.passages) and
// frequency.
func (l *memList) each(fn func(passage, tf uint32)) {
	p := uint64(0)
	for b := l.buf; len(b) > 0; {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return
		}
		tf, m := binary.Uvarint(b[n:])
		if m <= 0 {
			return
		}
		b = b[n+m:]
		p += d
		fn(uint32(p), uint32(tf))
	}
}

// termCount is one distinct term of a passage and how often it occurs.
// id is the analyzer's number for the term (-1: none); ref is its number in
// its batch's dictionary, set by newBatch.
type termCount struct {
	term    string
	id      int32
	tf, ref uint32
}

// batch is one write: the documents to remove, then the documents to add,
// whose terms are numbered in the batch's dictionary, as the log records
// them.
type batch struct {
	remove []string
	terms  []string
	docs   []analysedDoc
}

// analysedDoc is a document ready to be logged and applied.
type analysedDoc struct {
	id, hash string
	tokens   int64
	passages []analysedPassage
}

type analysedPassage struct {
	chunk, length uint32
	terms         []termCount
}

// newBatch numbers the terms of docs in one dictionary: by the analyzer's
// numbers where terms have them, which costs no hashing.
func newBatch(remove []string, docs []analysedDoc) *batch {
	b := &batch{remove: remove, docs: docs}
	var slot []uint32 // analyzer number -> 1 + dictionary number
	var byName map[string]uint32
	for i := range docs {
		for j := range docs[i].passages {
			ts := docs[i].passages[j].terms
			for k := range ts {
				t := &ts[k]
				if t.id >= 0 {
					if int(t.id) >= len(slot) {
						slot = append(slot, make([]uint32, int(t.id)+1-len(slot)+1024)...)
					}
					if slot[t.id] == 0 {
						b.terms = append(b.terms, t.term)
						slot[t.id] = uint32(len(b.terms))
					}
					t.ref = slot[t.id] - 1
					continue
				}
				if byName == nil {
					byName = map[string]uint32{}
				}
				r, ok := byName[t.term]
				if !ok {
					r = uint32(len(b.terms))
					b.terms = append(b.terms, t.term)
					byName[t.term] = r
				}
				t.ref = r
			}
		}
	}
	return b
}

func newState(seg *segment) *state {
	s := &state{seg: seg, docs: map[string]*memDoc{}, postings: map[string]*memList{}}
	if seg != nil {
		s.segGone = make([]bool, seg.docs)
		s.liveDocs, s.livePassages, s.liveTokens = seg.docs, seg.passages, seg.tokens
	}
	return s
}

// release unmaps the segment; s must not be used after.
func (s *state) release() {
	if s.seg != nil {
		releaseSegmentFile(s.seg.data)
		s.seg = nil
	}
}

// apply removes b's documents to remove, then adds its documents.
func (s *state) apply(b *batch) error {
	for _, id := range b.remove {
		if err := s.remove(id); err != nil {
			return err
		}
	}
	lists := make([]*memList, len(b.terms))
	for i, t := range b.terms {
		l := s.postings[t]
		if l == nil {
			l = &memList{}
			s.postings[t] = l
		}
		lists[i] = l
	}
	for i := range b.docs {
		d := &b.docs[i]
		if err := s.remove(d.id); err != nil {
			return err
		}
		md := &memDoc{id: d.id, hash: d.hash, tokens: d.tokens, first: len(s.passages), n: len(d.passages)}
		s.docs[d.id] = md
		for _, p := range d.passages {
			at := uint32(len(s.passages))
			s.passages = append(s.passages, memPassage{doc: md, chunk: p.chunk, length: p.length})
			for _, t := range p.terms {
				if int(t.ref) >= len(lists) {
					return fmt.Errorf("term %d of a batch of %d", t.ref, len(lists))
				}
				lists[t.ref].add(at, t.tf)
			}
		}
		s.liveDocs++
		s.livePassages += len(d.passages)
		s.liveTokens += d.tokens
	}
	return nil
}

// remove takes document id out of what is live, wherever it is.
func (s *state) remove(id string) error {
	if md, ok := s.docs[id]; ok {
		md.gone = true
		delete(s.docs, id)
		s.liveDocs--
		s.livePassages -= md.n
		s.liveTokens -= md.tokens
		return nil
	}
	if s.seg == nil {
		return nil
	}
	d, ok, err := s.seg.findDoc(id)
	if err != nil || !ok || s.segGone[d] {
		return err
	}
	sd, err := s.seg.doc(d)
	if err != nil {
		return err
	}
	s.segGone[d] = true
	s.liveDocs--
	s.livePassages -= int(sd.passages)
	s.liveTokens -= sd.tokens
	return nil
}

// hashes returns every live document's hash.
func (s *state) hashes(stop func() error) (map[string]string, error) {
	out := make(map[string]string, s.liveDocs)
	if s.seg != nil {
		for d := range s.seg.docs {
			if d%1024 == 0 {
				if err := stop(); err != nil {
					return nil, err
				}
			}
			if s.segGone[d] {
				continue
			}
			sd, err := s.seg.doc(d)
			if err != nil {
				return nil, err
			}
			out[sd.id] = sd.hash
		}
	}
	for id, md := range s.docs {
		out[id] = md.hash
	}
	return out, nil
}

// posting is one live passage holding a query term, keyed for scoring:
// segment passages first, then those added since.
type posting struct {
	key, tf, length uint32
}

// termPostings appends the live postings of term to out.
func (s *state) termPostings(term string, out []posting) ([]posting, error) {
	if s.seg != nil {
		df, raw, err := s.seg.findTerm(term)
		if err != nil {
			return out, err
		}
		if df > 0 {
			err = s.seg.eachPosting(raw, df, func(p, tf uint32) {
				if l, live := s.segLive(p); live {
					out = append(out, posting{key: p, tf: tf, length: l})
				}
			})
			if err != nil {
				return out, err
			}
		}
	}
	base := uint32(s.segPassages())
	if l := s.postings[term]; l != nil {
		l.each(func(at, tf uint32) {
			if p := &s.passages[at]; !p.doc.gone {
				out = append(out, posting{key: base + at, tf: tf, length: p.length})
			}
		})
	}
	return out, nil
}

// segLive returns segment passage p's length and whether its document is
// live. A passage naming no document of the segment counts as gone.
func (s *state) segLive(p uint32) (length uint32, live bool) {
	d, _, l := s.seg.passage(int(p))
	return l, int(d) < len(s.segGone) && !s.segGone[d]
}

func (s *state) segPassages() int {
	if s.seg == nil {
		return 0
	}
	return s.seg.passages
}

// resolve returns the document id, chunk and document hash of a scoring key.
func (s *state) resolve(key uint32) (docID string, chunk int, hash string, err error) {
	if n := uint32(s.segPassages()); key >= n {
		p := &s.passages[key-n]
		return p.doc.id, int(p.chunk), p.doc.hash, nil
	}
	d, c, _ := s.seg.passage(int(key))
	if int(d) >= s.seg.docs {
		return "", 0, "", errCorrupt
	}
	sd, err := s.seg.doc(int(d))
	return sd.id, int(c), sd.hash, err
}

// writeSegment writes everything live as one segment to w.
func (s *state) writeSegment(w io.Writer) error {
	b := newSegmentBuilder(w)
	remap, n, err := s.writeDocs(b)
	if err != nil {
		return err
	}
	if n != s.livePassages {
		return fmt.Errorf("segment holds %d passages, %d are live", n, s.livePassages)
	}
	docIndexAt, passagesAt := b.endDocs()
	if err := s.writeTerms(b, remap); err != nil {
		return err
	}
	return b.finish(docIndexAt, passagesAt)
}

// writeDocs adds every live document to b in id order, from both sources,
// and returns how many passages they hold and each live passage's number
// in the new segment, by scoring key (see termPostings). Segment documents
// keep their order (the segment is sorted), so only the new ones need
// sorting.
func (s *state) writeDocs(b *segmentBuilder) (remap []uint32, n int, err error) {
	newIDs := make([]string, 0, len(s.docs))
	for id := range s.docs {
		newIDs = append(newIDs, id)
	}
	slices.Sort(newIDs)
	segN := s.segPassages()
	remap = make([]uint32, segN+len(s.passages))
	var chunks, lengths []uint32
	add := func(id, hash string, tokens int64, keys func(yield func(key int, chunk, length uint32))) error {
		chunks, lengths = chunks[:0], lengths[:0]
		keys(func(key int, chunk, length uint32) {
			chunks, lengths = append(chunks, chunk), append(lengths, length)
			remap[key] = uint32(n)
			n++
		})
		return b.doc(id, hash, tokens, chunks, lengths)
	}
	segDocs := 0
	if s.seg != nil {
		segDocs = s.seg.docs
	}
	for d, m := 0, 0; d < segDocs || m < len(newIDs); {
		if d < segDocs && s.segGone[d] {
			d++
			continue
		}
		useSeg := d < segDocs
		if useSeg && m < len(newIDs) {
			id, err := s.seg.docIDBytes(d)
			if err != nil {
				return nil, 0, err
			}
			useSeg = string(id) < newIDs[m]
		}
		if useSeg {
			sd, err := s.seg.doc(d)
			if err != nil {
				return nil, 0, err
			}
			err = add(sd.id, sd.hash, sd.tokens, func(yield func(int, uint32, uint32)) {
				for p := int(sd.first); p < int(sd.first+sd.passages); p++ {
					_, c, l := s.seg.passage(p)
					yield(p, c, l)
				}
			})
			if err != nil {
				return nil, 0, err
			}
			d++
			continue
		}
		md := s.docs[newIDs[m]]
		err := add(md.id, md.hash, md.tokens, func(yield func(int, uint32, uint32)) {
			for j := md.first; j < md.first+md.n; j++ {
				yield(segN+j, s.passages[j].chunk, s.passages[j].length)
			}
		})
		if err != nil {
			return nil, 0, err
		}
		m++
	}
	return remap, n, nil
}

// writeTerms adds every term with live postings to b in name order, from
// both sources, its postings renumbered by remap.
func (s *state) writeTerms(b *segmentBuilder, remap []uint32) error {
	newTerms := make([]string, 0, len(s.postings))
	for t := range s.postings {
		newTerms = append(newTerms, t)
	}
	slices.Sort(newTerms)
	segTerms := 0
	if s.seg != nil {
		segTerms = s.seg.terms
	}
	segN := s.segPassages()
	var all []posting
	var ps, tfs []uint32
	for t, m := 0, 0; t < segTerms || m < len(newTerms); {
		all = all[:0]
		var name string
		fromMem := false
		if t < segTerms {
			tb, df, raw, err := s.seg.termAt(t)
			if err != nil {
				return err
			}
			name = string(tb)
			if m < len(newTerms) && newTerms[m] < name {
				name, fromMem = newTerms[m], true // only new passages hold it
			} else {
				err = s.seg.eachPosting(raw, df, func(p, tf uint32) {
					if _, live := s.segLive(p); live {
						all = append(all, posting{key: remap[p], tf: tf})
					}
				})
				if err != nil {
					return err
				}
				t++
				fromMem = m < len(newTerms) && newTerms[m] == name
			}
		} else {
			name, fromMem = newTerms[m], true
		}
		if fromMem {
			s.postings[name].each(func(at, tf uint32) {
				if !s.passages[at].doc.gone {
					all = append(all, posting{key: remap[segN+int(at)], tf: tf})
				}
			})
			// The segment's part is in order already; new passages
			// interleave with it by document id.
			sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
			m++
		}
		ps, tfs = ps[:0], tfs[:0]
		for i, p := range all {
			if i > 0 && p.key == all[i-1].key {
				// A record that named a term twice for one passage
				// (none written here does): one posting.
				tfs[len(tfs)-1] += p.tf
				continue
			}
			ps, tfs = append(ps, p.key), append(tfs, p.tf)
		}
		if err := b.term(name, ps, tfs); err != nil {
			return err
		}
	}
	return nil
}
