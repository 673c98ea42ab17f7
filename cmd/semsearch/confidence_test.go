package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 21 item 10: search says when its best passage is a weak match, and
// --json (the API's answer) carries each hit's confidence and evidence,
// locally and through the server alike.
func TestSearch_LowConfidenceNotice(t *testing.T) {
	dir := bbcDir(t, "tech/020.txt", "sport/030.txt", "business/010.txt")
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	const notice = "note: the best passage is a weak match (low confidence: it holds "
	for _, door := range []string{"local", "server"} {
		args := []string{"search", "--no-server"}
		if door == "server" {
			args = []string{"search", "--server", serveInTest(t, data, g)}
		}
		for _, tt := range []struct {
			question, confidence string
		}{
			{"Who won the 2022 World Cup in Qatar?", "low"},
			{"Where did Bill Gates announce the new Internet Explorer?", "high"},
		} {
			out, errOut, code := runExit(t, "", append(append(args, tt.question), g...)...)
			if code != 0 || strings.Contains(out, notice) != (tt.confidence == "low") {
				t.Errorf("%s %q: exit %d, notice %v, want it for low confidence only:\n%s%s", door, tt.question, code, strings.Contains(out, notice), out, errOut)
			}
			if tt.confidence == "low" && !strings.Contains(out, "missing: 2022, cup, qatar, won") {
				t.Errorf("%s: notice names no missing words:\n%s", door, out)
			}
			out, errOut, _ = runExit(t, "", append(append(args, "--json", tt.question), g...)...)
			var resp struct {
				Results []struct {
					Confidence string `json:"confidence"`
					Evidence   *struct {
						BM25Score  float64  `json:"bm25_score"`
						BM25Rank   int      `json:"bm25_rank"`
						VectorRank int      `json:"vector_rank"`
						Coverage   float64  `json:"coverage"`
						Missing    []string `json:"missing"`
					} `json:"evidence"`
				} `json:"results"`
			}
			if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Results) == 0 {
				t.Fatalf("%s --json: %v\n%s%s", door, err, out, errOut)
			}
			top := resp.Results[0]
			if top.Confidence != tt.confidence || top.Evidence == nil || top.Evidence.VectorRank < 1 || top.Evidence.Coverage <= 0 {
				t.Errorf("%s --json %q: confidence %q, evidence %+v", door, tt.question, top.Confidence, top.Evidence)
			}
		}
	}
}

// TestConfidence_BBC measures the confidence rule (engine.Judge) on a BBC
// News collection of 300 articles and more (the first 60 of each topic,
// as in the session that asked for it, and the articles the answerable
// questions cite): 20 questions answered in an article and 20 about
// topics the collection does not cover (eval/confidence). It prints how
// often each set's best hit is rated low and fails unless the unanswerable
// ones are low far more often. `make confidence` runs it against the
// offline runtime, keeping the collection in the eval data directory
// (SEMSEARCH_CONFIDENCE_DATA) so that a second run embeds nothing.
func TestConfidence_BBC(t *testing.T) {
	needRuntime(t)
	bbc := filepath.Join(cmp.Or(os.Getenv("SHARED_DATA"), "../../../shared/data"), "bbc")
	if _, err := os.Stat(bbc); err != nil {
		t.Skipf("no BBC News at %s (set SHARED_DATA)", bbc)
	}
	raw, err := os.ReadFile("../../eval/confidence/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	data := cmp.Or(os.Getenv("SEMSEARCH_CONFIDENCE_DATA"), t.TempDir())
	corpus := filepath.Join(data, "bbc-confidence-corpus")
	names := map[string]bool{}
	for _, topic := range []string{"business", "entertainment", "politics", "sport", "tech"} {
		for i := 1; i <= 60; i++ {
			names[fmt.Sprintf("%s/%03d.txt", topic, i)] = true
		}
	}
	for _, line := range strings.Split(string(raw), "\n") {
		var q struct{ Relevant []string }
		if json.Unmarshal([]byte(line), &q) == nil {
			for _, id := range q.Relevant {
				names[id] = true
			}
		}
	}
	for n := range names {
		b, err := os.ReadFile(filepath.Join(bbc, n))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(corpus, n), string(b))
	}
	g := []string{"--data", data, "--collection", "bbc-confidence", "--no-server"}
	if _, errOut, code := runExit(t, "", append([]string{"index", "--quiet", corpus}, g...)...); code != 0 {
		t.Fatalf("index %s: %s", corpus, errOut)
	}
	var lows, totals, tops [2]int // [0] unanswerable, [1] answerable
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var q struct {
			ID         string   `json:"id"`
			Query      string   `json:"query"`
			Answerable bool     `json:"answerable"`
			Relevant   []string `json:"relevant"`
		}
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out, errOut, code := runExit(t, "", append([]string{"search", "--json", "-k", "1", q.Query}, g...)...)
		var resp struct {
			Results []struct {
				DocID      string          `json:"doc_id"`
				Duplicates []string        `json:"duplicates"`
				Confidence string          `json:"confidence"`
				Evidence   json.RawMessage `json:"evidence"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(out), &resp); code != 0 || err != nil || len(resp.Results) == 0 {
			t.Fatalf("search %q: exit %d, %v\n%s%s", q.Query, code, err, out, errOut)
		}
		top := resp.Results[0]
		set := 0
		if q.Answerable {
			set = 1
			if slices.Contains(q.Relevant, top.DocID) {
				tops[1]++
			}
		}
		totals[set]++
		if top.Confidence == "low" {
			lows[set]++
		}
		var ev bytes.Buffer
		json.Compact(&ev, top.Evidence)
		t.Logf("%s %-6s %-22s %s %s", q.ID, top.Confidence, top.DocID, q.Query, ev.String())
	}
	rate := func(i int) float64 { return float64(lows[i]) / float64(max(totals[i], 1)) }
	fmt.Printf("confidence on %d BBC News articles: low for %d of %d unanswerable questions (%.0f%%) and %d of %d answerable ones (%.0f%%; a relevant article first for %d)\n",
		len(names), lows[0], totals[0], 100*rate(0), lows[1], totals[1], 100*rate(1), tops[1])
	if rate(0) < 0.75 || rate(1) > 0.25 {
		t.Errorf("want low for at least 75%% of the unanswerable questions and at most 25%% of the answerable ones")
	}
}
