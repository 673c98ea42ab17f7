package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
)

// The collections RSS test (make bench-collections): five collections of
// 100,000 passages of 768 dimensions on disk (about 2 GB), a server over
// them scraped on /metrics and /readyz, and one collection searched. The
// server's resident memory must stay that of the one collection searched:
// listing collections reads no vectors; and once that collection is unused
// for rssIdleClose, it is closed and the memory given back. It is heavy, so it runs only with
// SEMSEARCH_BENCH_COLLECTIONS=1; the data directory is kept in
// SEMSEARCH_BENCH_DIR (default: a temporary one) for the next run.
const (
	rssCollections = 5
	rssPassages    = 100_000
	rssDims        = 768
	rssPerDoc      = 10 // passages per document
	rssChildEnv    = "SEMSEARCH_BENCH_COLLECTIONS_SERVE"
	rssIdleClose   = 5 * time.Second
)

func TestCollectionsRSS(t *testing.T) {
	if dir := os.Getenv(rssChildEnv); dir != "" {
		serveAndMeasure(t, dir)
		return
	}
	if os.Getenv("SEMSEARCH_BENCH_COLLECTIONS") == "" {
		t.Skip("heavy (2 GB on disk): run with SEMSEARCH_BENCH_COLLECTIONS=1 (make bench-collections)")
	}
	dir := os.Getenv("SEMSEARCH_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	start := time.Now()
	if err := seedRSSCollections(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("data directory %s ready in %s", dir, time.Since(start).Round(time.Second))
	// The server runs in a process of its own, so that its memory is
	// only what serving took, not what writing the collections did.
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCollectionsRSS$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), rssChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fmt.Println(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("server process: %v", err)
	}
}

func rssName(i int) string { return fmt.Sprintf("rss%d", i) }

// seedRSSCollections writes the collections into dir unless they are there.
func seedRSSCollections(ctx context.Context, dir string) error {
	for i := range rssCollections {
		if err := seedRSSCollection(ctx, dir, rssName(i), uint64(i)); err != nil {
			return err
		}
	}
	return nil
}

// seedRSSCollection writes one collection, with a store of its own so
// that its memory is released before the next.
func seedRSSCollection(ctx context.Context, dir, name string, seed uint64) error {
	s, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.Collections(ctx)
	if err != nil {
		return err
	}
	for _, c := range list {
		if c.Name == name && c.Passages == rssPassages {
			return nil
		}
	}
	_ = s.DeleteCollection(ctx, name)
	set := vectorstore.Settings{Model: "bench", Dimensions: rssDims, Chunking: "words"}
	if _, err := s.CreateCollection(ctx, name, set); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 768))
	for d := range rssPassages / rssPerDoc {
		id := fmt.Sprintf("doc-%06d", d)
		var text strings.Builder
		ps := make([]vectorstore.Passage, rssPerDoc)
		for p := range ps {
			start := text.Len()
			fmt.Fprintf(&text, "document %d passage %d of collection %s.\n", d, p, name)
			ps[p] = vectorstore.Passage{Chunk: p, Start: start, End: text.Len(), LineStart: p + 1, LineEnd: p + 1,
				Vector: storebench.UnitVector(rng, rssDims)}
		}
		doc := vectorstore.Document{ID: id, Source: id + ".txt", Title: id, Hash: id, Text: text.String()}
		for p := range ps {
			ps[p].Text = doc.Text[ps[p].Start:ps[p].End]
		}
		if err := s.Put(ctx, name, doc, ps); err != nil {
			return err
		}
	}
	return s.Close()
}

// rssEmbedder embeds a query as a fixed unit vector of rssDims.
type rssEmbedder struct{}

func (rssEmbedder) vector() []float32 {
	return storebench.UnitVector(rand.New(rand.NewPCG(1, 2)), rssDims)
}

func (e rssEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = e.vector()
	}
	return out, nil
}

func (e rssEmbedder) EmbedQuery(context.Context, string) ([]float32, error) { return e.vector(), nil }

// serveAndMeasure serves dir, scrapes, searches one collection, and prints
// the process's resident memory at each step.
func serveAndMeasure(t *testing.T, dir string) {
	var base int64
	report := func(step string) int64 {
		rss, hwm := procStatus(t, "VmRSS"), procStatus(t, "VmHWM")
		fmt.Printf("RSS %-44s %6d MiB (peak %6d MiB)\n", step, rss>>20, hwm>>20)
		return rss
	}
	start := time.Now()
	store, err := embedded.Open(dir, embedded.Options{IdleClose: rssIdleClose})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := engine.New(store, rssEmbedder{}, engine.Config{Model: "bench", Mode: engine.Vector, Chunk: chunk.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Collection: rssName(0), ValidCollection: vectorstore.ValidName, Model: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	base = report("server started")
	// One collection's vectors: float32 and int8 copies; slack for the
	// runtime's own growth (HTTP, metrics).
	one := int64(rssPassages) * rssDims * 5
	const slack = 64 << 20
	get := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	scrape := func() time.Duration {
		t0 := time.Now()
		for range 10 {
			m := get("/metrics")
			if !strings.Contains(m, fmt.Sprintf(`collection="%s"} %d`, rssName(rssCollections-1), rssPassages)) {
				t.Fatalf("/metrics does not count the passages of %s", rssName(rssCollections-1))
			}
			get("/readyz")
		}
		return time.Since(t0) / 10
	}
	d := scrape()
	scraped := report(fmt.Sprintf("10 x /metrics + /readyz (%s each)", d.Round(time.Millisecond)))
	t0 := time.Now()
	resp, err := http.Post(srv.URL+"/v1/search", "application/json",
		strings.NewReader(fmt.Sprintf(`{"query": "anything", "k": 5, "collection": %q}`, rssName(0))))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"doc_id"`) {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	report(fmt.Sprintf("search %s (%s, loading it)", rssName(0), time.Since(t0).Round(time.Millisecond)))
	d = scrape()
	after := report(fmt.Sprintf("10 x /metrics + /readyz again (%s each)", d.Round(time.Millisecond)))
	// Unused, the collection is closed and its memory goes back to the
	// system: wait for that (scrapes are no use of a collection).
	idleFrom := time.Now()
	var idled int64
	for deadline := idleFrom.Add(time.Minute); ; {
		runtime.GC()
		debug.FreeOSMemory()
		if idled = procStatus(t, "VmRSS"); idled < base+one/4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // polling the RSS, not synchronising
	}
	scrape()
	idled = report(fmt.Sprintf("idle-close %s: closed after %s", rssIdleClose, time.Since(idleFrom).Round(100*time.Millisecond)))
	fmt.Printf("collections: %d x %d passages x %d dimensions; total %s in %s\n",
		rssCollections, rssPassages, rssDims, time.Since(start).Round(time.Millisecond), dir)

	if scraped-base > one/4+slack {
		t.Errorf("scraping took %d MiB: listing loads collections", (scraped-base)>>20)
	}
	if after-base > 2*one+slack {
		t.Errorf("after one search and scrapes: %d MiB over the start, more than one collection's %d MiB x 2", (after-base)>>20, one>>20)
	}
	if idled-base > one/4+slack {
		t.Errorf("after %s unused: %d MiB over the start; the collection was not closed", rssIdleClose, (idled-base)>>20)
	}
}

// procStatus reads a memory figure (kB) of /proc/self/status, in bytes.
func procStatus(t *testing.T, key string) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", "self", "status"))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}
