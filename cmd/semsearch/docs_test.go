package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The documentation's own checks: every relative link in README.md and
// docs/ resolves (the file, and the heading a #fragment names), and the
// shell blocks a reader can run on this machine alone run as written.

const repoRoot = "../.."

// docFiles lists README.md and every Markdown file under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(repoRoot, "README.md")}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walking docs/: %v", err)
	}
	return files
}

var (
	fenceRe      = regexp.MustCompile("(?ms)^```.*?^```")
	inlineCodeRe = regexp.MustCompile("`[^`\n]*`")
	linkRe       = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe    = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	slugDropRe   = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
)

// prose is a Markdown text without its code blocks and inline code, where
// a "](x)" is code, not a link.
func prose(text string) string {
	return inlineCodeRe.ReplaceAllString(fenceRe.ReplaceAllString(text, ""), "")
}

// anchors are the fragments GitHub gives a page's headings.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingRe.FindAllStringSubmatch(fenceRe.ReplaceAllString(text, ""), -1) {
		h := strings.ToLower(strings.NewReplacer("`", "", "*", "").Replace(m[1]))
		slug := strings.ReplaceAll(slugDropRe.ReplaceAllString(h, ""), " ", "-")
		for n := 0; ; n++ { // repeated headings get -1, -2, ...
			s := slug
			if n > 0 {
				s = fmt.Sprintf("%s-%d", slug, n)
			}
			if !out[s] {
				out[s] = true
				break
			}
		}
	}
	return out
}

func TestDocs_linksResolve(t *testing.T) {
	files := docFiles(t)
	if len(files) < 10 {
		t.Fatalf("found %d documentation files, want README.md and the docs/ pages", len(files))
	}
	checked := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRe.FindAllStringSubmatch(prose(string(text)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
			}
			rel, _ := filepath.Rel(repoRoot, f)
			body, err := os.ReadFile(dest)
			if err != nil {
				if _, serr := os.Stat(dest); serr == nil {
					continue // a directory
				}
				t.Errorf("%s: link %q: no such file", rel, target)
				continue
			}
			if frag != "" && strings.HasSuffix(dest, ".md") && !anchors(string(body))[frag] {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", rel, target, filepath.Base(dest), frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative links found: the link pattern is broken")
	}
}

// A shell block is run when each of its commands is one a reader can run
// here with nothing beyond the offline runtime: the built binary (not
// `serve --server` against someone else's server, nor a remote --store),
// curl against a server the block starts itself, and the make targets the
// test stands in for. Anything else (other make targets, ollama, node,
// go run, paths outside the repository) leaves the block to its own test.
var (
	runnableLine = regexp.MustCompile(`^(bin/semsearch( |$)|curl |kill %1$|make (build|runtime-stop)( |$)|eval "\$\(make -s runtime\)"( |$))`)
	refusedWord  = regexp.MustCompile(`(^|\s)(--server|--store|mcp|~/|\.\./shared)`)
)

type shellBlock struct {
	file, heading string
	line          int
	body          string
}

// shellBlocks returns the ```sh blocks of a Markdown file.
func shellBlocks(t *testing.T, file string) []shellBlock {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []shellBlock
	var cur *shellBlock
	heading := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh":
			cur = &shellBlock{file: file, heading: heading, line: n}
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &shellBlock{line: -1} // another language: skipped
		case cur != nil && line == "```":
			if cur.line > 0 {
				blocks = append(blocks, *cur)
			}
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimLeft(line, "# ")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// whyNotRun says why a block is not run here, or "" when it is.
func whyNotRun(body string) string {
	joined := strings.ReplaceAll(body, "\\\n", " ")
	startsServer := strings.Contains(joined, "bin/semsearch serve")
	for _, line := range strings.Split(joined, "\n") {
		cmd := strings.TrimSpace(line)
		if i := strings.Index(cmd, "  #"); i >= 0 {
			cmd = strings.TrimSpace(cmd[:i])
		}
		if cmd == "" || strings.HasPrefix(cmd, "#") {
			continue
		}
		if !runnableLine.MatchString(cmd) || refusedWord.MatchString(cmd) {
			return "needs more than the offline runtime: " + cmd
		}
		if strings.HasPrefix(cmd, "curl ") && !startsServer {
			return "talks to a server the block does not start: " + cmd
		}
	}
	return ""
}

// docsPrelude stands in for what the blocks take from the reader's
// machine: `make build` (the test built the binary), `make -s runtime` (the
// test's runtime), `make runtime-stop` (the runtime is not the block's to
// stop), and port 8080 (the block's server gets a free port).
const docsPrelude = `set -e
make() {
	case "$*" in
	build|runtime-stop) ;;
	"-s runtime") printf 'export OLLAMA_HOST=%q SEMSEARCH_MODEL=%q\n' "$OLLAMA_HOST" "$SEMSEARCH_MODEL" ;;
	*) echo "docs test: make $* is not stood in for" >&2; return 1 ;;
	esac
}
curl() {
	local args=()
	for a in "$@"; do args+=("${a//127.0.0.1:8080/$SEMSEARCH_ADDR}"); done
	command curl --retry 30 --retry-connrefused --retry-delay 1 -o - "${args[@]}"
}
`

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestDocs_shellBlocks runs the quickstart (make demo) and, page by page in
// order on one data directory per page, the shell blocks of README.md and
// docs/ that need nothing beyond the offline runtime.
func TestDocs_shellBlocks(t *testing.T) {
	if os.Getenv("SEMSEARCH_TEST_OLLAMA") != "1" || os.Getenv("OLLAMA_HOST") == "" || os.Getenv("SEMSEARCH_MODEL") == "" {
		t.Skip("needs the real Ollama: run `make test`, or `eval \"$(make -s runtime)\"` and set SEMSEARCH_TEST_OLLAMA=1")
	}
	for _, k := range []string{"SEMSEARCH_COLLECTION", "SEMSEARCH_SERVER", "SEMSEARCH_STORE", "SEMSEARCH_DATA", "SEMSEARCH_API_KEY"} {
		unsetEnv(t, k)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)

	t.Run("make demo", func(t *testing.T) {
		cmd := exec.Command("make", "-s", "demo", "BIN="+bin, "DEMO_DATA="+t.TempDir())
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Q: Who did Trump fire the day before meeting Lavrov?") || !strings.Contains(string(out), "Comey") {
			t.Fatalf("make demo: %v\n%s", err, out)
		}
	})

	ran := map[string]bool{}
	for _, file := range docFiles(t) {
		rel, _ := filepath.Rel(root, mustAbs(t, file))
		var work, data string
		for _, b := range shellBlocks(t, file) {
			name := fmt.Sprintf("%s:%d (%s)", rel, b.line, b.heading)
			if why := whyNotRun(b.body); why != "" {
				t.Logf("not run: %s: %s", name, why)
				continue
			}
			if work == "" { // one working directory and data directory per page
				work, data = t.TempDir(), t.TempDir()
				if err := os.Mkdir(filepath.Join(work, "bin"), 0o755); err != nil {
					t.Fatal(err)
				}
				for _, l := range [][2]string{{bin, "bin/semsearch"}, {filepath.Join(root, "examples"), "examples"}} {
					if err := os.Symlink(l[0], filepath.Join(work, l[1])); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, "bash", "-c", docsPrelude+b.body+"\nkill $(jobs -p) 2>/dev/null || true\nwait\n")
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "SEMSEARCH_DATA="+data, "SEMSEARCH_ADDR="+freeAddr(t))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("the block failed: %v\n%s\n--- output:\n%s", err, b.body, out)
				}
				ran[rel] = true
			})
		}
	}
	// The README's own blocks must stay runnable: a rule that skipped them
	// all would make this test pass while checking nothing.
	if !ran["README.md"] || !ran[filepath.Join("docs", "http-api.md")] {
		t.Errorf("blocks run per page: %v; want README.md's and docs/http-api.md's", ran)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
