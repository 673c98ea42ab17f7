package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// trials says how many trials a fault gets in the full and the short suite.
type trials struct{ full, short int }

// The suite's size. The issue asks for at least 20 kills of index during new
// and update runs and 5 of serve.
var (
	killNewTrials    = trials{20, 2}
	killUpdateTrials = trials{20, 1}
	killServeTrials  = trials{5, 1}
	ollamaTrials     = trials{3, 1}
	diskTrials       = trials{3, 1}
	articles         = 16
	// commandTimeout is past every limit semsearch sets itself (--timeout,
	// --ollama-timeout with its retries): a command still running then hangs.
	commandTimeout   = 5 * time.Minute
	searchTimeoutArg = "--timeout=2m"
)

// suite holds the binary, the runtime and the reference data every fault
// compares against.
type suite struct {
	t      *testing.T
	bin    string
	ollama string
	model  string
	full   bool
	work   string
	rng    *rand.Rand

	v1, v2         string   // corpus directories: v2 appends a paragraph to each v1 article
	corpus         string   // what runs index: a link to v1 or v2, so both versions have one source path (see use)
	ids            []string // article ids, as index stores them
	words1, words2 []string // words1[i] is in v1 and v2 of article i; words2[i] only in v2
	ref1, ref2     map[string]docInfo
	ref1Data       string        // a data directory holding v1, indexed without faults
	t1, t2         time.Duration // uninterrupted run times: new (v1), update (v1 -> v2)

	table []*row
}

type docInfo struct {
	Hash     string `json:"hash"`
	Passages int    `json:"passages"`
}

type row struct {
	fault            string
	trials, failures int
	note             string
}

func TestChaos(t *testing.T) {
	mode := os.Getenv("SEMSEARCH_CHAOS")
	if mode == "" && os.Getenv("SEMSEARCH_TEST_OLLAMA") == "1" {
		mode = "short"
	}
	ollama, model := os.Getenv("OLLAMA_HOST"), os.Getenv("SEMSEARCH_MODEL")
	if mode == "" || ollama == "" || model == "" {
		t.Skip("the fault suite needs the real runtime: `make chaos`, or set SEMSEARCH_CHAOS=short|full with OLLAMA_HOST and SEMSEARCH_MODEL")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	s := &suite{t: t, ollama: ollama, model: model, full: mode == "full", work: t.TempDir(), rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))}
	s.bin = os.Getenv("SEMSEARCH_BIN")
	if s.bin == "" {
		s.bin = filepath.Join(s.work, "semsearch")
		if out, err := exec.Command("go", "build", "-o", s.bin, "../cmd/semsearch").CombinedOutput(); err != nil {
			t.Fatalf("build semsearch: %v\n%s", err, out)
		}
	}
	s.setup()

	s.fault("SIGKILL index, new collection", killNewTrials, s.killIndexNew)
	s.fault("SIGKILL index, update run", killUpdateTrials, s.killIndexUpdate)
	s.fault("SIGKILL serve, 8 concurrent writers", killServeTrials, s.killServe)
	s.fault("Ollama killed during index", ollamaTrials, s.ollamaKilledIndex)
	s.fault("Ollama hung during index", ollamaTrials, s.ollamaHungIndex)
	s.fault("Ollama killed during search", ollamaTrials, s.ollamaKilledSearch)
	s.fault("Ollama hung during search and /readyz", ollamaTrials, s.ollamaHungSearch)
	s.fault("Ollama hung during hybrid search", ollamaTrials, s.ollamaHungHybrid)
	s.fault("full disk (tmpfs), new and update", diskTrials, s.fullDisk)
	s.fault("serve on a full disk (tmpfs), writes and searches", diskTrials, s.fullDiskServe)
	s.fault("read-only data directory", diskTrials, s.readOnly)
	s.fault("crash litter (*.tmp) removed on open", trials{1, 1}, s.litter)
	s.fault("import of a cut export (whole lines / mid-line)", trials{4, 2}, s.importDamagedExport)
	s.fault("SIGKILL index --rebuild", rebuildTrials, s.killRebuild())
	s.fault("SIGKILL watch during a burst of changes", watchTrials, s.killWatch())
	s.corruption()

	var b strings.Builder
	fmt.Fprintf(&b, "\nsemsearch fault suite (%s): %d articles, index %s new, %s update\n", mode, articles, s.t1.Round(time.Millisecond), s.t2.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-52s %7s %9s  %s\n", "FAULT", "TRIALS", "FAILURES", "NOTE")
	for _, r := range s.table {
		fmt.Fprintf(&b, "%-52s %7d %9d  %s\n", r.fault, r.trials, r.failures, r.note)
	}
	fmt.Fprint(os.Stdout, b.String())
	t.Log(b.String())
}

// fault runs fn for the suite's number of trials, counting failures.
func (s *suite) fault(name string, n trials, fn func(trial int) error) {
	if only := os.Getenv("SEMSEARCH_CHAOS_ONLY"); only != "" && !regexp.MustCompile(only).MatchString(name) {
		return // SEMSEARCH_CHAOS_ONLY: a regexp of the faults to run
	}
	count := n.short
	if s.full {
		count = n.full
	}
	r := &row{fault: name}
	s.table = append(s.table, r)
	s.t.Run(name, func(t *testing.T) {
		for i := range count {
			err := fn(i)
			var skip skipError
			if errors.As(err, &skip) {
				r.note = string(skip)
				t.Skip(string(skip))
			}
			r.trials++
			if err != nil {
				r.failures++
				t.Errorf("trial %d: %v", i, err)
			}
		}
	})
}

// skipError skips a fault that cannot run here (e.g. a tmpfs without root).
type skipError string

func (e skipError) Error() string { return string(e) }

// --- corpus and reference ---

// use points the corpus link at dir (v1 or v2) and returns the link: a
// user edits files in place, so both versions of an article come from the
// same path, and index refuses an id whose source moved.
func (s *suite) use(dir string) string {
	s.t.Helper()
	tmp := s.corpus + ".new"
	os.Remove(tmp)
	if err := os.Symlink(dir, tmp); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.corpus); err != nil {
		s.t.Fatal(err)
	}
	return s.corpus
}

var vocabulary = strings.Fields(`government minister election party vote policy economy market bank
	company shares profit growth price oil energy workers union strike court judge police report
	music film actor award festival album band concert theatre television series audience player
	match team club season league goal coach injury victory defeat champion record software computer
	internet phone mobile network users data security technology research science doctors hospital
	health patients school students teachers university city country world president officials
	plans budget tax spending jobs trade exports airline travel weather storm river village family
	children history museum painting library book author story newspaper radio station website`)

// uniqueWord is a made-up word no other article holds.
func uniqueWord(prefix string, i int) string {
	return fmt.Sprintf("%s%c%cv", prefix, 'a'+i/26, 'a'+i%26)
}

func (s *suite) paragraph(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	return strings.ToUpper(w[0][:1]) + strings.Join(w, " ")[1:] + "."
}

func (s *suite) setup() {
	t := s.t
	rng := rand.New(rand.NewPCG(1, 2)) // the corpus is the same every run
	s.v1, s.v2 = filepath.Join(s.work, "v1"), filepath.Join(s.work, "v2")
	s.corpus = filepath.Join(s.work, "corpus")
	for _, d := range []string{s.v1, s.v2} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range articles {
		id := fmt.Sprintf("a%02d.txt", i)
		w1, w2 := uniqueWord("xq", i), uniqueWord("yq", i)
		title := "Report on " + vocabulary[rng.IntN(len(vocabulary))]
		v1 := title + "\n\n" + s.paragraph(rng, 30) + "\n\n" + s.paragraph(rng, 15) + " The " + w1 + " matters. " + s.paragraph(rng, 15) + "\n"
		v2 := v1 + "\nUpdate: " + s.paragraph(rng, 15) + " Then " + w2 + " came.\n"
		if err := os.WriteFile(filepath.Join(s.v1, id), []byte(v1), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.v2, id), []byte(v2), 0o644); err != nil {
			t.Fatal(err)
		}
		s.ids, s.words1, s.words2 = append(s.ids, id), append(s.words1, w1), append(s.words2, w2)
	}
	s.ref1Data = filepath.Join(s.work, "ref1")
	start := time.Now()
	if r := s.run(s.ref1Data, "index", s.use(s.v1)); r.code != 0 {
		t.Fatalf("reference index v1: %s", r)
	}
	s.t1 = time.Since(start)
	s.ref1 = s.listDocs(s.ref1Data)
	ref2Data := filepath.Join(s.work, "ref2")
	copyDir(t, s.ref1Data, ref2Data)
	start = time.Now()
	if r := s.run(ref2Data, "index", s.use(s.v2)); r.code != 0 {
		t.Fatalf("reference index v2: %s", r)
	}
	s.t2 = time.Since(start)
	s.ref2 = s.listDocs(ref2Data)
	if len(s.ref1) != articles || len(s.ref2) != articles {
		t.Fatalf("reference runs hold %d and %d articles, want %d", len(s.ref1), len(s.ref2), articles)
	}
}

// --- running semsearch ---

type result struct {
	args     []string
	out, err string
	code     int
	took     time.Duration
	timedOut bool
}

func (r result) String() string {
	return fmt.Sprintf("`semsearch %s`: exit %d after %s%s\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code,
		r.took.Round(time.Millisecond), map[bool]string{true: " (KILLED: it hung)"}[r.timedOut], clip(r.out), clip(r.err))
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1500 {
		return s[:700] + " ... " + s[len(s)-700:]
	}
	return s
}

// args puts the common flags after the command name.
func (s *suite) args(data, ollama string, cmd string, rest ...string) []string {
	a := []string{cmd, "--data", data, "--model", s.model, "--ollama", ollama, "--batch-size", "4", "--collection", "news"}
	return append(a, rest...)
}

// run runs a command to completion, killing it after commandTimeout.
func (s *suite) run(data, cmd string, rest ...string) result {
	return s.runVia(s.ollama, data, cmd, rest...)
}

func (s *suite) runVia(ollama, data, cmd string, rest ...string) result {
	r := s.runOnce(ollama, data, cmd, rest...)
	if r.code != 0 && ollama == s.ollama && strings.Contains(r.err, "did not answer") {
		// The shared runtime itself was too slow (other jobs load it): that
		// is not the fault under test, and semsearch said so. Try once more.
		s.t.Logf("the runtime did not answer in time; retrying once: %s", clip(r.err))
		time.Sleep(5 * time.Second)
		r = s.runOnce(ollama, data, cmd, rest...)
	}
	return r
}

func (s *suite) runOnce(ollama, data, cmd string, rest ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args := s.args(data, ollama, cmd, rest...)
	c := exec.CommandContext(ctx, s.bin, args...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	start := time.Now()
	err := c.Run()
	r := result{args: args, out: out.String(), err: errOut.String(), took: time.Since(start), timedOut: ctx.Err() != nil}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.code = -1
		r.err += "\n(start: " + err.Error() + ")"
	}
	return r
}

// healthy checks what every command's outcome must show: no hang, no
// crash, and a failure that says what went wrong in one line.
func healthy(r result) error {
	switch {
	case r.timedOut:
		return fmt.Errorf("hung: %s", r)
	case strings.Contains(r.err, "panic:") || strings.Contains(r.err, "goroutine ") || r.code < 0 || r.code > 2:
		return fmt.Errorf("crashed: %s", r)
	case r.code != 0 && !strings.Contains(r.err, "semsearch: "):
		return fmt.Errorf("failed without saying why: %s", r)
	case r.code != 0 && strings.Contains(r.err, "semsearch: internal error"):
		return fmt.Errorf("failed with a generic message: %s", r)
	}
	return nil
}

// start starts a command in the background.
func (s *suite) start(ollama, data, cmd string, rest ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	c := exec.Command(s.bin, s.args(data, ollama, cmd, rest...)...)
	out, errOut := &syncBuffer{}, &syncBuffer{}
	c.Stdout, c.Stderr = out, errOut
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	return c, out, errOut
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// killAfter SIGKILLs c after d unless it exits first, and waits for it. It
// reports whether the kill happened.
func killAfter(c *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		c.Process.Signal(syscall.SIGKILL)
		<-done
		return true
	}
}

// randDur is a random duration in [lo, hi).
func (s *suite) randDur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// --- what the data directory holds ---

// listDocs returns what `list --json` shows: id -> hash and passages; empty
// when the collection does not exist yet.
func (s *suite) listDocs(data string) map[string]docInfo {
	docs, err := s.tryListDocs(data)
	if err != nil {
		s.t.Fatal(err)
	}
	return docs
}

func (s *suite) tryListDocs(data string) (map[string]docInfo, error) {
	r := s.run(data, "list", "--json")
	if err := healthy(r); err != nil {
		return nil, err
	}
	if r.code != 0 {
		if strings.Contains(r.err, "does not exist") {
			return map[string]docInfo{}, nil
		}
		return nil, fmt.Errorf("list: %s", r)
	}
	var out struct {
		Documents []struct {
			ID string `json:"id"`
			docInfo
		} `json:"documents"`
	}
	if err := json.Unmarshal([]byte(r.out), &out); err != nil {
		return nil, fmt.Errorf("list --json: %v: %s", err, r)
	}
	docs := map[string]docInfo{}
	for _, d := range out.Documents {
		docs[d.ID] = d.docInfo
	}
	return docs, nil
}

// checkVersions: every stored article is one whole known version.
func (s *suite) checkVersions(data string, allowed ...map[string]docInfo) error {
	got, err := s.tryListDocs(data)
	if err != nil {
		return err
	}
	for id, d := range got {
		ok := false
		for _, ref := range allowed {
			ok = ok || ref[id] == d
		}
		if !ok {
			return fmt.Errorf("article %s is stored as %+v, which is no whole version of it (v1 %+v, v2 %+v)", id, d, s.ref1[id], s.ref2[id])
		}
	}
	return nil
}

type searchOut struct {
	Mode     string   `json:"mode"`
	Warnings []string `json:"warnings"`
	Results  []struct {
		DocID   string `json:"doc_id"`
		Text    string `json:"text"`
		Explain *struct {
			BM25Rank int `json:"bm25_rank"`
		} `json:"explain"`
	} `json:"results"`
}

// search runs a JSON search.
func (s *suite) search(ollama, data, mode, query string, extra ...string) (searchOut, result, error) {
	var out searchOut
	args := []string{"--mode", mode, "--json", "--explain", "-k", "3"}
	if !slices.Contains(extra, "--timeout") { // a flag given twice is a usage error
		args = append(args, searchTimeoutArg)
	}
	args = append(args, extra...)
	r := s.runVia(ollama, data, "search", append(args, query)...)
	if err := healthy(r); err != nil {
		return out, r, err
	}
	if r.code == 0 {
		if err := json.Unmarshal([]byte(r.out), &out); err != nil {
			return out, r, fmt.Errorf("search --json: %v: %s", err, r)
		}
	}
	return out, r, nil
}

// checkSearch: a search for article i's word never cites a passage that
// does not hold the word as a BM25 match, and never answers "nothing" while
// the article holds the word, unless it says why (a warning or an error).
func (s *suite) checkSearch(ollama, data, mode string, i int, word string, mustFind bool) error {
	out, r, err := s.search(ollama, data, mode, word)
	if err != nil {
		return err
	}
	if r.code != 0 {
		if strings.Contains(r.err, "does not exist") && !mustFind {
			return nil
		}
		// After a fault, saying it cannot answer and naming the exact fix
		// (e.g. a BM25 index a full disk kept from being written) is right;
		// after a rerun (mustFind) it is not.
		if strings.Contains(r.err, "semsearch repair --collection") && !mustFind {
			return nil
		}
		return fmt.Errorf("%s search %q failed: %s", mode, word, r)
	}
	found := false
	for _, res := range out.Results {
		bm := res.Explain != nil && res.Explain.BM25Rank > 0
		if (mode == "bm25" || bm) && !strings.Contains(strings.ToLower(res.Text), word) {
			return fmt.Errorf("WRONG ANSWER: %s search %q cites %s with a passage that does not hold the word: %s", mode, word, res.DocID, r)
		}
		found = found || (res.DocID == s.ids[i] && strings.Contains(strings.ToLower(res.Text), word))
	}
	if mustFind && !found && len(out.Warnings) == 0 && mode != "vector" {
		return fmt.Errorf("%s search %q did not find %s and gave no warning: %s", mode, word, s.ids[i], r)
	}
	return nil
}

// sample picks n article indexes.
func (s *suite) sample(n int) []int {
	return s.rng.Perm(articles)[:min(n, articles)]
}

// checkConverged: the data directory holds exactly ref, and BM25 finds
// each sampled article by its word.
func (s *suite) checkConverged(data string, ref map[string]docInfo, words []string) error {
	got, err := s.tryListDocs(data)
	if err != nil {
		return err
	}
	if fmt.Sprint(got) != fmt.Sprint(ref) {
		return fmt.Errorf("rerun did not converge: %d articles differ from the uninterrupted run", diffCount(got, ref))
	}
	for _, i := range s.sample(6) {
		if err := s.checkSearch(s.ollama, data, "bm25", i, words[i], true); err != nil {
			return fmt.Errorf("after the rerun: %w", err)
		}
	}
	return nil
}

func diffCount(a, b map[string]docInfo) int {
	n := 0
	for id, d := range a {
		if b[id] != d {
			n++
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			n++
		}
	}
	return n
}

// summaryStored parses the "(N stored)" of an index summary; -1 if absent.
func summaryStored(out string) int {
	m := regexp.MustCompile(`passages? embedded \((\d+) stored\)`).FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// storedPassages is the collection's passage count on disk.
func (s *suite) storedPassages(data string) (int, error) {
	docs, err := s.tryListDocs(data)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range docs {
		n += d.Passages
	}
	return n, nil
}

// unchangedStored parses what the error of a run that stored nothing says
// the collection still holds ("nothing was changed: "c" holds N passages
// as before", or none when it says no more); -1 if it says neither.
func unchangedStored(errOut string) int {
	if m := regexp.MustCompile(`nothing was changed: "[^"]*" holds (\d+) passages? as before`).FindStringSubmatch(errOut); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if strings.Contains(errOut, "(nothing was changed") {
		return 0
	}
	return -1
}

// checkSummary: an index run's summary counts what is on disk; a run that
// failed before storing anything prints none (issue 21 item 8), and its
// error says what the collection holds.
func (s *suite) checkSummary(data string, r result) error {
	said := summaryStored(r.out)
	if said < 0 {
		said = unchangedStored(r.err)
	}
	if said < 0 {
		return fmt.Errorf("no summary: %s", r)
	}
	have, err := s.storedPassages(data)
	if err != nil {
		return err
	}
	if said != have {
		return fmt.Errorf("HIDDEN PARTIAL: the summary says %d passages stored, the disk holds %d: %s", said, have, r)
	}
	return nil
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s *suite) tempData() string {
	d, err := os.MkdirTemp(s.work, "data-")
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// --- SIGKILL of index ---

func (s *suite) killIndexNew(trial int) error {
	data := s.tempData()
	c, _, _ := s.start(s.ollama, data, "index", s.use(s.v1))
	killAfter(c, s.randDur(0, s.t1*6/5))
	if err := s.checkVersions(data, s.ref1); err != nil {
		return err
	}
	for _, i := range s.sample(4) {
		for _, mode := range []string{"bm25", "hybrid"} {
			if err := s.checkSearch(s.ollama, data, mode, i, s.words1[i], false); err != nil {
				return err
			}
		}
	}
	if r := s.run(data, "index", s.use(s.v1)); r.code != 0 {
		return fmt.Errorf("rerun: %s", r)
	}
	return s.checkConverged(data, s.ref1, s.words1)
}

func (s *suite) killIndexUpdate(trial int) error {
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	c, _, _ := s.start(s.ollama, data, "index", s.use(s.v2))
	killAfter(c, s.randDur(0, s.t2*6/5))
	if err := s.checkVersions(data, s.ref1, s.ref2); err != nil {
		return err
	}
	// The new words exist only in v2: a search must never cite the v1
	// passage for them.
	for _, i := range s.sample(4) {
		for _, mode := range []string{"bm25", "hybrid"} {
			if err := s.checkSearch(s.ollama, data, mode, i, s.words2[i], false); err != nil {
				return err
			}
		}
		if err := s.checkSearch(s.ollama, data, "bm25", i, s.words1[i], true); err != nil {
			return err
		}
	}
	if r := s.run(data, "index", s.use(s.v2)); r.code != 0 {
		return fmt.Errorf("rerun: %s", r)
	}
	return s.checkConverged(data, s.ref2, s.words2)
}

// --- SIGKILL of serve under concurrent writes ---

// serve starts `semsearch serve` and returns its base URL.
func (s *suite) serve(ollama, data string) (*exec.Cmd, string, *syncBuffer, error) {
	c, _, errOut := s.start(ollama, data, "serve", "--addr", "127.0.0.1:0")
	re := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			return c, "http://" + m[1], errOut, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Process.Kill()
	c.Wait()
	return nil, "", errOut, fmt.Errorf("serve did not start: %s", clip(errOut.String()))
}

func stopServe(c *exec.Cmd) {
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		<-done
	}
}

func postJSON(client *http.Client, url string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func (s *suite) killServe(trial int) error {
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	c, base, _, err := s.serve(s.ollama, data)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 60 * time.Second}
	type doc struct{ id, word, text string }
	var mu sync.Mutex
	acked, sent := map[string]doc{}, map[string]doc{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(trial), uint64(g)))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				d := doc{id: fmt.Sprintf("w%d-%d-%d", trial, g, n), word: uniqueWord(fmt.Sprintf("zw%c%c", 'a'+g, 'a'+n%26), n/26)}
				d.text = "Written " + d.id + "\n\n" + s.paragraph(rng, 30) + " Also " + d.word + " here."
				mu.Lock()
				sent[d.id] = d
				mu.Unlock()
				status, _, err := postJSON(client, base+"/v1/documents?collection=news", map[string]string{"id": d.id, "title": "Written " + d.id, "text": d.text})
				if err != nil {
					return // the server is gone
				}
				if status == 200 {
					mu.Lock()
					acked[d.id] = d
					mu.Unlock()
				}
			}
		}()
	}
	// Kill at a random moment once writes are being acknowledged.
	for wait := time.Now(); time.Since(wait) < time.Minute; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n > 0 {
			break
		}
	}
	killAfter(c, s.randDur(0, 2*time.Second))
	close(stop)
	wg.Wait()

	c, base, _, err = s.serve(s.ollama, data)
	if err != nil {
		return fmt.Errorf("restart after the kill: %w", err)
	}
	defer stopServe(c)
	for id, d := range sent {
		resp, err := client.Get(base + "/v1/documents/" + id + "?collection=news")
		if err != nil {
			return err
		}
		var got struct {
			Text string `json:"text"`
		}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		_, ack := acked[id]
		switch {
		case resp.StatusCode == 404 && ack:
			return fmt.Errorf("LOST: %s was acknowledged (200) but is gone after the kill (%d acknowledged)", id, len(acked))
		case resp.StatusCode == 404:
			continue
		case resp.StatusCode != 200:
			return fmt.Errorf("GET %s: %d", id, resp.StatusCode)
		case strings.TrimSpace(got.Text) != strings.TrimSpace(d.text):
			return fmt.Errorf("HALF PRESENT: %s holds %q, not what was sent", id, clip(got.Text))
		}
		status, body, err := postJSON(client, base+"/v1/search", map[string]any{"query": d.word, "k": 1, "mode": "bm25", "collection": "news"})
		if err != nil {
			return err
		}
		if status != 200 || !bytes.Contains(body, []byte(`"doc_id":"`+id+`"`)) {
			return fmt.Errorf("%s is stored but BM25 search for %q does not find it: %d %s", id, d.word, status, clip(string(body)))
		}
	}
	if len(acked) == 0 {
		return fmt.Errorf("no write was acknowledged before the kill; the trial tests nothing")
	}
	return nil
}

// --- Ollama killed or hung: a proxy in front of the shared runtime ---

// proxy forwards TCP to the runtime until killed (closes everything:
// connection refused from then on) or hung (accepts and never answers, and
// stops answering requests in flight).
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	hung   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: strings.TrimPrefix(strings.TrimPrefix(target, "http://"), "https://")}
	go p.accept()
	t.Cleanup(p.kill)
	return p
}

func (p *proxy) addr() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		p.mu.Lock()
		hung := p.hung
		p.mu.Unlock()
		if hung {
			go io.Copy(io.Discard, c)
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(up)
		go func() {
			io.Copy(up, c)
			up.Close()
		}()
		go func() {
			io.Copy(c, up)
			p.mu.Lock()
			hung := p.hung
			p.mu.Unlock()
			if !hung {
				c.Close()
			}
		}()
	}
}

// kill closes the listener and every connection.
func (p *proxy) kill() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// hang keeps accepting but answers nothing more: connections to the runtime
// are cut, the clients' stay open.
func (p *proxy) hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hung = true
	for _, c := range p.conns {
		if ra := c.RemoteAddr().String(); strings.HasSuffix(ra, p.target) || ra == p.target {
			c.Close()
		}
	}
}

func saysOllama(r result, what ...string) bool {
	e := strings.ToLower(r.err)
	if !strings.Contains(e, "ollama") {
		return false
	}
	for _, w := range what {
		if strings.Contains(e, w) {
			return true
		}
	}
	return false
}

func (s *suite) ollamaFaultDuringIndex(fault func(*proxy), limit time.Duration, what []string, extra ...string) error {
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	p := newProxy(s.t, s.ollama)
	args := append(extra, s.use(s.v2))
	c, out, errOut := s.start(p.addr(), data, "index", args...)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	time.Sleep(s.randDur(s.t2/10, s.t2/2))
	fault(p)
	faulted := time.Now()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-time.After(limit + 30*time.Second):
		c.Process.Kill()
		<-done
		return fmt.Errorf("HANG: index still running %s after the fault", time.Since(faulted).Round(time.Second))
	}
	r := result{args: c.Args[1:], out: out.String(), err: errOut.String(), took: time.Since(faulted)}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		r.code = ee.ExitCode()
	}
	if err := healthy(r); err != nil {
		return err
	}
	if r.code == 0 {
		return nil // it finished before the fault bit; nothing to check
	}
	if r.took > limit {
		return fmt.Errorf("took %s after the fault to fail (limit %s): %s", r.took.Round(time.Millisecond), limit, r)
	}
	if !saysOllama(r, what...) {
		return fmt.Errorf("the failure does not say Ollama %s: %s", what, r)
	}
	if err := s.checkVersions(data, s.ref1, s.ref2); err != nil {
		return err
	}
	if err := s.checkSummary(data, r); err != nil {
		return err
	}
	if r := s.run(data, "index", s.use(s.v2)); r.code != 0 {
		return fmt.Errorf("rerun with Ollama back: %s", r)
	}
	return s.checkConverged(data, s.ref2, s.words2)
}

func (s *suite) ollamaKilledIndex(int) error {
	return s.ollamaFaultDuringIndex((*proxy).kill, 20*time.Second, []string{"not reachable", "lost", "did not answer"})
}

func (s *suite) ollamaHungIndex(int) error {
	// The hang may come while the model loads, which waits --load-timeout
	// (a real load may take minutes) rather than --ollama-timeout.
	return s.ollamaFaultDuringIndex((*proxy).hang, 20*time.Second, []string{"did not answer", "did not load"}, "--ollama-timeout", "1s", "--load-timeout", "5s")
}

func (s *suite) ollamaKilledSearch(int) error {
	p := newProxy(s.t, s.ollama)
	p.kill()
	i := s.sample(1)[0]
	_, r, err := s.search(p.addr(), s.ref1Data, "hybrid", s.words1[i])
	if err != nil {
		return err
	}
	if r.code == 0 || !saysOllama(r, "not reachable") || r.took > 15*time.Second {
		return fmt.Errorf("hybrid search with Ollama down: want a quick failure saying Ollama is not reachable: %s", r)
	}
	return s.checkSearch(p.addr(), s.ref1Data, "bm25", i, s.words1[i], true)
}

func (s *suite) ollamaHungSearch(int) error {
	p := newProxy(s.t, s.ollama)
	p.hang()
	i := s.sample(1)[0]
	_, r, err := s.search(p.addr(), s.ref1Data, "hybrid", s.words1[i], "--timeout", "4s")
	if err != nil {
		return err
	}
	if r.code == 0 || !saysOllama(r, "did not answer") || r.took > 8*time.Second {
		return fmt.Errorf("hybrid search with Ollama hung: want a failure within --timeout 4s saying Ollama did not answer: %s", r)
	}
	start := time.Now()
	if err := s.checkSearch(p.addr(), s.ref1Data, "bm25", i, s.words1[i], true); err != nil {
		return err
	}
	if took := time.Since(start); took > 5*time.Second {
		return fmt.Errorf("bm25 search with Ollama hung took %s", took)
	}
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	c, base, _, err := s.serve(p.addr(), data)
	if err != nil {
		return err
	}
	defer stopServe(c)
	client := &http.Client{Timeout: 30 * time.Second}
	start = time.Now()
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		return fmt.Errorf("/readyz with Ollama hung: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !bytes.Contains(body, []byte(`"name":"ollama","status":"fail","code":"ollama_timeout"`)) || time.Since(start) > 10*time.Second {
		return fmt.Errorf("/readyz with Ollama hung: %d %s after %s; want 503 with the ollama check failing as ollama_timeout", resp.StatusCode, body, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// --- full disk and read-only directory ---

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// tmpfs mounts a tmpfs of size bytes, or reports why it cannot.
func (s *suite) tmpfs(size int64) (string, error) {
	if os.Geteuid() != 0 {
		return "", skipError("needs root to mount a small tmpfs; skipped")
	}
	dir := s.tempData()
	size = (size + 4095) / 4096 * 4096
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		return "", skipError(fmt.Sprintf("mount tmpfs: %v: %s; skipped", err, bytes.TrimSpace(out)))
	}
	s.t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir, nil
}

func (s *suite) fullDisk(trial int) error {
	size := dirSize(s.ref1Data)
	// New: room for about half the collection. Update: the v1 data and a
	// little more.
	update := trial%2 == 1
	room := size / 2
	if update {
		room = size + size/8
	}
	data, err := s.tmpfs(room)
	if err != nil {
		return err
	}
	corpus, ref := s.v1, []map[string]docInfo{s.ref1}
	if update {
		copyDir(s.t, s.ref1Data, data)
		corpus, ref = s.v2, []map[string]docInfo{s.ref1, s.ref2}
	}
	r := s.run(data, "index", s.use(corpus))
	if err := healthy(r); err != nil {
		return err
	}
	if r.code == 0 {
		return fmt.Errorf("index on a %d-byte tmpfs succeeded; the trial tests nothing: %s", room, r)
	}
	if !strings.Contains(r.err, "no space left on device") {
		return fmt.Errorf("a full disk is not named: %s", r)
	}
	if err := s.checkVersions(data, ref...); err != nil {
		return err
	}
	if err := s.checkSummary(data, r); err != nil {
		return err
	}
	for _, i := range s.sample(3) {
		for _, mode := range []string{"bm25", "hybrid"} {
			if err := s.checkSearch(s.ollama, data, mode, i, s.words1[i], false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *suite) readOnly(trial int) error {
	var data string
	if os.Geteuid() == 0 {
		d, err := s.tmpfs(4 * dirSize(s.ref1Data))
		if err != nil {
			return err
		}
		copyDir(s.t, s.ref1Data, d)
		if out, err := exec.Command("mount", "-o", "remount,ro", d).CombinedOutput(); err != nil {
			return skipError(fmt.Sprintf("remount read-only: %v: %s", err, out))
		}
		data = d
	} else {
		data = s.tempData()
		copyDir(s.t, s.ref1Data, data)
		filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
			if err == nil {
				os.Chmod(p, map[bool]os.FileMode{true: 0o555, false: 0o444}[d.IsDir()])
			}
			return nil
		})
		s.t.Cleanup(func() {
			filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error { os.Chmod(p, 0o755); return nil })
		})
	}
	for _, i := range s.sample(3) {
		for _, mode := range []string{"bm25", "hybrid", "vector"} {
			q := s.words1[i]
			if mode == "vector" {
				q = "government election report" // words the model knows
			}
			out, r, err := s.search(s.ollama, data, mode, q)
			if err != nil {
				return err
			}
			if r.code != 0 || len(out.Results) == 0 || out.Mode != mode {
				return fmt.Errorf("%s search of a read-only copy: %s", mode, r)
			}
		}
		if err := s.checkSearch(s.ollama, data, "bm25", i, s.words1[i], true); err != nil {
			return err
		}
	}
	r := s.run(data, "index", s.use(s.v2))
	if err := healthy(r); err != nil {
		return err
	}
	if r.code == 0 {
		return fmt.Errorf("index into a read-only directory succeeded: %s", r)
	}
	return nil
}

func (s *suite) litter(int) error {
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	junk := filepath.Join(data, "news.123456.tmp")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("x"), 4096), 0o600); err != nil {
		return err
	}
	if r := s.run(data, "index", s.use(s.v1)); r.code != 0 {
		return fmt.Errorf("index: %s", r)
	}
	if _, err := os.Stat(junk); err == nil {
		return fmt.Errorf("LITTER: %s left by a crash is still there after a successful index run", filepath.Base(junk))
	}
	return nil
}

// --- the corruption table ---

type damage struct {
	name string
	do   func(path string) error
}

var damages = []damage{
	{"truncated", func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		return os.Truncate(p, fi.Size()/2)
	}},
	{"bit-flipped", func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			return err
		}
		for _, at := range []int{len(b) / 2, len(b) / 3, len(b) - 1} {
			b[at] ^= 0x10
		}
		return os.WriteFile(p, b, 0o644)
	}},
	{"empty", func(p string) error { return os.Truncate(p, 0) }},
}

// kindOf names a data directory file by what it is, so the table has one
// row per kind of file.
func kindOf(rel string) string {
	switch {
	case strings.HasSuffix(rel, ".collection"):
		return "vector store snapshot (*.collection)"
	case strings.Contains(rel, ".bm25"+string(filepath.Separator)):
		base := filepath.Base(rel)
		switch {
		case strings.HasPrefix(base, "seg."):
			return "BM25 segment (seg.N)"
		case strings.HasPrefix(base, "log."):
			return "BM25 log (log.N)"
		}
		return "BM25 " + base
	}
	return rel
}

func (s *suite) corruption() {
	var files []string
	filepath.WalkDir(s.ref1Data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil && fi.Size() > 0 {
				rel, _ := filepath.Rel(s.ref1Data, p)
				files = append(files, rel)
			}
		}
		return nil
	})
	slices.Sort(files)
	for fi, rel := range files {
		for di, dmg := range damages {
			if !s.full && di != fi%len(damages) {
				continue
			}
			s.fault(fmt.Sprintf("%s %s", dmg.name, kindOf(rel)), trials{1, 1}, func(int) error {
				return s.corrupted(rel, dmg)
			})
		}
	}
}

// corrupted damages one file of a copy of the reference data, then checks
// that searches answer right or fail saying why, and that an index run
// repairs what it can or says what to do.
func (s *suite) corrupted(rel string, dmg damage) error {
	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	if err := dmg.do(filepath.Join(data, rel)); err != nil {
		return err
	}
	for _, i := range s.sample(2) {
		for _, mode := range []string{"bm25", "hybrid", "vector"} {
			if err := s.checkSearch(s.ollama, data, mode, i, s.words1[i], mode != "vector"); err != nil {
				if strings.Contains(err.Error(), "failed:") && !strings.Contains(err.Error(), "WRONG") {
					continue // it failed, saying why: allowed
				}
				return err
			}
		}
	}
	for _, cmd := range [][]string{{"stats"}, {"list"}} {
		if err := healthy(s.run(data, cmd[0], cmd[1:]...)); err != nil {
			return err
		}
	}
	r := s.run(data, "index", s.use(s.v1))
	if err := healthy(r); err != nil {
		return err
	}
	if r.code != 0 {
		return nil // it says what is wrong (healthy checked the message)
	}
	return s.checkConverged(data, s.ref1, s.words1)
}
