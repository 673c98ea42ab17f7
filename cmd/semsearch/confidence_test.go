package main

import (
	"encoding/json"
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
