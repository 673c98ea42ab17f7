package chaos_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// hybridHangBound is the --query-embed-timeout the fault gives, and
// hybridHangSlack what a command may take beyond it (starting, BM25).
const (
	hybridHangBound = 2 * time.Second
	hybridHangSlack = 4 * time.Second
)

// ollamaHungHybrid: with Ollama hung (it accepts connections and never
// answers), a hybrid search answers from BM25 within --query-embed-timeout
// with a warning, through the CLI and serve's API, and a vector search
// fails within the same bound saying what to do. (ollamaHungSearch covers
// an overall --timeout shorter than that bound, bm25 search and /readyz.)
func (s *suite) ollamaHungHybrid(int) error {
	p := newProxy(s.t, s.ollama)
	p.hang()
	bound := "--query-embed-timeout=" + hybridHangBound.String()
	i := s.sample(1)[0]

	out, r, err := s.search(p.addr(), s.ref1Data, "hybrid", s.words1[i], bound)
	if err != nil {
		return err
	}
	if r.code != 0 || r.took > hybridHangBound+hybridHangSlack {
		return fmt.Errorf("hybrid search with Ollama hung: want BM25's answer within %s + %s: %s", hybridHangBound, hybridHangSlack, r)
	}
	if err := hybridFellBack(out.Mode, out.Warnings, r.err); err != nil {
		return fmt.Errorf("CLI: %w: %s", err, r)
	}
	if len(out.Results) == 0 || out.Results[0].DocID != s.ids[i] || !strings.Contains(strings.ToLower(out.Results[0].Text), s.words1[i]) {
		return fmt.Errorf("hybrid search %q with Ollama hung did not answer with BM25's hit %s: %s", s.words1[i], s.ids[i], r)
	}

	_, r, err = s.search(p.addr(), s.ref1Data, "vector", s.words1[i], bound)
	if err != nil {
		return err
	}
	if r.code == 0 || r.took > hybridHangBound+hybridHangSlack || !strings.Contains(r.err, "--query-embed-timeout") || !strings.Contains(r.err, "--mode bm25") {
		return fmt.Errorf("vector search with Ollama hung: want a failure within %s + %s naming --query-embed-timeout and --mode bm25: %s", hybridHangBound, hybridHangSlack, r)
	}

	data := s.tempData()
	copyDir(s.t, s.ref1Data, data)
	c, base, errOut, err := s.serveWith(p.addr(), data, bound)
	if err != nil {
		return err
	}
	defer stopServe(c)
	client := &http.Client{Timeout: time.Minute}
	for _, j := range s.sample(2) {
		start := time.Now()
		status, body, err := postJSON(client, base+"/v1/search", map[string]any{"query": s.words1[j], "k": 3, "collection": "news"})
		took := time.Since(start)
		if err != nil {
			return fmt.Errorf("POST /v1/search with Ollama hung: %w: %s", err, clip(errOut.String()))
		}
		var resp struct {
			Mode     string   `json:"mode"`
			Warnings []string `json:"warnings"`
			Results  []struct {
				DocID string `json:"doc_id"`
			} `json:"results"`
		}
		json.Unmarshal(body, &resp)
		if status != 200 || took > hybridHangBound+hybridHangSlack || len(resp.Results) == 0 || resp.Results[0].DocID != s.ids[j] {
			return fmt.Errorf("POST /v1/search %q with Ollama hung: %d after %s: %s; want BM25's hit %s within %s + %s", s.words1[j], status, took.Round(time.Millisecond), clip(string(body)), s.ids[j], hybridHangBound, hybridHangSlack)
		}
		if err := hybridFellBack(resp.Mode, resp.Warnings, ""); err != nil {
			return fmt.Errorf("API: %w: %s", err, clip(string(body)))
		}
	}
	return nil
}

// hybridFellBack checks that an answer says it is BM25's alone and why.
func hybridFellBack(mode string, warnings []string, stderr string) error {
	if mode != "bm25" {
		return fmt.Errorf("mode %q, want bm25 (what answered)", mode)
	}
	for _, w := range warnings {
		if strings.Contains(w, "ranked by BM25 alone") && strings.Contains(w, "--query-embed-timeout") {
			if stderr != "" && !strings.Contains(stderr, "warning: ranked by BM25 alone") {
				return fmt.Errorf("the warning is not on stderr")
			}
			return nil
		}
	}
	return fmt.Errorf("no warning saying the answer is BM25's alone: %q", warnings)
}

// serveWith is [suite.serve] with extra flags for serve.
func (s *suite) serveWith(ollama, data string, extra ...string) (*exec.Cmd, string, *syncBuffer, error) {
	c, _, errOut := s.start(ollama, data, "serve", append([]string{"--addr", "127.0.0.1:0"}, extra...)...)
	re := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			return c, "http://" + m[1], errOut, nil
		}
	}
	c.Process.Kill()
	c.Wait()
	return nil, "", errOut, fmt.Errorf("serve did not start: %s", clip(errOut.String()))
}
