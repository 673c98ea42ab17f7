package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawControl reports the first terminal control character in s other than
// newline and tab, or "".
func rawControl(s string) string {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return strings.TrimPrefix(strings.TrimSuffix(jsonString(string(r)), `"`), `"`)
		}
	}
	return ""
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestCLI_terminalEscapes: an article whose title, text and source hold
// terminal escapes (clear screen, window title, hidden text, C1 CSI, DEL)
// prints them escaped in every human-readable output (search, list, get,
// warnings), while --json keeps them exact; a file whose name holds ESC or
// a newline is skipped with a warning naming it escaped, not indexed under
// that id.
func TestCLI_terminalEscapes(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	// The source is the directory as given, escapes and all.
	dir := filepath.Join(t.TempDir(), "src\x1b[2Jdir")
	title := "\x1b]0;PWNED\x07 Quagga report"
	text := title + "\n\nThe quagga \x1b[8mhidden\x1b[0m zebra roams\u009b31m near Etosha\x7f today.\n"
	writeFile(t, filepath.Join(dir, "a.txt"), text)
	writeFile(t, filepath.Join(dir, "evil\x1b[2J.txt"), "Evil\n\nQuagga name with an escape.\n")
	if err := os.WriteFile(filepath.Join(dir, "new\nline.txt"), []byte("Newline\n\nQuagga name with a newline.\n"), 0o644); err != nil {
		t.Skipf("this file system refuses a newline in a name: %v", err)
	}
	g := f.flags(data)

	out, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	t.Logf("index: exit %d\n%s%s", code, out, errOut)
	if c := rawControl(out + errOut); c != "" {
		t.Errorf("index printed a raw %s", c)
	}
	for _, want := range []string{`evil\x1b[2J.txt`, `new\nline.txt`, "control characters"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("index warnings lack %q", want)
		}
	}

	out, errOut, _ = runExit(t, "", append([]string{"list"}, g...)...)
	if c := rawControl(out + errOut); c != "" {
		t.Errorf("list printed a raw %s:\n%s", c, out)
	}
	if !strings.Contains(out, `\x1b]0;PWNED\x07 Quagga report`) {
		t.Errorf("list does not show the title escaped:\n%s", out)
	}
	if strings.Contains(out, "evil") || strings.Contains(out, "line.txt") {
		t.Errorf("a file name with control characters became an id:\n%s", out)
	}

	out, errOut, code = runExit(t, "", append([]string{"search", "--mode", "vector", "quagga hidden zebra"}, g...)...)
	if code != 0 {
		t.Fatalf("search: %d %s", code, errOut)
	}
	if c := rawControl(out + errOut); c != "" {
		t.Errorf("search printed a raw %s:\n%s", c, out)
	}
	for _, want := range []string{`\x1b[8mhidden\x1b[0m`, `src\x1b[2Jdir`, `\u009b31m`, `\x7f`} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}

	out, _, _ = runExit(t, "", append([]string{"get", "a.txt"}, g...)...)
	if c := rawControl(out); c != "" || !strings.Contains(out, `\x1b[8mhidden`) {
		t.Errorf("get printed a raw %s:\n%s", c, out)
	}

	out, _, _ = runExit(t, "", append([]string{"get", "--json", "a.txt"}, g...)...)
	var doc struct{ Text, Title, Source string }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Text != text || doc.Title != title || !strings.Contains(doc.Source, "\x1b[2J") {
		t.Errorf("get --json changed the text: %v %q %q %q", err, doc.Title, doc.Source, doc.Text)
	}
	out, _, _ = runExit(t, "", append([]string{"search", "--json", "--mode", "vector", "quagga hidden zebra"}, g...)...)
	var res struct {
		Results []struct {
			DocID string `json:"doc_id"`
			Text  string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 1 || res.Results[0].DocID != "a.txt" || !strings.Contains(res.Results[0].Text, "\x1b[8mhidden\x1b[0m") {
		t.Errorf("search --json changed the text: %v %+v", err, res.Results)
	}
}

func TestTermEscape(t *testing.T) {
	for _, tc := range []struct{ in, line, text string }{
		{"plain Ünïcode", "plain Ünïcode", "plain Ünïcode"},
		{"a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"t\x07\x00\x7f", `t\x07\x00\x7f`, `t\x07\x00\x7f`},
		{"c1\u009b31m\u0085", `c1\u009b31m\u0085`, `c1\u009b31m\u0085`},
		{"one\ntwo\tthree", `one\ntwo\tthree`, "one\ntwo\tthree"},
		{"crlf\r\nlone\rcr", `crlf\r\nlone\rcr`, "crlf\nlone\\rcr"},
		{"bad \xff byte", `bad \xff byte`, `bad \xff byte`},
		// Bidirectional overrides and isolates reorder what follows them
		// on screen ("Trojan Source"): a citation must read as stored.
		{"report\u202Efdp.exe", `report\u202efdp.exe`, `report\u202efdp.exe`},
		{"a\u2066b\u2069 \u202a\u202c", `a\u2066b\u2069 \u202a\u202c`, `a\u2066b\u2069 \u202a\u202c`},
		{"עברית and العربية stay", "עברית and العربية stay", "עברית and العربية stay"},
	} {
		if got := termLine(tc.in); got != tc.line {
			t.Errorf("termLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := termText(tc.in); got != tc.text {
			t.Errorf("termText(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}
