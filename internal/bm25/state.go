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

	// segGone[d] says segment document d was replaced or deleted;
	// segDead[p] says the same of passage p.
	segGone []bool
	segDead []bool

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
		s.segDead = make([]bool, seg.passages)
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
	for p := sd.first; p < sd.first+sd.passages; p++ {
		s.segDead[p] = true
	}
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
				if !s.segDead[p] {
					_, _, l := s.seg.passage(int(p))
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
	// Documents by id, from both sources. Segment documents keep their
	// order (the segment is sorted), so only the new ones need sorting.
	newIDs := make([]string, 0, len(s.docs))
	for id := range s.docs {
		newIDs = append(newIDs, id)
	}
	slices.Sort(newIDs)
	segN := s.segPassages()
	// remap[key] is a live passage's number in the new segment.
	remap := make([]uint32, segN+len(s.passages))
	var chunks, lengths []uint32
	next := uint32(0)
	addSeg := func(d int) error {
		sd, err := s.seg.doc(d)
		if err != nil {
			return err
		}
		chunks, lengths = chunks[:0], lengths[:0]
		for p := sd.first; p < sd.first+sd.passages; p++ {
			_, c, l := s.seg.passage(int(p))
			chunks, lengths = append(chunks, c), append(lengths, l)
			remap[p] = next
			next++
		}
		return b.doc(sd.id, sd.hash, sd.tokens, chunks, lengths)
	}
	addMem := func(md *memDoc) error {
		chunks, lengths = chunks[:0], lengths[:0]
		for j := md.first; j < md.first+md.n; j++ {
			p := &s.passages[j]
			chunks, lengths = append(chunks, p.chunk), append(lengths, p.length)
			remap[segN+j] = next
			next++
		}
		return b.doc(md.id, md.hash, md.tokens, chunks, lengths)
	}
	d, m := 0, 0
	segDocs := 0
	if s.seg != nil {
		segDocs = s.seg.docs
	}
	for d < segDocs || m < len(newIDs) {
		for d < segDocs && s.segGone[d] {
			d++
		}
		if d == segDocs && m == len(newIDs) {
			break
		}
		useSeg := d < segDocs
		if useSeg && m < len(newIDs) {
			id, err := s.seg.docIDBytes(d)
			if err != nil {
				return err
			}
			useSeg = string(id) < newIDs[m]
		}
		var err error
		if useSeg {
			err, d = addSeg(d), d+1
		} else {
			err, m = addMem(s.docs[newIDs[m]]), m+1
		}
		if err != nil {
			return err
		}
	}
	docIndexAt, passagesAt := b.endDocs()

	// Terms by name, from both sources, each with its postings in the new
	// order: the segment's stay ascending, the new ones are sorted.
	newTerms := make([]string, 0, len(s.postings))
	for t := range s.postings {
		newTerms = append(newTerms, t)
	}
	slices.Sort(newTerms)
	segTerms := 0
	if s.seg != nil {
		segTerms = s.seg.terms
	}
	var ps, tfs []uint32
	var memPart []posting
	t, m2 := 0, 0
	for t < segTerms || m2 < len(newTerms) {
		var name string
		var raw []byte
		var df int
		fromSeg, fromMem := false, false
		if t < segTerms {
			tb, n, r, err := s.seg.termAt(t)
			if err != nil {
				return err
			}
			name, df, raw, fromSeg = string(tb), n, r, true
		}
		switch {
		case !fromSeg:
			name, fromMem = newTerms[m2], true
		case m2 < len(newTerms) && newTerms[m2] < name:
			name, fromSeg, fromMem = newTerms[m2], false, true
		case m2 < len(newTerms) && newTerms[m2] == name:
			fromMem = true
		}
		ps, tfs = ps[:0], tfs[:0]
		if fromSeg {
			err := s.seg.eachPosting(raw, df, func(p, tf uint32) {
				if !s.segDead[p] {
					ps, tfs = append(ps, remap[p]), append(tfs, tf)
				}
			})
			if err != nil {
				return err
			}
			t++
		}
		if fromMem {
			memPart = memPart[:0]
			s.postings[name].each(func(at, tf uint32) {
				if !s.passages[at].doc.gone {
					memPart = append(memPart, posting{key: remap[segN+int(at)], tf: tf})
				}
			})
			sort.Slice(memPart, func(i, j int) bool { return memPart[i].key < memPart[j].key })
			if len(ps) > 0 && len(memPart) > 0 {
				// Segment and new passages interleave by document id.
				all := make([]posting, 0, len(ps)+len(memPart))
				for i := range ps {
					all = append(all, posting{key: ps[i], tf: tfs[i]})
				}
				all = append(all, memPart...)
				sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
				memPart, ps, tfs = all, ps[:0], tfs[:0]
			}
			for i, p := range memPart {
				if i > 0 && p.key == memPart[i-1].key {
					// A record that named a term twice for one passage
					// (none written here does): one posting.
					tfs[len(tfs)-1] += p.tf
					continue
				}
				ps, tfs = append(ps, p.key), append(tfs, p.tf)
			}
			m2++
		}
		if err := b.term(name, ps, tfs); err != nil {
			return err
		}
	}
	if next != uint32(s.livePassages) {
		return fmt.Errorf("segment holds %d passages, %d are live", next, s.livePassages)
	}
	return b.finish(docIndexAt, passagesAt)
}
