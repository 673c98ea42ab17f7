package embedded

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// TestLogV5Fixture: a data directory written by main at e9f8b2f (snapshot
// version 10, change log version 5, whose puts carry gob headers) opens
// with every field. A writer upgrades the log to version 6 and appends a put
// with a hand-written header after the gob ones; the log replays both, and
// a listing reads the counts of the last one.
func TestLogV5Fixture(t *testing.T) {
	ctx := context.Background()
	dir := copyFixture(t, filepath.Join("testdata", "datadir-v10-log5"))
	wal := filepath.Join(dir, "fixture"+walExt)
	if head, _ := os.ReadFile(wal); !strings.HasPrefix(string(head), walMagicV5) {
		t.Fatalf("the fixture's log starts %.17q, not version 5", head)
	}
	s, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	checkRich(t, s)
	d, ps := richDoc(6, 0)
	if err := s.Put(ctx, "fixture", d, ps); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if head, _ := os.ReadFile(wal); !strings.HasPrefix(string(head), walMagic) {
		t.Errorf("after a write the log starts %.17q, want %q", head, walMagic)
	}

	s, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cols, err := s.Collections(ctx) // from the log's last record: the put
	if err != nil || len(cols) != 1 || cols[0].Documents != 6 || cols[0].Passages != 12 {
		t.Errorf("listing: %+v, %v; want 6 documents, 12 passages", cols, err)
	}
	checkRich(t, s)
	got, err := s.Document(ctx, "fixture", "doc-6")
	if err != nil {
		t.Fatal(err)
	}
	d.Passages = len(ps)
	if got.Published.Equal(d.Published) { // the zone's name is not kept, as with gob
		got.Published = d.Published
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("doc-6 after replay:\n%+v\nwant\n%+v", got, d)
	}
	keys := []vectorstore.PassageKey{{DocID: "doc-6", Chunk: 0}, {DocID: "doc-6", Chunk: 1}}
	hits, err := s.Lookup(ctx, "fixture", keys)
	if err != nil || len(hits) != 2 {
		t.Fatalf("lookup doc-6: %+v, %v", hits, err)
	}
	for j, h := range hits {
		if !reflect.DeepEqual(h.Vector, ps[j].Vector) || h.Start != ps[j].Start || h.LineStart != ps[j].LineStart {
			t.Errorf("doc-6 passage %d after replay: %+v, want %+v", j, h, ps[j])
		}
	}
}

// TestRecordPut: a put record decodes to what was put, with its counts, and
// a payload cut anywhere is refused or leaves vectors short, never misread
// as another document (the log's checksum catches cuts first; this guards
// the decoder).
func TestRecordPut(t *testing.T) {
	d, ps := richDoc(3, 1)
	e := &docEntry{Doc: d, Passages: make([]vectorstore.Passage, len(ps)), Vectored: []bool{true, true}}
	for i, p := range ps {
		e.Passages[i] = p
		e.Passages[i].Vector = nil
	}
	vecs := [][]float32{ps[0].Vector, ps[1].Vector}
	want := putRecord{Entry: e, Updated: d.Indexed, Counts: counts{Counted: true, Documents: 7, Passages: 14}}
	rec := recordPut(want, vecs)
	payload := rec[recHeader:]
	if payload[0] != opPutDoc {
		t.Fatalf("op %d", payload[0])
	}
	got, raw, err := decodePutDoc(payload[1:])
	if err != nil {
		t.Fatal(err)
	}
	if !got.Updated.Equal(want.Updated) || got.Counts != want.Counts || len(raw) != 4*(len(vecs[0])+len(vecs[1])) {
		t.Errorf("head %+v %+v, %d bytes of vectors", got.Updated, got.Counts, len(raw))
	}
	got.Entry.Doc.Published, want.Entry.Doc.Published = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got.Entry, want.Entry) {
		t.Errorf("entry:\n%+v\nwant\n%+v", got.Entry, want.Entry)
	}
	for n := range len(payload) - 1 {
		r, raw, err := decodePutDoc(payload[1 : 1+n])
		if err == nil && (r.Entry.Doc.ID != d.ID || len(raw) >= 4*(len(vecs[0])+len(vecs[1]))) {
			t.Fatalf("cut to %d bytes: decoded %+v", n, r.Entry.Doc)
		}
	}
}
