package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_PDFPages indexes the PDF Chromium printed from
// internal/article/testdata/pdf/printed.html (one section a page) with the
// fake Ollama: search cites the page a sentence is on, --json carries
// page_start/page_end, and get --pages prints that page.
func TestCLI_PDFPages(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	dir := t.TempDir()
	pdf, err := os.ReadFile("../../internal/article/testdata/pdf/printed.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--ollama", f.URL, "--model", "fake", "--data", t.TempDir()}
	if out, stderr, err := run(t, "", append(base, "index", dir)...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err := run(t, "", append(base, "--mode", "bm25", "search", "--json", "-k", "1", "Lavrov joked about Comey firing Secretary of State Tillerson")...)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	var res struct {
		Results []struct {
			Citation  string `json:"citation"`
			PageStart int    `json:"page_start"`
			PageEnd   int    `json:"page_end"`
			Text      string `json:"text"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 1 {
		t.Fatalf("search --json: %v\n%s", err, out)
	}
	r := res.Results[0]
	if !strings.Contains(r.Text, "Lavrov joked about Comey") || r.PageStart != 2 || r.PageEnd != 2 ||
		!strings.HasPrefix(r.Citation, `"Oval Office photos", `) || !strings.Contains(r.Citation, "report.pdf, page 2, line") {
		t.Fatalf("hit %+v", r)
	}
	out, _, err = run(t, "", append(base, "--mode", "bm25", "search", "-k", "1", "Lavrov joked about Comey firing Secretary of State Tillerson")...)
	if err != nil || !strings.Contains(out, "report.pdf, page 2") {
		t.Errorf("search: %v\n%s", err, out)
	}
	out, stderr, err = run(t, "", append(base, "get", "--pages", "2", "report.pdf")...)
	if err != nil || !strings.HasPrefix(out, "--- page 2 ---\nLavrov joked about Comey") || strings.Contains(out, "Putin") || strings.Contains(out, "Sergei Lavrov") {
		t.Errorf("get --pages 2: %v\n%s%s", err, out, stderr)
	}
	out, _, err = run(t, "", append(base, "get", "--pages", "2-3", "--lines", "1-1", "report.pdf")...)
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, "--- page 3 ---\n") {
		t.Errorf("get --pages 2-3 --lines 1-1: %v\n%s", err, out)
	}
	if _, stderr, err := run(t, "", append(base, "get", "--pages", "4", "report.pdf")...); err == nil || !strings.Contains(err.Error()+stderr, "within 1-3") {
		t.Errorf("get --pages 4 of 3: %v %s", err, stderr)
	}
}

// TestDataDirV5 opens a data directory written before documents carried
// pages (testdata/datadir-v5, snapshot v5, log v2): it is searched, and the
// next write leaves a current (v6) snapshot and log.
func TestDataDirV5(t *testing.T) {
	f := newFakeOllama(t, "fake")
	unsetEnv(t, "SEMSEARCH_MODEL")
	data := t.TempDir()
	copyDir(t, "testdata/datadir-v5/data", data)
	base := []string{"--ollama", f.URL, "--data", data}
	out, stderr, err := run(t, "", append(base, "search", "-k", "2", "harbour wall storm")...)
	if err != nil || !strings.Contains(out, "id harbour.html") {
		t.Fatalf("search of the v5 data directory: %v\n%s%s", err, out, stderr)
	}
	if out, stderr, err := run(t, "Bees need water.\n", append(base, "index", "--id", "note2", "-")...); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, stderr)
	}
	if _, _, docs := storedDocs(t, data, "default"); len(docs) != 5 || docs["note1"].Title != "Permit note" {
		t.Errorf("after the next write: %d documents", len(docs))
	}
	wal, err := os.ReadFile(filepath.Join(data, "default.wal"))
	if err != nil || !strings.HasPrefix(string(wal), "semsearch log v6\n") {
		t.Errorf("log starts %.17q, %v", wal, err)
	}
}
