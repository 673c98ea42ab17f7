package embedded

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/crashtest"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

var crashTrials = flag.Int("crash-trials", 3, "SIGKILLed writers in TestCrash_WriterKilled (make crash-store runs more)")

const (
	crashDocs = 20  // distinct document ids
	crashOps  = 400 // puts in a full writer run: op i writes doc i%crashDocs at version i
)

// TestMain lets the test binary act as the writer TestCrash_WriterKilled
// kills: with SEMSEARCH_STORE_CRASH_DIR set it runs crashWriter and exits.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SEMSEARCH_STORE_CRASH_DIR"); dir != "" {
		if err := crashWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashDoc is op i's document: 3 passages marked "v<i>" with vectors
// seeded by i.
func crashDoc(i int) (vectorstore.Document, []vectorstore.Passage) {
	return testDoc(rand.New(rand.NewPCG(uint64(i), 77)), fmt.Sprintf("d%02d", i%crashDocs), "v"+strconv.Itoa(i), 3)
}

// crashWriter performs every op with a Flush after each, printing "ack i"
// once op i is durable. Compactions run often (every few KB of log).
func crashWriter(dir string) error {
	ctx := context.Background()
	s, err := Open(dir, Options{CompactMinBytes: 4 << 10, CompactFraction: 0.1})
	if err != nil {
		return err
	}
	if _, err := s.CreateCollection(ctx, "c", testSettings); err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for i := range crashOps {
		d, ps := crashDoc(i)
		if err := s.Put(ctx, "c", d, ps); err != nil {
			return err
		}
		if err := s.Flush(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "ack", i)
		out.Flush()
	}
	return s.Close()
}

// TestCrash_WriterKilled SIGKILLs a writer process (puts, flushes and
// background compactions) at random points. The store must always open;
// every document must be whole, one op's version with that op's vectors, no
// older than its last acknowledged write; and rerunning the writer must end
// in the state of an uninterrupted run.
func TestCrash_WriterKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	final := map[string]string{}
	for i := range crashOps {
		d, _ := crashDoc(i)
		final[d.ID] = d.Hash
	}
	writer := func(dir string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SEMSEARCH_STORE_CRASH_DIR="+dir)
		return cmd
	}
	// How long an uninterrupted run takes, to spread the kills over it.
	start := time.Now()
	if out, err := writer(t.TempDir()).CombinedOutput(); err != nil {
		t.Fatalf("writer: %v\n%s", err, out)
	}
	full := time.Since(start)
	for trial := range *crashTrials {
		dir := t.TempDir()
		delay := time.Duration(rng.Int64N(int64(full)))
		last := crashtest.Kill(t, writer(dir), delay)

		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("trial %d (killed after %v, op %d acknowledged): open: %v", trial, delay, last, err)
		}
		hashes := map[string]string{}
		if _, err := s.Collection(ctx, "c"); err == nil {
			hashes = checkCrashState(t, s, last)
		} else if last >= 0 {
			t.Fatalf("trial %d: collection lost after op %d was acknowledged: %v", trial, last, err)
		}
		t.Logf("trial %d: killed after %v, %d ops acknowledged, %d documents stored", trial, delay.Round(time.Millisecond), last+1, len(hashes))
		s.Close()
		if out, err := writer(dir).CombinedOutput(); err != nil {
			t.Fatalf("trial %d: rerun: %v\n%s", trial, err, out)
		}
		s = mustOpen(t, dir, Options{ReadOnly: true})
		checkContents(t, s, "c", final, 3)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// checkCrashState checks every stored document against the ops and returns
// the stored hashes.
func checkCrashState(t *testing.T, s *Store, lastAcked int) map[string]string {
	t.Helper()
	ctx := t.Context()
	hashes, err := s.Hashes(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	for i := range min(lastAcked+1, crashDocs) {
		id := fmt.Sprintf("d%02d", i)
		if _, ok := hashes[id]; !ok {
			t.Errorf("%s lost though acknowledged", id)
		}
	}
	for id, h := range hashes {
		op, err := strconv.Atoi(strings.TrimPrefix(h, "v"))
		if err != nil || op%crashDocs != mustAtoi(id[1:]) {
			t.Fatalf("%s has hash %q", id, h)
		}
		// The last acknowledged op on this document.
		ack := lastAcked - ((lastAcked-op%crashDocs)%crashDocs+crashDocs)%crashDocs
		if op < ack {
			t.Errorf("%s at op %d, but op %d on it was acknowledged", id, op, ack)
		}
		d, ps := crashDoc(op)
		keys := make([]vectorstore.PassageKey, len(ps))
		for i := range keys {
			keys[i] = vectorstore.PassageKey{DocID: id, Chunk: i}
		}
		hits, err := s.Lookup(ctx, "c", keys)
		if err != nil || len(hits) != len(ps) {
			t.Fatalf("%s: %d passages (%v)", id, len(hits), err)
		}
		for i, h := range hits {
			if h.Text != ps[i].Text || !close32(h.Vector, ps[i].Vector) {
				t.Errorf("%s passage %d is not op %d's (text %q)", id, i, op, h.Text)
			}
		}
		if got, err := s.Document(ctx, "c", id); err != nil || got.Text != d.Text {
			t.Errorf("%s: text is not op %d's (%v)", id, op, err)
		}
	}
	return hashes
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func close32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return true
}
