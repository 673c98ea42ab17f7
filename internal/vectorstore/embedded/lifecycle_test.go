package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// seedCollections writes collections of docs documents (3 passages each)
// into dir with a writer that compacts once and then appends to the log
// (a put, a replacement and a delete), so that what a store reads back
// comes from both the snapshot and the log. It returns what each
// collection holds.
func seedCollections(t *testing.T, dir string, docs map[string]int) map[string]vectorstore.Collection {
	t.Helper()
	ctx := t.Context()
	w, err := Open(dir, Options{CompactMinBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rng := rand.New(rand.NewPCG(11, 11))
	want := map[string]vectorstore.Collection{}
	for name, n := range docs {
		if _, err := w.CreateCollection(ctx, name, testSettings); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			d, ps := testDoc(rng, fmt.Sprintf("doc-%d", i), "v1", 3)
			mustPut(t, w, name, d, ps)
		}
		if err := w.compactNow(name); err != nil {
			t.Fatal(err)
		}
		d, ps := testDoc(rng, "extra", "v1", 2)
		mustPut(t, w, name, d, ps)
		d, ps = testDoc(rng, "doc-0", "v2", 5)
		mustPut(t, w, name, d, ps)
		if _, err := w.Delete(ctx, name, "doc-1", "no-such-doc"); err != nil {
			t.Fatal(err)
		}
		if want[name], err = w.Collection(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestCollections_ReadsHeadersOnly: listing collections reads what it
// reports from the snapshots' headers and the logs' last records: no
// collection is loaded, and the figures are those of the loaded
// collections.
func TestCollections_ReadsHeadersOnly(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	want := seedCollections(t, dir, map[string]int{"a": 40, "b": 7, "c": 0})
	for _, readOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("readonly=%v", readOnly), func(t *testing.T) {
			s := mustOpen(t, dir, Options{ReadOnly: readOnly})
			for range 2 {
				list, err := s.Collections(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n := s.loads.Load(); n != 0 {
					t.Errorf("listing loaded %d collections", n)
				}
				if len(list) != len(want) {
					t.Fatalf("listed %d collections, want %d", len(list), len(want))
				}
				for _, got := range list {
					if w := want[got.Name]; !sameInfo(got, w) {
						t.Errorf("listed %+v\nwant   %+v", got, w)
					}
				}
			}
			// A loaded collection is listed from memory, the others still
			// from disk.
			if _, err := s.Hashes(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			list, err := s.Collections(ctx)
			if err != nil || len(list) != 3 || !sameInfo(list[1], want["b"]) {
				t.Errorf("listing after loading b: %+v, %v", list, err)
			}
			if n := s.loads.Load(); n != 1 {
				t.Errorf("%d collections loaded, want 1", n)
			}
		})
	}
}

func sameInfo(a, b vectorstore.Collection) bool {
	return a.Name == b.Name && a.Settings == b.Settings && a.Documents == b.Documents && a.Passages == b.Passages &&
		a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated)
}

// TestCollections_Version6 reads a data directory written by semsearch's
// snapshot version 6 (testdata/datadir-v6-listing: three documents put, compacted,
// then a put, a replacement and a delete in the log). Its snapshot has no
// summary, so listing reads it once; a writer rewrites it in version 7;
// after it is closed as idle, listing does not read it again. A read-only
// store lists it the same way, without rewriting it.
func TestCollections_Version6(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		dir := t.TempDir()
		for _, f := range []string{"fixture.collection", "fixture.wal"} {
			b, err := os.ReadFile(filepath.Join("testdata/datadir-v6-listing", f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s := mustOpen(t, dir, Options{IdleClose: time.Minute})
		list, err := s.Collections(ctx)
		if err != nil || len(list) != 1 || list[0].Documents != 3 || list[0].Passages != 9 {
			t.Fatalf("Collections = %+v, %v; want fixture with 3 documents, 9 passages", list, err)
		}
		hashes, err := s.Hashes(ctx, "fixture")
		if err != nil || fmt.Sprint(hashes) != "map[a:v2 c:v1 d:v1]" {
			t.Errorf("Hashes = %v, %v", hashes, err)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if l := s.loaded(); len(l) != 0 {
			t.Fatalf("loaded after idling: %v", l)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "fixture.collection")); err != nil || !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("the writer left the snapshot starting %.24q, %v; want it rewritten as %q", b, err, magic)
		}
		loads := s.loads.Load()
		again, err := s.Collections(ctx)
		if err != nil || len(again) != 1 || !sameInfo(again[0], list[0]) {
			t.Errorf("Collections after closing = %+v, %v; want %+v", again, err, list)
		}
		if n := s.loads.Load(); n != loads {
			t.Errorf("listing a closed version 6 collection loaded it again")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCollections_Version6ReadOnly(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"fixture.collection", "fixture.wal"} {
		b, err := os.ReadFile(filepath.Join("testdata/datadir-v6-listing", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := mustOpen(t, dir, Options{ReadOnly: true})
	list, err := s.Collections(t.Context())
	if err != nil || len(list) != 1 || list[0].Documents != 3 || list[0].Passages != 9 {
		t.Fatalf("Collections = %+v, %v; want fixture with 3 documents, 9 passages", list, err)
	}
	if _, passages := contents(t, s, "fixture"); fmt.Sprint(passages) != "map[a:[v2 v2 v2 v2] c:[v1 v1 v1] d:[v1 v1]]" {
		t.Errorf("passages by document = %v", passages)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "fixture.collection")); err != nil || !bytes.HasPrefix(b, []byte(magicV6)) {
		t.Errorf("a read-only store changed the snapshot: it starts %.24q, %v", b, err)
	}
}

// bigAndSmall writes collections "big" and "small" into dir.
func bigAndSmall(t *testing.T, dir string) {
	t.Helper()
	seedCollections(t, dir, map[string]int{"big": 50, "small": 3})
}

// stallBound is how long a test waits for something that, done right,
// happens at once; only a broken store reaches it (a goroutine blocked on a
// mutex is not one synctest can see, so these tests run in real time).
const stallBound = 30 * time.Second

// TestLoad_DoesNotStallOthers: while one collection is being loaded (held
// in the middle by a test hook), queries on another and listing answer.
func TestLoad_DoesNotStallOthers(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	bigAndSmall(t, dir)
	s := mustOpen(t, dir, Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	s.testHookLoad = func(ctx context.Context, name string) {
		if name == "big" {
			close(entered)
			<-release
		}
	}
	v := storebench.UnitVector(rand.New(rand.NewPCG(1, 1)), testDims)
	bigDone := make(chan error, 1)
	go func() {
		_, err := s.Query(ctx, "big", v, 3, vectorstore.Filter{})
		bigDone <- err
	}()
	<-entered
	smallDone := make(chan error, 1)
	go func() {
		hits, err := s.Query(ctx, "small", v, 3, vectorstore.Filter{})
		if err == nil && len(hits) != 3 {
			err = fmt.Errorf("%d hits, want 3", len(hits))
		}
		if err == nil {
			_, err = s.Collections(ctx)
		}
		smallDone <- err
	}()
	select {
	case err := <-smallDone:
		if err != nil {
			t.Errorf("query on small while big loads: %v", err)
		}
	case <-time.After(stallBound):
		t.Errorf("a query on small waited for big to load")
		defer func() { <-smallDone }()
	}
	close(release)
	if err := <-bigDone; err != nil {
		t.Errorf("query on big: %v", err)
	}
}

// TestLoad_Cancelled: a load whose context ends stops and leaves nothing
// loaded; a caller waiting for another's load gives up when its own
// context ends; the next use loads the collection whole.
func TestLoad_Cancelled(t *testing.T) {
	dir := t.TempDir()
	bigAndSmall(t, dir)
	s := mustOpen(t, dir, Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.testHookLoad = func(ctx context.Context, name string) {
		once.Do(func() {
			close(entered)
			<-release // a slow disk: the callers give up meanwhile
		})
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	done1 := make(chan error, 1)
	go func() {
		_, err := s.Hashes(ctx1, "big")
		done1 <- err
	}()
	<-entered
	ctx2, cancel2 := context.WithCancel(t.Context())
	done2 := make(chan error, 1)
	go func() {
		_, err := s.Document(ctx2, "big", "doc-2")
		done2 <- err
	}()
	cancel2()
	select {
	case err := <-done2:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("waiting caller, cancelled: %v, want context.Canceled", err)
		}
	case <-time.After(stallBound):
		t.Errorf("a cancelled caller went on waiting for another's load")
	}
	cancel1()
	close(release)
	if err := <-done1; !errors.Is(err, context.Canceled) {
		t.Errorf("loading caller, cancelled: %v, want context.Canceled", err)
	}
	if l := s.loaded(); len(l) != 0 {
		t.Errorf("a cancelled load left %v loaded", l)
	}
	hashes, err := s.Hashes(t.Context(), "big")
	if err != nil || len(hashes) != 50 { // 50 - doc-1 + extra
		t.Errorf("after the cancelled load: %d documents, %v; want 50", len(hashes), err)
	}
}

// TestIdleClose: a collection unused for IdleClose is closed (its memory
// released) and reopens on its next use, with every write it took; one in
// use stays open; listing reports a closed collection without loading it.
func TestIdleClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		dir := t.TempDir()
		s := mustOpen(t, dir, Options{IdleClose: 10 * time.Minute})
		rng := rand.New(rand.NewPCG(3, 3))
		for _, name := range []string{"busy", "idle"} {
			if _, err := s.CreateCollection(ctx, name, testSettings); err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				d, ps := testDoc(rng, fmt.Sprintf("doc-%d", i), "v1", 3)
				mustPut(t, s, name, d, ps)
			}
		}
		// Not flushed: closing makes the log durable itself.
		for range 3 {
			time.Sleep(4 * time.Minute)
			if _, err := s.Hashes(ctx, "busy"); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if l := s.loaded(); !slices.Equal(l, []string{"busy"}) {
			t.Errorf("after 12 minutes, loaded = %v, want [busy]", l)
		}
		loads := s.loads.Load()
		list, err := s.Collections(ctx)
		if err != nil || len(list) != 2 || list[1].Name != "idle" || list[1].Documents != 4 || list[1].Passages != 12 {
			t.Errorf("Collections = %+v, %v", list, err)
		}
		if s.loads.Load() != loads {
			t.Errorf("listing loaded the closed collection")
		}
		// Writes reopen it.
		d, ps := testDoc(rng, "doc-1", "v2", 3)
		mustPut(t, s, "idle", d, ps)
		checkContents(t, s, "idle", map[string]string{"doc-0": "v1", "doc-1": "v2", "doc-2": "v1", "doc-3": "v1"}, 3)
		time.Sleep(11 * time.Minute)
		synctest.Wait()
		if l := s.loaded(); len(l) != 0 {
			t.Errorf("after 11 idle minutes, loaded = %v", l)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		r := mustOpen(t, dir, Options{ReadOnly: true})
		checkContents(t, r, "idle", map[string]string{"doc-0": "v1", "doc-1": "v2", "doc-2": "v1", "doc-3": "v1"}, 3)
	})
}

// TestIdleClose_Never: IdleClose 0 keeps collections open.
func TestIdleClose_Never(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustOpen(t, t.TempDir(), Options{})
		if _, err := s.CreateCollection(t.Context(), "c", testSettings); err != nil {
			t.Fatal(err)
		}
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if l := s.loaded(); !slices.Equal(l, []string{"c"}) {
			t.Errorf("loaded = %v, want [c]", l)
		}
		s.Close()
	})
}

// TestIdleClose_Concurrent closes collections as fast as it can while
// writers and readers use them: no write is lost, no reader sees half a
// document, and nothing fails.
func TestIdleClose_Concurrent(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{CompactMinBytes: 1 << 10, CompactFraction: 0.1})
	for _, name := range []string{"x", "y"} {
		if _, err := s.CreateCollection(ctx, name, testSettings); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				s.closeIdle(time.Now().Add(time.Hour), time.Nanosecond)
			}
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w, name := range []string{"x", "y"} {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 60 {
				d, ps := testDoc(rng, fmt.Sprintf("doc-%d", i%20), fmt.Sprintf("v%d", i/20), 3)
				if err := s.Put(ctx, name, d, ps); err != nil {
					errs <- err
					return
				}
				if i%7 == 0 {
					if err := s.Flush(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
		})
		wg.Go(func() {
			v := storebench.UnitVector(rand.New(rand.NewPCG(4, 4)), testDims)
			for range 60 {
				hits, err := s.Query(ctx, name, v, 100, vectorstore.Filter{})
				if err != nil {
					errs <- err
					return
				}
				versions := map[string]string{}
				for _, h := range hits {
					m := h.Text[len(h.DocID)+1:][:2]
					if old, ok := versions[h.DocID]; ok && old != m {
						errs <- fmt.Errorf("document %s has passages of %s and %s", h.DocID, old, m)
						return
					}
					versions[h.DocID] = m
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := map[string]string{}
	for i := range 20 {
		want[fmt.Sprintf("doc-%d", i)] = "v2"
	}
	for _, name := range []string{"x", "y"} {
		checkContents(t, s, name, want, 3)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	for _, name := range []string{"x", "y"} {
		checkContents(t, r, name, want, 3)
	}
}

// TestReplaceCollection_TargetNotLoaded: switching a staged collection over
// one that is not loaded (a rebuild of a collection closed as idle) reads
// only the target's header, not the collection, and the result is the
// staged contents, which survive a reopen.
func TestReplaceCollection_TargetNotLoaded(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	seedCollections(t, dir, map[string]int{"c": 30, "stage": 4})
	s := mustOpen(t, dir, Options{CompactMinBytes: -1})
	if _, err := s.Hashes(ctx, "stage"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceCollection(ctx, "c", "stage"); err != nil {
		t.Fatal(err)
	}
	if n := s.loads.Load(); n != 1 {
		t.Errorf("%d collections loaded, want 1 (the staged one)", n)
	}
	want := map[string]string{"doc-0": "v2", "doc-2": "v1", "doc-3": "v1", "extra": "v1"}
	hashes, err := s.Hashes(ctx, "c")
	if err != nil || fmt.Sprint(hashes) != fmt.Sprint(want) {
		t.Errorf("after the switch: %v, %v; want %v", hashes, err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, Options{ReadOnly: true})
	hashes, err = r.Hashes(ctx, "c")
	if err != nil || fmt.Sprint(hashes) != fmt.Sprint(want) {
		t.Errorf("reopened: %v, %v; want %v", hashes, err, want)
	}
	if _, err := r.Collection(ctx, "stage"); !errors.Is(err, vectorstore.ErrNotFound) {
		t.Errorf("the staged collection is still there: %v", err)
	}
}
