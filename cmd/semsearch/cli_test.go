package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// run runs the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	app := newApp(strings.NewReader(stdin), &out, &errOut)
	err := app.RunContext(ctx, interspersed(app, append([]string{"semsearch"}, args...)))
	return out.String(), errOut.String(), err
}

// realRuntime returns the flags that point at the real Ollama brought up by
// `make test`, or skips.
func realRuntime(t *testing.T) []string {
	t.Helper()
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SEMSEARCH_MODEL") == "" {
		t.Skip("needs the real Ollama: run `make test`, or `eval \"$(make -s runtime)\"` and set SEMSEARCH_TEST_OLLAMA=1")
	}
	return []string{"--ollama", os.Getenv("OLLAMA_HOST"), "--model", os.Getenv("SEMSEARCH_MODEL")}
}

func copyArticles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../examples/articles/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("sample articles: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var summaryRE = regexp.MustCompile(`(\d+) new, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) skipped; (\d+) passages? embedded \((\d+) stored\); (\d+) embedding calls?`)

type summary struct{ new, updated, unchanged, removed, skipped, embedded, stored, calls string }

func parseSummary(t *testing.T, out string) summary {
	t.Helper()
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no index summary in %q", out)
	}
	return summary{m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]}
}

// TestCLI_RealOllama walks a user's session against the real runtime: index,
// search, reopen, re-index unchanged, change one article, prune, get.
func TestCLI_RealOllama(t *testing.T) {
	rt := realRuntime(t)
	articles := copyArticles(t)
	data := t.TempDir()
	g := append([]string{"--data", data, "--collection", "news"}, rt...)
	cmd := func(name string, args ...string) []string { return append(append([]string{name}, g...), args...) }

	out, _, err := run(t, "", cmd("index", articles)...)
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	if s := parseSummary(t, out); s.new != "2" || s.calls == "0" || s.embedded == "0" {
		t.Fatalf("first index: %+v", s)
	}

	// With Ollama stopped, search and index of a changed article fail fast
	// and leave the store as it was.
	down := filepath.Join(articles, "lavrov-quip-comey-firing.txt")
	orig, _ := os.ReadFile(down)
	if err := os.WriteFile(down, append(orig, "\nA new paragraph.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	checkOllamaDown(t, data, cmd("index"), articles)
	checkOllamaDown(t, data, cmd("search"), "who was fired?")
	if err := os.WriteFile(down, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	out, _, err = run(t, "", cmd("search", "--json", "-k", "3", "Who did Trump fire the day before meeting Lavrov?")...)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	var resp struct {
		Query   string `json:"query"`
		Model   string `json:"model"`
		Results []struct {
			DocID     string  `json:"doc_id"`
			Title     string  `json:"title"`
			Source    string  `json:"source"`
			Chunk     *int    `json:"chunk"`
			Start     *int    `json:"start"`
			End       *int    `json:"end"`
			LineStart int     `json:"line_start"`
			LineEnd   int     `json:"line_end"`
			Score     float64 `json:"score"`
			Text      string  `json:"text"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	if len(resp.Results) != 3 || resp.Model != os.Getenv("SEMSEARCH_MODEL") {
		t.Fatalf("search --json: %d results, model %q", len(resp.Results), resp.Model)
	}
	top := resp.Results[0]
	if !strings.Contains(top.Text, "Comey") || top.Title == "" || top.Source == "" || top.LineStart < 1 || top.Chunk == nil || top.Start == nil || top.End == nil {
		t.Errorf("top result lacks the answer or its citation: %+v", top)
	}
	src, err := os.ReadFile(filepath.Join(articles, top.DocID))
	if err != nil {
		t.Fatal(err)
	}
	if string(src[*top.Start:*top.End]) != top.Text {
		t.Errorf("cited bytes %d-%d of %s are not the passage text", *top.Start, *top.End, top.DocID)
	}

	// Re-indexing an unchanged corpus (a new process: the store is reopened)
	// costs no embedding call.
	out, _, err = run(t, "", cmd("index", articles)...)
	if err != nil {
		t.Fatal(err)
	}
	if s := parseSummary(t, out); s.unchanged != "2" || s.calls != "0" || s.new != "0" || s.updated != "0" {
		t.Fatalf("unchanged re-index: %+v", s)
	}

	// Editing one article re-embeds only it.
	path := filepath.Join(articles, "russia-oval-office-photos.txt")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, "\n\nThe embassy declined to comment on the photographs.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "", cmd("index", articles)...)
	if err != nil {
		t.Fatal(err)
	}
	if s := parseSummary(t, out); s.updated != "1" || s.unchanged != "1" || s.calls == "0" {
		t.Fatalf("one article edited: %+v", s)
	}

	// The cited range can be fetched back.
	out, _, err = run(t, "", cmd("get", "russia-oval-office-photos.txt", "--lines", "1-1")...)
	if err != nil || strings.TrimSpace(out) != "Russian government releases photos of Oval Office meeting" {
		t.Errorf("get --lines 1-1: %q, %v", out, err)
	}

	// Prune removes the article whose file is gone.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "", cmd("index", "--prune", articles)...)
	if err != nil {
		t.Fatal(err)
	}
	if s := parseSummary(t, out); s.removed != "1" || s.unchanged != "1" {
		t.Fatalf("prune: %+v", s)
	}
	out, _, err = run(t, "", cmd("list")...)
	if err != nil || !strings.Contains(out, "1 of 1 article") || strings.Contains(out, "russia-oval") {
		t.Errorf("list after prune: %q, %v", out, err)
	}
}

// downAddr returns the address of a port nothing listens on.
func downAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// checkOllamaDown runs args (with --ollama pointing at a closed port) and
// checks they fail within seconds, say what to do, and leave data as it was.
func checkOllamaDown(t *testing.T, data string, cmdAndFlags []string, positional ...string) {
	t.Helper()
	before := snapshotDir(t, data)
	start := time.Now()
	// Flags go before the positional arguments; the last --ollama wins.
	args := append(append(slices.Clone(cmdAndFlags), "--ollama", downAddr(t)), positional...)
	_, _, err := run(t, "", args...)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("%s: no error with Ollama down", args[0])
	}
	if msg := err.Error(); !strings.Contains(msg, "not reachable") || !strings.Contains(msg, "make runtime") || !strings.Contains(msg, "ollama serve") {
		t.Errorf("%s: message does not say what to do: %s", args[0], msg)
	}
	if took > 10*time.Second {
		t.Errorf("%s took %s to fail", args[0], took)
	}
	if after := snapshotDir(t, data); after != before {
		t.Errorf("%s with Ollama down changed the store:\nbefore %s\nafter  %s", args[0], before, after)
	}
}

// snapshotDir summarises the collection files of a data directory.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.collection"))
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(filepath.Base(f) + ":" + strconv.Itoa(len(data)) + ":" + fmt.Sprintf("%x", sha256.Sum256(data)) + " ")
	}
	return b.String()
}

// TestCLI_OllamaDown needs no runtime: indexing into a new collection fails
// fast and creates nothing.
func TestCLI_OllamaDown(t *testing.T) {
	data := t.TempDir()
	checkOllamaDown(t, data, []string{"index", "--data", data, "--model", "glove-100d"}, copyArticles(t))
	if files, _ := filepath.Glob(filepath.Join(data, "*.collection")); len(files) != 0 {
		t.Errorf("a failed index created %v", files)
	}
}

func TestInterspersed(t *testing.T) {
	app := newApp(nil, nil, nil)
	tests := []struct{ in, want string }{
		{"semsearch get ID --lines 3-5", "semsearch get --lines 3-5 ID"},
		{"semsearch --data d search who is it -k 3 --json", "semsearch search --data d -k 3 --json who is it"},
		{"semsearch --json --model m search q", "semsearch search --json --model m q"},
		{"semsearch search temperature -40", "semsearch search temperature -40"},
		{"semsearch search q --generate-bash-completion", "semsearch search q --generate-bash-completion"},
		{"semsearch search -k=3 q", "semsearch search -k=3 q"},
		{"semsearch index - --prune", "semsearch index --prune -"},
		{"semsearch search -- -k", "semsearch search -- -k"},
		{"semsearch nosuch a -b", "semsearch nosuch a -b"},
		{"semsearch --data d", "semsearch --data d"},
	}
	for _, tt := range tests {
		got := strings.Join(interspersed(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("interspersed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestGlobalFlagsBeatEnv checks that a global flag given before the command
// wins over its environment variable, as after it.
func TestGlobalFlagsBeatEnv(t *testing.T) {
	t.Setenv("SEMSEARCH_DATA", t.TempDir())
	data := t.TempDir()
	for _, args := range [][]string{{"--data", data, "stats"}, {"stats", "--data", data}} {
		out, _, err := run(t, "", args...)
		if err != nil || !strings.Contains(out, "data directory "+data) {
			t.Errorf("%v: %q %v", args, out, err)
		}
	}
}

// TestEval_SweepCheckedFirst: every --sweep value is checked before the
// first run, so a bad last value fails at once (exit 2, naming it) instead
// of after the earlier values have indexed and run; Ollama is down here, so
// any run would fail differently.
func TestEval_SweepCheckedFirst(t *testing.T) {
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "zebras", "relevant": ["zebra.txt"]}`+"\n")
	corpus := t.TempDir()
	writeFile(t, filepath.Join(corpus, "zebra.txt"), "Zebras\n\nZebras graze on the plains.\n")
	g := []string{"--data", t.TempDir(), "--model", "m", "--ollama", downAddr(t)}
	for _, sweep := range []string{"vector-weight=0.3,2", "fusion=score,bogus", "fusion-depth=100,0", "mmr=0.5,1.5", "vector-weight=0.3,NaN", "max-per-doc=1,-1"} {
		_, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", corpus, "--sweep", sweep}, g...)...)
		bad := sweep[strings.LastIndex(sweep, ",")+1:]
		if code != 2 || !strings.Contains(errOut, bad) || strings.Contains(errOut, "Ollama") {
			t.Errorf("--sweep %s: exit %d, stderr %q; want 2 naming %q before any run", sweep, code, errOut, bad)
		}
	}
}
