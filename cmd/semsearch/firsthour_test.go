package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
)

// runExit runs the CLI as main does and returns stdout, stderr and the
// exit code.
func runExit(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp(strings.NewReader(stdin), &out, &errOut)
	code := runMain(t.Context(), app, append([]string{"semsearch"}, args...), &errOut)
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Item 1: an id must not silently move to another source across runs.
func TestIndex_IDFromAnotherSourceRefused(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	corpus := t.TempDir()
	tech := filepath.Join(corpus, "bbc-tech")
	sport := filepath.Join(corpus, "sport")
	writeFile(t, filepath.Join(tech, "001.txt"), "Chip makers\n\nThe new processor doubles the speed of laptops.\n")
	writeFile(t, filepath.Join(sport, "001.txt"), "Cup final\n\nThe home side won the cup final on penalties.\n")
	g := append(f.flags(data), "-c", "mine")

	if _, errOut, code := runExit(t, "", append([]string{"index", tech}, g...)...); code != 0 {
		t.Fatalf("first index: %d %s", code, errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"index", sport}, g...)...)
	if code != exitFailure {
		t.Fatalf("second index from another folder: code %d, want %d\n%s%s", code, exitFailure, out, errOut)
	}
	for _, want := range []string{tech, sport, "--id-prefix", "common parent", "001.txt"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message does not name %q: %s", want, errOut)
		}
	}
	got, _, _ := runExit(t, "", append([]string{"get", "001.txt"}, g...)...)
	if !strings.Contains(got, "processor") {
		t.Errorf("the tech article was replaced: %q", got)
	}
	// The way out the message offers works.
	if _, errOut, code := runExit(t, "", append([]string{"index", "--id-prefix", "sport/", sport}, g...)...); code != 0 {
		t.Fatalf("--id-prefix: %d %s", code, errOut)
	}
	got, _, _ = runExit(t, "", append([]string{"get", "sport/001.txt"}, g...)...)
	if !strings.Contains(got, "penalties") {
		t.Errorf("get sport/001.txt: %q", got)
	}
	// Re-indexing the first folder from its own path is still fine.
	if _, errOut, code := runExit(t, "", append([]string{"index", tech}, g...)...); code != 0 {
		t.Fatalf("re-index: %d %s", code, errOut)
	}
}

// Item 1: stdin takes --id and --title, and the summary says the id.
func TestIndex_StdinIDAndTitle(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	g := f.flags(data)
	out, errOut, code := runExit(t, "Bees in the city keep to the rooftops.\n", append([]string{"index", "--id", "bees", "--title", "Urban bees", "-"}, g...)...)
	if code != 0 {
		t.Fatalf("index -: %d %s", code, errOut)
	}
	if !strings.Contains(out, `stdin was indexed as id "bees"`) {
		t.Errorf("summary does not say the id: %q", out)
	}
	got, _, _ := runExit(t, "", append([]string{"get", "--json", "bees"}, g...)...)
	if !strings.Contains(got, `"title": "Urban bees"`) {
		t.Errorf("get bees: %q", got)
	}
	out, _, _ = runExit(t, "Another note.\n", append([]string{"index", "-"}, g...)...)
	if !strings.Contains(out, `stdin was indexed as id "stdin"`) {
		t.Errorf("default stdin id not reported: %q", out)
	}
}

// Item 3: flag values arrive as typed, commas included.
func TestFlags_CommasKept(t *testing.T) {
	var got []string
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	app.Commands = []*cli.Command{{
		Name:  "x",
		Flags: []cli.Flag{&cli.StringSliceFlag{Name: "filter"}},
		Action: func(c *cli.Context) error {
			got = c.StringSlice("filter")
			return nil
		},
	}}
	if err := app.Run([]string{"semsearch", "x", "--filter", "title=Hello, world", "--filter", "doc=a,b"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"title=Hello, world", "doc=a,b"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("--filter values = %q, want %q", got, want)
	}
}

// Item 3: a filter value with a comma reaches the search, and an include
// glob that matches nothing warns.
func TestSearch_FilterWithComma(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), "---\ntitle: Hello, world\n---\n\nGreetings to everyone on the planet.\n")
	writeFile(t, filepath.Join(dir, "b.md"), "---\ntitle: Other\n---\n\nGreetings from another article.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"search", "--filter", "title=Hello, world", "greetings"}, g...)...)
	if code != 0 || !strings.Contains(out, `"Hello, world"`) || strings.Contains(out, "Other") {
		t.Errorf("search --filter with a comma: %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"index", "--include", "*.{md,html}", dir}, g...)...)
	if !strings.Contains(errOut, `--include "*.{md,html}" matched no files`) {
		t.Errorf("no warning for an include glob matching nothing (code %d): %s", code, errOut)
	}
}

// Item 4: help works, version prints the build, and usage errors exit 2
// with one line pointing at --help.
func TestCLI_HelpVersionAndUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{{"help"}, {"help", "search"}, {"search", "--help"}, {"--help"}} {
		out, errOut, code := runExit(t, "", args...)
		if code != 0 || !strings.Contains(out, "USAGE") || errOut != "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
	out, _, _ := runExit(t, "", "--help")
	if !strings.Contains(out, "Exit codes: 0 success; 1 failure") || !strings.Contains(out, "2 usage error") || !strings.Contains(out, "3 eval") {
		t.Errorf("--help does not document the exit codes:\n%s", out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := runExit(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "semsearch ") || !strings.Contains(out, version()) {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"help", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"search", "--bogus", "q"}, "bogus"},
		{[]string{"search", "-k", "abc", "q"}, `"abc"`},
		{[]string{"search", "-k", "0", "q"}, "k must be between"},
		{[]string{"search", "--mode", "fast", "q"}, `"fast"`},
		{[]string{"search", "--after", "yesterday", "q"}, "YYYY-MM-DD"},
		{[]string{"search", "--after", "2017-06-01", "--before", "2017-05-01", "q"}, "must be earlier than before"},
		{[]string{"search", "--doc", "", "q"}, "document id 1 of 1 is empty"},
		{[]string{"search"}, "give a question"},
		{[]string{"index"}, "give at least one PATH"},
	}
	for _, tt := range tests {
		args := append(tt.args, "--data", data)
		out, errOut, code := runExit(t, "", args...)
		lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "--help") || out != "" {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want code 2 and one line naming %q and --help", tt.args, code, out, errOut, tt.want)
		}
	}
}

// Item 7: a failed run reports what the collection holds, and retries are
// not counted as embedding calls.
func TestIndex_FailedRunSummary(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nThe first article talks about rivers and lakes.\n")
	g := f.flags(data)
	out, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	if code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	stored := parseSummary(t, out).stored
	if stored == "0" {
		t.Fatalf("nothing stored: %s", out)
	}
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nThe first article now talks about mountains.\n")
	// A run refused before embedding (another model) still says what the
	// collection holds, in its error: issue 21 item 8 wants no summary on
	// stdout for a run that stored nothing.
	holds := fmt.Sprintf("nothing was changed: %q holds %s passage", "default", stored)
	out, errOut, code = runExit(t, "", "index", dir, "--ollama", f.URL, "--data", data, "--model", "nope")
	if code == 0 || out != "" || !strings.Contains(errOut, holds) {
		t.Errorf("--model nope: code %d, want an error saying %q and no summary:\n%s%s", code, holds, out, errOut)
	}
	f.fail.Store(true)
	before := f.embeds.Load()
	out, errOut, code = runExit(t, "", append([]string{"index", dir}, g...)...)
	if code == 0 {
		t.Fatal("index with a failing Ollama succeeded")
	}
	if out != "" || !strings.Contains(errOut, holds) {
		t.Errorf("failed run: want an error saying %q and no summary:\n%s%s", holds, out, errOut)
	}
	if sent := f.embeds.Load() - before; sent < 2 || !strings.Contains(errOut, "retries failed too") {
		t.Errorf("%d requests sent (one call, retried): the error does not count the retries: %s", sent, errOut)
	}
}

// Item 7: --min at a cut-off the eval does not report is a usage error,
// found before any work.
func TestEval_MinAtUnreportedK(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "corpus", "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "q.jsonl"), `{"id":"1","query":"rivers","relevant":["a.txt"]}`+"\n")
	_, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", filepath.Join(dir, "q.jsonl"), "--corpus", filepath.Join(dir, "corpus"), "--min", "recall@7=0.9"}, f.flags(data)...)...)
	if code != exitUsage || !strings.Contains(errOut, "recall@7") || f.embeds.Load() != 0 {
		t.Errorf("code %d, %d embedding requests, stderr %q; want 2 before any work", code, f.embeds.Load(), errOut)
	}
	// With the cut-off asked for (a list keeps working), the threshold is checked.
	out, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", filepath.Join(dir, "q.jsonl"), "--corpus", filepath.Join(dir, "corpus"), "--k", "1,7", "--min", "recall@7=0.9"}, f.flags(data)...)...)
	if code != 0 || !strings.Contains(out, "@7") {
		t.Errorf("--k 1,7 --min recall@7=0.9: %d\n%s%s", code, out, errOut)
	}
}

// unsetEnv removes an environment variable for the test.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	os.Unsetenv(key)
}

// Item 8: without --model, a collection is searched and updated with the
// model it records; only an explicit, different --model is refused.
func TestCLI_CollectionKnowsItsModel(t *testing.T) {
	unsetEnv(t, "SEMSEARCH_MODEL")
	f := newFakeOllama(t, "glove-fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, f.flags(data)...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	noModel := []string{"--ollama", f.URL, "--data", data}
	out, errOut, code := runExit(t, "", append([]string{"search", "fish"}, noModel...)...)
	if code != 0 || !strings.Contains(out, "model glove-fake") {
		t.Errorf("search without --model: %d\n%s%s", code, out, errOut)
	}
	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains and snow.\n")
	if out, errOut, code := runExit(t, "", append([]string{"index", dir}, noModel...)...); code != 0 || !strings.Contains(out, "1 new") {
		t.Errorf("index without --model: %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", append([]string{"search", "--model", "other", "fish"}, noModel...)...)
	if code == 0 || !strings.Contains(errOut, "glove-fake") || !strings.Contains(errOut, "other") {
		t.Errorf("explicit other --model: %d %s", code, errOut)
	}
}

// Item 2: a cited line range is where the passage is in the file on disk,
// for JSON Lines and HTML too.
func TestSearch_CitationsPointIntoTheFile(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "recipes.jsonl"),
		`{"id":"soup","title":"Soup","text":"Boil the leeks with potatoes for twenty minutes."}`+"\n"+
			`{"id":"bread","title":"Bread","text":"Knead the dough and let it rise overnight before baking."}`+"\n")
	writeFile(t, filepath.Join(dir, "page.html"), `<!doctype html>
<html>
<head><title>Garden notes</title></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Garden notes</h1>
<article>
<p>Tomatoes need sun
all day long.</p>

<p>Water the seedlings every morning,
and keep slugs away with copper tape.</p>
</article>
</body>
</html>
`)
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	check := func(query, doc, want string) {
		t.Helper()
		out, errOut, code := runExit(t, "", append([]string{"search", "--json", "--doc", doc, "-k", "1", query}, g...)...)
		if code != 0 {
			t.Fatalf("search: %s", errOut)
		}
		var resp struct {
			Results []struct {
				Source    string `json:"source"`
				LineStart int    `json:"line_start"`
				LineEnd   int    `json:"line_end"`
				Text      string `json:"text"`
				Citation  string `json:"citation"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Results) == 0 {
			t.Fatalf("search %s: %v\n%s", doc, err, out)
		}
		r := resp.Results[0]
		b, err := os.ReadFile(r.Source)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if r.LineStart < 1 || r.LineEnd > len(lines) || r.LineStart > r.LineEnd {
			t.Fatalf("%s: cited lines %d-%d of a %d-line file", doc, r.LineStart, r.LineEnd, len(lines))
		}
		cited := strings.Join(lines[r.LineStart-1:r.LineEnd], "\n")
		if !strings.Contains(cited, want) {
			t.Errorf("%s: %s: lines %d-%d are %q, which do not hold %q", doc, r.Citation, r.LineStart, r.LineEnd, cited, want)
		}
		if strings.Contains(cited, "<nav>") {
			t.Errorf("%s: cited lines include the page's nav: %q", doc, cited)
		}
	}
	check("dough rise", "bread", "Knead the dough")
	check("seedlings slugs", "page.html", "Water the seedlings")
	check("seedlings slugs", "page.html", "copper tape")
}

// Item 5: two datasets in one folder, run from that folder, get their own
// collections; neither prunes the other's articles.
func TestEval_CollectionPerDataset(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mine", "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "other", "b.txt"), "Beta\n\nMountains and snow.\n")
	writeFile(t, filepath.Join(dir, "myeval.jsonl"), `{"id":"1","query":"rivers","relevant":["a.txt"]}`+"\n")
	writeFile(t, filepath.Join(dir, "second.jsonl"), `{"id":"1","query":"snow","relevant":["b.txt"]}`+"\n")
	t.Chdir(dir)
	for _, ds := range [][2]string{{"myeval.jsonl", "mine"}, {"second.jsonl", "other"}} {
		if _, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", ds[0], "--corpus", ds[1]}, f.flags(data)...)...); code != 0 {
			t.Fatalf("eval %s: %s", ds[0], errOut)
		}
	}
	out, _, _ := runExit(t, "", append([]string{"stats"}, f.flags(data)...)...)
	var names []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "eval-") {
			names = append(names, strings.Fields(l)[0])
		}
	}
	if len(names) != 2 || !strings.HasPrefix(names[0], "eval-myeval-") || !strings.HasPrefix(names[1], "eval-second-") {
		t.Errorf("eval collections %q, want eval-myeval-HASH and eval-second-HASH\n%s", names, out)
	}
}

// Item 6: --min-score is the passage's cosine similarity in every mode that
// has vectors, and --help says what the printed score is.
func TestSearch_MinScoreIsCosine(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	docs := []string{
		"Rivers and lakes are full of fish and frogs.",
		"Mountains and snow and rivers of ice.",
		"The city council met on Tuesday about buses.",
		"Fish markets open early near the harbour.",
		"Snow closed the mountain roads for a week.",
		"Buses and trains run late on Sundays.",
	}
	for i, d := range docs {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.txt", i)), d+"\n")
	}
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	type result struct {
		DocID   string  `json:"doc_id"`
		Score   float64 `json:"score"`
		Explain struct {
			Vector float64 `json:"vector_score"`
		} `json:"explain"`
	}
	search := func(args ...string) []result {
		t.Helper()
		out, errOut, code := runExit(t, "", append(append([]string{"search", "--json", "--explain", "-k", "20"}, args...), g...)...)
		if code != 0 {
			t.Fatalf("search %v: %s", args, errOut)
		}
		var resp struct{ Results []result }
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatal(err)
		}
		return resp.Results
	}
	all := search("--mode", "vector", "rivers fish snow")
	if len(all) < 4 {
		t.Fatalf("only %d results", len(all))
	}
	threshold := (all[1].Score + all[2].Score) / 2
	want := map[string]bool{}
	for _, r := range all {
		if r.Score >= threshold {
			want[r.DocID] = true
		}
	}
	for _, mode := range []string{"vector", "hybrid"} {
		got := search("--mode", mode, "--min-score", fmt.Sprint(threshold), "rivers fish snow")
		ids := map[string]bool{}
		for _, r := range got {
			ids[r.DocID] = true
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("%s --min-score %.3f kept %v, want the passages with cosine >= it: %v", mode, threshold, ids, want)
		}
	}
	// The best hybrid candidate scores near 1, even when it is the only one.
	if one := search("--mode", "hybrid", "--doc", "0.txt", "rivers fish"); len(one) != 1 || one[0].Score < 0.99 {
		t.Errorf("a lone hybrid result scores %v, want about 1", one)
	}
	_, errOut, code := runExit(t, "", append([]string{"search", "--mode", "bm25", "--min-score", "0.5", "rivers"}, g...)...)
	if code != exitUsage || !strings.Contains(errOut, "cosine") {
		t.Errorf("bm25 --min-score 0.5: %d %s", code, errOut)
	}
	out, _, _ := runExit(t, "", "search", "--help")
	if !strings.Contains(out, "The score printed is") || !strings.Contains(out, "in vector and hybrid mode alike") {
		t.Errorf("search --help does not explain the score and --min-score:\n%s", out)
	}
}

// Item 10: --dry-run previews index --prune and delete; delete names the
// ids it did not find.
func TestCLI_DryRunAndMissingIDs(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains and snow.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	os.Remove(filepath.Join(dir, "b.txt"))
	before := snapshotDir(t, data)
	out, errOut, code := runExit(t, "", append([]string{"index", "--prune", "--dry-run", dir}, g...)...)
	if code != 0 || !strings.Contains(out, "would remove b.txt") || !strings.Contains(out, "1 removed") || !strings.Contains(out, "nothing changed") {
		t.Errorf("index --prune --dry-run: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"delete", "--dry-run", "a.txt", "nope"}, g...)...)
	if code != exitFailure || !strings.Contains(out, "would delete a.txt") || !strings.Contains(errOut, "nope") {
		t.Errorf("delete --dry-run a.txt nope: %d\n%s%s", code, out, errOut)
	}
	if after := snapshotDir(t, data); after != before {
		t.Errorf("a dry run changed the store")
	}
	out, errOut, code = runExit(t, "", append([]string{"delete", "a.txt", "nope"}, g...)...)
	if code != exitFailure || !strings.Contains(out, "deleted 1 of 2") || !strings.Contains(errOut, "nope") {
		t.Errorf("delete a.txt nope: %d\n%s%s", code, out, errOut)
	}
}

// Item 11: titles are short and honest, and no passage is the title alone.
func TestIndex_Titles(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	sentence := "Russia's foreign minister managed a quip about the dismissal of the FBI director before meeting high-level US officials. Meanwhile relations between the Trump administration and Russia appeared to take on a warmer tone."
	writeFile(t, filepath.Join(dir, "lavrov.txt"), sentence+"\nAdvertisement\nUS Secretary of State Rex Tillerson met with Russian Foreign Minister Sergey Lavrov on Wednesday.\n")
	writeFile(t, filepath.Join(dir, "bridge.txt"), "Council approves new bridge\nBy Jane Doe\nMay 12, 2017\n\nThe council voted on Tuesday to build a new bridge over the river, at a cost of two million pounds.\n")
	writeFile(t, filepath.Join(dir, "page.html"), "<html><body><p>Bees live on the roofs of the city and make honey from lime trees.</p></body></html>")
	writeFile(t, filepath.Join(dir, "notes.md"), "---\ntitle: Bees\n\nBees live on roofs.\n")
	g := f.flags(data)
	_, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	if code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	if !strings.Contains(errOut, "notes.md") || !strings.Contains(errOut, "front matter") {
		t.Errorf("no warning for the broken front matter: %q", errOut)
	}
	out, _, _ := runExit(t, "", append([]string{"list", "--json"}, g...)...)
	var list struct {
		Documents []struct{ ID, Title string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"lavrov.txt": "Russia's foreign minister managed a quip about the dismissal…",
		"bridge.txt": "Council approves new bridge",
		"page.html":  "page.html",
		"notes.md":   "notes.md",
	}
	for _, d := range list.Documents {
		if d.Title != want[d.ID] {
			t.Errorf("%s: title %q, want %q", d.ID, d.Title, want[d.ID])
		}
	}
	out, _, _ = runExit(t, "", append([]string{"search", "--json", "--doc", "bridge.txt", "-k", "20", "bridge"}, g...)...)
	var resp struct{ Results []struct{ Text string } }
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if strings.TrimSpace(r.Text) == "Council approves new bridge" {
			t.Errorf("a passage is the title alone: %q", r.Text)
		}
	}
	if len(resp.Results) == 0 {
		t.Error("bridge.txt has no passages")
	}
}

// Item 12: list metadata is filterable by element; filters are exact and
// case-sensitive, as --help says.
func TestSearch_FilterListMetadata(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bees.md"), "---\ntitle: Urban bees\ntags: [bees, cities]\n---\n\nBees live on the roofs of the city.\n")
	writeFile(t, filepath.Join(dir, "ants.md"), "---\ntitle: Ants\ntags: [ants]\n---\n\nAnts live under the stones of the city.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{"tags=bees", []string{"bees.md"}},
		{"tags=cities", []string{"bees.md"}},
		{"tags=ants", []string{"ants.md"}},
		{"tags=Bees", nil},
	} {
		out, errOut, code := runExit(t, "", append([]string{"search", "--json", "--filter", tt.filter, "city"}, g...)...)
		if code != 0 {
			t.Fatalf("search --filter %s: %s", tt.filter, errOut)
		}
		var resp struct {
			Results []struct {
				DocID string `json:"doc_id"`
			}
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range resp.Results {
			got = append(got, r.DocID)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("--filter %s: %v, want %v", tt.filter, got, tt.want)
		}
	}
	out, _, _ := runExit(t, "", "search", "--help")
	if !strings.Contains(out, "case-sensitive") || !strings.Contains(out, "matches any of its elements") {
		t.Errorf("search --help does not say how filters match")
	}
}

// Item 14: the smaller things.
func TestCLI_SmallerThings(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "SHOUT.TXT"), "Loud news\n\nThe band played loudly all night.\n")
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "image.png"), "not text")
	g := f.flags(data)

	// Upper-case extensions load; a path with no supported files says so.
	out, errOut, code := runExit(t, "", append([]string{"index", dir, empty}, g...)...)
	if code != 0 || !strings.Contains(out, "1 new") || !strings.Contains(out, "0 skipped") {
		t.Errorf("SHOUT.TXT not indexed, or the empty directory counted as a skipped file: %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "warning: "+empty+": no files to load") {
		t.Errorf("no warning for a directory without supported files: %q", errOut)
	}
	// "1 passage", not "1 passages".
	out, _, _ = runExit(t, "", append([]string{"search", "-k", "1", "band"}, g...)...)
	if !strings.Contains(out, "1 passage from") {
		t.Errorf("search summary: %q", out)
	}
	// list --json has no empty text.
	out, _, _ = runExit(t, "", append([]string{"list", "--json"}, g...)...)
	if strings.Contains(out, `"text":`) || !strings.Contains(out, "SHOUT.TXT") {
		t.Errorf("list --json: %s", out)
	}
	// Bad dates name the accepted formats.
	_, errOut, code = runExit(t, "", append([]string{"search", "--after", "yesterday", "band"}, g...)...)
	if code != exitUsage || !strings.Contains(errOut, "YYYY-MM-DD") || strings.Contains(errOut, "2006-01-02") {
		t.Errorf("--after yesterday: %d %q", code, errOut)
	}
	// A single-valued flag given twice is refused, not silently the last.
	_, errOut, code = runExit(t, "", append([]string{"search", "-c", "a", "-c", "b", "band"}, g...)...)
	if code != exitUsage || !strings.Contains(errOut, "--collection given twice") {
		t.Errorf("-c a -c b: %d %q", code, errOut)
	}
	// One query limit, as over HTTP.
	_, errOut, code = runExit(t, "", append([]string{"search", strings.Repeat("word ", 20000)}, g...)...)
	if code != exitUsage || !strings.Contains(errOut, "limit is 4096") {
		t.Errorf("100 KB query: %d %q", code, errOut)
	}
	// stats on a data directory that does not exist says so.
	out, errOut, code = runExit(t, "", "stats", "--data", filepath.Join(data, "nope"))
	if code == 0 || !strings.Contains(errOut, "no data directory") {
		t.Errorf("stats on a missing data directory: %d %q %q", code, out, errOut)
	}
	// Retries are reported in the CLI's own message style.
	writeFile(t, filepath.Join(dir, "SHOUT.TXT"), "Loud news\n\nThe band played softly.\n")
	f.fail.Store(true)
	_, errOut, _ = runExit(t, "", append([]string{"index", dir}, g...)...)
	if !strings.Contains(errOut, "warning: ollama request failed, retrying (") || strings.Contains(errOut, "level=WARN") {
		t.Errorf("retry lines not in the CLI's style: %q", errOut)
	}
}

// Item 9: the progress line counts articles and passages and shows the
// rate and the time left; it is drawn only on a terminal, never into a
// pipe or file, and --quiet turns it off.
func TestIndex_Progress(t *testing.T) {
	// The bar reads the clock for its rate and time left: in a synctest
	// bubble the clock moves only by the test's own sleep, so the line is
	// the same on a busy machine as on an idle one.
	synctest.Test(t, func(t *testing.T) {
		var w bytes.Buffer
		p := newIndexProgress(&w, "embedding")
		p.Update(engine.IndexProgress{ArticlesTotal: 3, PassagesTotal: 90})
		p.Update(engine.IndexProgress{Articles: 1, ArticlesTotal: 3, Passages: 30, PassagesTotal: 90})
		time.Sleep(2 * time.Second)
		p.Update(engine.IndexProgress{Articles: 2, ArticlesTotal: 3, Passages: 60, PassagesTotal: 90})
		p.Finish()
		out := w.String()
		// 60 passages in 2 s: 30 a second, and the 30 left take 1 s more.
		for _, want := range []string{"embedding 2/3 articles", "(60/90, 30 passages/s) [2s:1s]"} {
			if !strings.Contains(out, want) {
				t.Errorf("progress line lacks %q: %q", want, out)
			}
		}
	})

	if showProgress(&bytes.Buffer{}, false) || showProgress(os.Stderr, true) {
		t.Error("progress shown on a buffer or with --quiet")
	}
	f := newFakeOllama(t, "fake")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes.\n")
	_, errOut, code := runExit(t, "", append([]string{"index", dir}, f.flags(t.TempDir())...)...)
	if code != 0 || errOut != "" {
		t.Errorf("index into a pipe printed progress or failed: %d %q", code, errOut)
	}
}

// Item 9: an interrupted run says that what it finished is kept.
func TestIndex_InterruptedMessage(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	for i := range 6 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.txt", i)), fmt.Sprintf("Article %d\n\nText number %d about rivers.\n", i, i))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hook := func(n int64) {
		if n == 3 { // the probe, then the first call of two articles, then this
			cancel()
		}
	}
	f.onEmbed.Store(&hook)
	var out, errOut bytes.Buffer
	app := newApp(strings.NewReader(""), &out, &errOut)
	code := runMain(ctx, app, append([]string{"semsearch", "index", "--batch-size", "1", dir}, f.flags(data)...), &errOut)
	// The call in flight when the context ends may still be answered and
	// stored (the pipeline stores what was embedded), so 2 or 3 articles
	// are kept; the message must name what the summary counts.
	var stored int
	if _, err := fmt.Sscanf(out.String(), "indexed \"default\": %d new", &stored); err != nil || stored < 2 || stored > 3 {
		t.Fatalf("interrupted index stored %d articles (%v), want 2 or 3:\n%s%s", stored, err, out.String(), errOut.String())
	}
	want := fmt.Sprintf("interrupted: the %d articles finished before it are stored; run the same command again", stored)
	if code == 0 || !strings.Contains(errOut.String(), want) {
		t.Errorf("interrupted index: %d, want %q\n%s%s", code, want, out.String(), errOut.String())
	}
}

// Item 13: while serve holds the data directory, index, search and delete
// say so and offer --server, which works; search never silently drops to
// vectors only.
func TestCLI_ThroughRunningServer(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}

	url := serveInTest(t, data, g)

	writeFile(t, filepath.Join(dir, "b.txt"), "Beta\n\nMountains and snow.\n")
	_, errOut, code := runExit(t, "", append([]string{"index", "--no-server", dir}, g...)...)
	if code == 0 || !strings.Contains(errOut, "--server "+url) {
		t.Errorf("local index while serving: %d %q", code, errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"index", "--server", url, dir}, g...)...)
	if code != 0 || !strings.Contains(out, "1 new") || !strings.Contains(out, "through "+url) {
		t.Errorf("index --server: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"search", "--server", url, "snow"}, g...)...)
	if code != 0 || !strings.Contains(out, "b.txt") || !strings.Contains(out, "hybrid search") {
		t.Errorf("search --server: %d %q %q", code, out, errOut)
	}
	// The server now holds the BM25 index: a local hybrid search says so
	// instead of ranking by vectors alone.
	out, errOut, code = runExit(t, "", append([]string{"search", "--no-server", "fish"}, g...)...)
	if code == 0 || !strings.Contains(errOut, "--server "+url) || strings.Contains(out, "vector search") {
		t.Errorf("local hybrid search while serving: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runExit(t, "", append([]string{"delete", "--server", url, "b.txt", "nope"}, g...)...)
	if code == 0 || !strings.Contains(out, "deleted 1 of 2") || !strings.Contains(errOut, "nope") {
		t.Errorf("delete --server: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runExit(t, "", "delete", "--data", data, "--server", url, "--collection", "typo", "a.txt")
	if code == 0 || !strings.Contains(errOut, `no collection "typo"`) {
		t.Errorf("delete --server from a missing collection: %d %q", code, errOut)
	}
}
