package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Issue 21 item 15: eval searches a collection that already holds exactly
// its corpus (same ids, content hashes and settings) instead of embedding
// it again, says so, and names it in its summary; a corpus that differs in
// one article gets its own eval collection.
func TestEval_ReusesCollectionWithItsCorpus(t *testing.T) {
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	corpus := evalCorpus(t)
	if _, errOut, code := runExit(t, "", append([]string{"index", "--collection", "mine", corpus}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, queries, `{"id": "1", "query": "zebras graze", "relevant": ["animals/zebra.txt"]}`+"\n")
	before := f.embeds.Load()
	_, errOut, code := runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", corpus}, g...)...)
	if code != 0 || !strings.Contains(errOut, `collection "mine" already holds exactly this corpus`) ||
		!strings.Contains(errOut, `in collection "mine"`) || !strings.Contains(errOut, "0 new, 0 updated, 3 unchanged") {
		t.Errorf("eval: exit %d, did not reuse \"mine\":\n%s", code, errOut)
	}
	if n := f.embeds.Load() - before; n != 1 {
		t.Errorf("eval made %d embedding calls, want 1 (the query)", n)
	}
	// One article more: not the same corpus.
	writeFile(t, filepath.Join(corpus, "animals", "lion.txt"), "Lions\n\nLions hunt at night.\n")
	_, errOut, code = runExit(t, "", append([]string{"eval", "--dataset", queries, "--corpus", corpus}, g...)...)
	if code != 0 || strings.Contains(errOut, "already holds") || !strings.Contains(errOut, `in collection "eval-queries-`) {
		t.Errorf("eval over another corpus: exit %d\n%s", code, errOut)
	}
}
