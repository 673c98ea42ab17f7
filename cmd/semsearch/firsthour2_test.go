package main

// Tests of issue 21 (a new user's first hour, second pass): the CLI's
// defects and messages.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Item 2: a dry run names each article it would add or update.
func TestIndex_DryRunNamesAddsAndUpdates(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains and snow.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains, snow and ice.\n")
	writeFile(t, filepath.Join(dir, "c.txt"), "Gamma\n\nDeserts and sand.\n")
	out, errOut, code := runExit(t, "", append([]string{"index", "--dry-run", dir}, g...)...)
	if code != 0 {
		t.Fatalf("index --dry-run: %d %s", code, errOut)
	}
	for _, want := range []string{"would add c.txt\n", "would update b.txt\n", "1 new, 1 updated, 1 unchanged"} {
		if !strings.Contains(out, want) {
			t.Errorf("index --dry-run does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a.txt") {
		t.Errorf("index --dry-run names the unchanged a.txt:\n%s", out)
	}
}

// Item 7: the same "no such collection" error from every command, naming
// the collections that exist; import without a file is a usage error.
func TestCLI_CollectionNotFound(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	g := f.flags(data)
	for _, col := range []string{"mine", "other"} {
		if _, errOut, code := runExit(t, "", append([]string{"index", "-c", col, dir}, g...)...); code != 0 {
			t.Fatalf("index: %s", errOut)
		}
	}
	for _, args := range [][]string{
		{"export"}, {"delete", "x"}, {"delete", "--dry-run", "x"}, {"stats"}, {"search", "rivers"},
		{"search", "--mode", "bm25", "rivers"}, {"get", "a.txt"}, {"list"}, {"repair"},
	} {
		cmd := args[0]
		out, errOut, code := runExit(t, "", append(append(args, "-c", "nope"), g...)...)
		if code != exitFailure {
			t.Errorf("%s -c nope: code %d, want %d\n%s%s", cmd, code, exitFailure, out, errOut)
		}
		want := `semsearch: ` + cmd + `: collection "nope" does not exist in ` + data + `; the collections there are mine, other (choose one with -c NAME)`
		if strings.TrimSpace(errOut) != want {
			t.Errorf("%s -c nope says\n%s\nwant\n%s", strings.Join(args, " "), errOut, want)
		}
		if strings.Contains(out, "deleted") || strings.Contains(out, "COLLECTION") {
			t.Errorf("%s -c nope printed a result: %s", cmd, out)
		}
	}
	out, errOut, code := runExit(t, "", append([]string{"stats", "-c", "mine"}, g...)...)
	if code != 0 || !strings.Contains(out, "mine") || strings.Contains(out, "other") {
		t.Errorf("stats -c mine does not show only mine: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"stats"}, g...)...)
	if code != 0 || !strings.Contains(out, "mine") || !strings.Contains(out, "other") {
		t.Errorf("stats does not show every collection: %d\n%s%s", code, out, errOut)
	}
	// No collections at all: say how to make one.
	empty := t.TempDir()
	_, errOut, code = runExit(t, "", append([]string{"list"}, f.flags(empty)...)...)
	if code != exitFailure || !strings.Contains(errOut, `collection "default" does not exist`) || !strings.Contains(errOut, "semsearch index") {
		t.Errorf("list in an empty data directory: %d %s", code, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"import"}, g...)...)
	if code != exitUsage {
		t.Errorf("import with no file: code %d, want %d: %s", code, exitUsage, errOut)
	}
}

// Item 16: a file over the size limit names the flag that raises it, and
// files of formats index does not read are counted.
func TestIndex_TooLargeAndLeftOutFiles(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "big.txt"), "Big\n\n"+strings.Repeat("word ", 100)+"\n")
	writeFile(t, filepath.Join(dir, "report.odt"), "PK not really")
	writeFile(t, filepath.Join(dir, "sub", "slides.pptx"), "PK not really")
	writeFile(t, filepath.Join(dir, "sub", "sheet.xlsx"), "PK not really")
	out, errOut, code := runExit(t, "", append([]string{"index", "--max-file-size", "100", dir}, f.flags(data)...)...)
	if code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	if !regexp.MustCompile(`big\.txt: file too large: \d+ bytes, limit 100 \(raise it with --max-file-size\)`).MatchString(errOut) {
		t.Errorf("the too-large warning does not name --max-file-size: %s", errOut)
	}
	if !strings.Contains(out, "1 skipped;") {
		t.Errorf("summary: %s", out)
	}
	want := "3 files left out: not in a format index reads (.odt, .pptx, .xlsx); --include adds other text files\n"
	if !strings.Contains(out, want) {
		t.Errorf("summary does not count the files left out, want %q:\n%s", want, out)
	}
	// Files an --include leaves out were left out on purpose: not counted.
	out, _, _ = runExit(t, "", append([]string{"index", "--include", "a.txt", dir}, f.flags(t.TempDir())...)...)
	if strings.Contains(out, "left out") {
		t.Errorf("files --include did not pick are counted: %s", out)
	}
}

// Item 6: every command's help reads right: value names are "value"
// (urfave/cli turns a backticked word into the value name), and no flag
// states its default twice.
func TestHelp_EveryFlagLineReadsRight(t *testing.T) {
	app := newApp(nil, io.Discard, io.Discard)
	helps := []string{}
	render := func(args ...string) {
		out, errOut, code := runExit(t, "", args...)
		if code != 0 {
			t.Fatalf("%s: %d %s", strings.Join(args, " "), code, errOut)
		}
		helps = append(helps, out)
	}
	render("--help")
	for _, c := range app.Commands {
		render(c.Name, "--help")
	}
	names := regexp.MustCompile(`^(-{1,2}[\w-]+( value)?(, )?)+( \[ .* \])?$`)
	flagLines := 0
	for _, h := range helps {
		inOptions := false
		for _, line := range strings.Split(h, "\n") {
			if strings.HasSuffix(line, "OPTIONS:") {
				inOptions = true
			}
			trimmed := strings.TrimSpace(line)
			if !inOptions || !strings.HasPrefix(trimmed, "-") {
				continue
			}
			flagLines++
			head, usage, ok := strings.Cut(trimmed, "  ")
			if !ok {
				t.Errorf("flag line without a usage: %q", line)
				continue
			}
			if !names.MatchString(head) {
				t.Errorf("garbled flag names (a backticked word became the value name?): %q", head)
			}
			if strings.Count(usage, "(default") > 1 {
				t.Errorf("flag states its default twice: %q", trimmed)
			}
			if strings.Contains(usage, "`") {
				t.Errorf("backtick in help: %q", trimmed)
			}
		}
	}
	if flagLines < 100 {
		t.Errorf("only %d flag lines checked", flagLines)
	}
	out, _, _ := runExit(t, "", "search", "--help")
	if !strings.Contains(out, "--server value") {
		t.Errorf("search --help: --server has no plain value name:\n%s", out)
	}
	if !regexp.MustCompile(`--timeout value +overall time limit.*\(default: 1m0s`).MatchString(out) {
		t.Errorf("search --help: --timeout does not state its default once:\n%s", out)
	}
	// The rule holds for every flag, including those help does not show.
	for _, c := range append(app.Commands, &cli.Command{Name: "(global)", Flags: app.Flags}) {
		for _, fl := range c.Flags {
			if u, ok := fl.(interface{ GetUsage() string }); ok && strings.Contains(u.GetUsage(), "`") {
				t.Errorf("%s --%s: backtick in usage %q", c.Name, fl.Names()[0], u.GetUsage())
			}
		}
	}
}

// Item 12: get takes the path a citation prints and a bare file name, says
// "did you mean", clamps --lines, and counts lines as an editor does.
func TestGet_PathsSuggestionsAndLines(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	text := "Cup final\n\nThe home side won.\nOn penalties.\nThe crowd cheered.\nThe coach smiled.\nThe end.\n" // 7 lines
	writeFile(t, filepath.Join(dir, "sport", "055.txt"), text)
	writeFile(t, filepath.Join(dir, "sport", "056.txt"), "Other\n\nAnother match.\n")
	writeFile(t, filepath.Join(dir, "tech", "056.txt"), "Chips\n\nA faster chip.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	// The source path a citation prints.
	out, errOut, code := runExit(t, "", append([]string{"get", filepath.Join(dir, "sport", "055.txt")}, g...)...)
	if code != 0 || out != text {
		t.Errorf("get SOURCE: %d %q %s", code, out, errOut)
	}
	// A bare file name that one id ends with.
	out, errOut, code = runExit(t, "", append([]string{"get", "055.txt"}, g...)...)
	if code != 0 || out != text || !strings.Contains(errOut, `"055.txt" is sport/055.txt`) {
		t.Errorf("get 055.txt: %d %q %s", code, out, errOut)
	}
	// One that several ids end with: did you mean.
	_, errOut, code = runExit(t, "", append([]string{"get", "056.txt"}, g...)...)
	if code != exitFailure || !strings.Contains(errOut, "did you mean sport/056.txt or tech/056.txt?") {
		t.Errorf("get 056.txt: %d %s", code, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"get", "sport/05.txt"}, g...)...)
	if code != exitFailure || !strings.Contains(errOut, "did you mean sport/055.txt") {
		t.Errorf("get sport/05.txt: %d %s", code, errOut)
	}
	// Lines: 7, as an editor counts; a range past the end is clamped.
	out, errOut, code = runExit(t, "", append([]string{"get", "sport/055.txt", "--lines", "6-100"}, g...)...)
	if code != 0 || out != "The coach smiled.\nThe end.\n" || !strings.Contains(errOut, "sport/055.txt has 7 lines: printing lines 6-7") {
		t.Errorf("get --lines 6-100: %d %q %s", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"get", "sport/055.txt", "--lines", "8-9"}, g...)...)
	if code != exitUsage || !strings.Contains(errOut, "has 7 lines") {
		t.Errorf("get --lines 8-9: %d %s", code, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"get", "--json", "sport/055.txt", "--lines", "7"}, g...)...)
	var doc struct{ Text string }
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Text != "The end.\n" {
		t.Errorf("get --lines 7: %d %q %s", code, out, errOut)
	}
}

// zeroFor makes the fake embed every text containing word as a zero vector,
// as a model does with a question whose words it does not know.
func zeroFor(f *fakeOllama, word string) {
	next := f.Config.Handler
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		_ = json.Unmarshal(body, &req)
		rec := &captured{header: http.Header{}}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(rec, r)
		var resp map[string]any
		if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &resp) != nil {
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
			return
		}
		vecs, _ := resp["embeddings"].([]any)
		for i, in := range req.Input {
			if strings.Contains(in, word) && i < len(vecs) {
				vecs[i] = make([]float32, 8)
			}
		}
		fakeJSON(w, http.StatusOK, resp)
	})
}

type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header         { return c.header }
func (c *captured) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *captured) WriteHeader(s int)           { c.status = s }

// Item 9: a question that embeds to zeros says so and what to do.
func TestSearch_ZeroQueryVector(t *testing.T) {
	f := newFakeOllama(t, "fake")
	zeroFor(f, "zzqx")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	for _, mode := range []string{"vector", "hybrid"} {
		out, errOut, code := runExit(t, "", append([]string{"search", "--mode", mode, "zzqx wörter"}, g...)...)
		if code != 0 {
			t.Fatalf("search --mode %s: %d %s", mode, code, errOut)
		}
		for _, want := range []string{"knows none of the words", "--mode bm25", "multilingual"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("search --mode %s: no %q in\n%s%s", mode, want, out, errOut)
			}
		}
	}
	// A question the model knows gets no such warning.
	_, errOut, _ := runExit(t, "", append([]string{"search", "rivers"}, g...)...)
	if strings.Contains(errOut, "knows none") {
		t.Errorf("warning for a known question: %s", errOut)
	}
}

// Item 8: a misspelt model names the models that look alike, prints no
// summary of a run that stored nothing, and does not advise a rerun that
// would fail the same way.
func TestIndex_MisspeltModel(t *testing.T) {
	f := newFakeOllama(t, "glove-100d")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains and snow.\n")
	out, errOut, code := runExit(t, "", "index", dir, "--ollama", f.URL, "--model", "glove-100", "--data", data)
	if code != exitFailure {
		t.Fatalf("index --model glove-100: code %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "indexed") {
		t.Errorf("a summary for a run that stored nothing: %q", out)
	}
	if !strings.Contains(errOut, "glove-100d") {
		t.Errorf("the model that looks alike is not named: %s", errOut)
	}
	if strings.Contains(errOut, "run the same command again") {
		t.Errorf("advises a rerun that would fail the same way: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "default")); err == nil {
		if out, _, _ := runExit(t, "", "list", "--data", data, "--ollama", f.URL, "--model", "glove-100d"); strings.Contains(out, "a.txt") {
			t.Errorf("something was stored: %s", out)
		}
	}
}

// evalCorpus writes a small corpus in topic folders and returns it.
func evalCorpus(t *testing.T) string {
	t.Helper()
	corpus := t.TempDir()
	writeFile(t, filepath.Join(corpus, "animals", "zebra.txt"), "Zebras\n\nZebras graze on the plains.\n")
	writeFile(t, filepath.Join(corpus, "business", "047.txt"), "Shares\n\nShares fell on the stock market.\n")
	writeFile(t, filepath.Join(corpus, "sport", "047.txt"), "Cup\n\nThe cup final went to penalties.\n")
	return corpus
}

// Item 3: a sweep prints only the columns it computed.
func TestEval_SweepColumnsComputed(t *testing.T) {
	f := newFakeOllama(t, "fake")
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "zebras graze", "relevant": ["animals/zebra.txt"]}`+"\n")
	out, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", evalCorpus(t), "--sweep", "mode=vector,bm25", "-k", "1,5"}, f.flags(t.TempDir())...)...)
	if code != 0 {
		t.Fatalf("eval --sweep: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("sweep table: %q", out)
	}
	header := strings.Fields(lines[0])
	want := []string{"mode", "ndcg@5", "recall@1", "recall@5", "mrr@5", "search_ms"}
	if strings.Join(header, " ") != strings.Join(want, " ") {
		t.Errorf("columns %q, want %q", header, want)
	}
	if strings.Contains(out, "@10") || strings.Contains(out, "@100") {
		t.Errorf("columns never computed are printed:\n%s", out)
	}
	if got := sweepHeader(eval0Ks()); got != "ndcg@10 recall@1 recall@10 mrr@10 recall@100 | hits@1 hits@5 mrr@10" {
		t.Errorf("default columns: %s", got)
	}
}

func eval0Ks() []int { return nil }

func sweepHeader(ks []int) string {
	d, p := sweepColumns(ks)
	return strings.Join(d, " ") + " | " + strings.Join(p, " ")
}

// Item 4: relevant ids missing from the corpus are named with the closest
// existing ids; a query none of whose relevant ids exist fails the run.
func TestEval_RelevantIDsNotInCorpus(t *testing.T) {
	f := newFakeOllama(t, "fake")
	dir := t.TempDir()
	corpus := evalCorpus(t)
	queries := filepath.Join(dir, "queries.jsonl")
	writeFile(t, queries, `{"id": "q1", "query": "zebras graze", "relevant": ["animals/zebra.txt", "animals/zebr.txt"]}`+"\n"+
		`{"id": "q2", "query": "stock market shares", "relevant": ["business/047.txt"]}`+"\n")
	out, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", corpus}, f.flags(t.TempDir())...)...)
	if code != 0 {
		t.Fatalf("eval with one missing id: %d %s", code, errOut)
	}
	if !strings.Contains(errOut, `warning: query q1: relevant id "animals/zebr.txt" is not in the corpus (did you mean animals/zebra.txt?)`) {
		t.Errorf("no warning naming the missing id:\n%s%s", out, errOut)
	}
	writeFile(t, queries, `{"id": "q1", "query": "zebras graze", "relevant": ["animals/zebra.txt"]}`+"\n"+
		`{"id": "q2", "query": "stock market shares", "relevant": ["047.txt"]}`+"\n")
	out, errOut, code = runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", corpus}, f.flags(t.TempDir())...)...)
	if code != exitUsage {
		t.Errorf("eval with a query whose relevant ids are all missing: code %d, want %d\n%s%s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{"q2", `"047.txt"`, "business/047.txt or sport/047.txt"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error does not name %s: %s", want, errOut)
		}
	}
	if strings.Contains(out, "recall") {
		t.Errorf("a report for a run that could not score: %s", out)
	}
}
