package article

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// walkTree is a corpus with every kind of entry a walk meets.
var walkTree = map[string]string{
	"a.txt":             "A title\n\nA body.\n",
	"a/1.md":            "# One\n\nBody one.\n",
	"b/2.txt":           "Two\n\nBody two.\n",
	"sub/deep/3.json":   `[{"text": "Three."}, {"id": "x", "text": "Four."}]`,
	"notes.org":         "* Not included by default\n",
	".hidden/h.txt":     "Hidden dir.\n",
	".dot.txt":          "Hidden file.\n",
	"drafts/d.md":       "# Draft\n\nDraft body.\n",
	"drafts/old/e.html": "<p>Old draft.</p>",
}

func newWalkTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	writeTree(t, dir, walkTree)
	return dir
}

func TestLoad_Walk(t *testing.T) {
	tests := []struct {
		name    string
		opt     LoadOptions
		wantIDs []string
	}{
		{
			name:    "defaults: sorted, hidden skipped, only known extensions",
			wantIDs: []string{"a/1.md", "a.txt", "b/2.txt", "drafts/d.md", "drafts/old/e.html", "sub/deep/3.json#0", "x"},
		},
		{
			name:    "include by base name",
			opt:     LoadOptions{Include: []string{"*.md"}},
			wantIDs: []string{"a/1.md", "drafts/d.md"},
		},
		{
			name:    "include everything",
			opt:     LoadOptions{Include: []string{"**"}},
			wantIDs: []string{"a/1.md", "a.txt", "b/2.txt", "drafts/d.md", "drafts/old/e.html", "notes.org", "sub/deep/3.json#0", "x"},
		},
		{
			name:    "exclude a directory tree",
			opt:     LoadOptions{Exclude: []string{"drafts/**"}},
			wantIDs: []string{"a/1.md", "a.txt", "b/2.txt", "sub/deep/3.json#0", "x"},
		},
		{
			name:    "exclude by base name prunes the directory, not the file",
			opt:     LoadOptions{Exclude: []string{"a"}},
			wantIDs: []string{"a.txt", "b/2.txt", "drafts/d.md", "drafts/old/e.html", "sub/deep/3.json#0", "x"},
		},
		{
			name:    "exclude wins over include",
			opt:     LoadOptions{Include: []string{"**/*.md", "*.html"}, Exclude: []string{"**/old/**", "a/*"}},
			wantIDs: []string{"drafts/d.md"},
		},
		{
			name:    "include with ** in the middle",
			opt:     LoadOptions{Include: []string{"sub/**/*.json"}},
			wantIDs: []string{"sub/deep/3.json#0", "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newWalkTree(t)
			res, err := Load(t.Context(), []string{dir}, nil, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := articleIDs(res.Articles); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("IDs = %v\nwant  %v", got, tt.wantIDs)
			}
			if len(res.Problems) != 0 {
				t.Errorf("problems: %v", res.Problems)
			}
			for _, a := range res.Articles {
				checkArticle(t, a)
				rel := strings.SplitN(a.ID, "#", 2)[0]
				if a.ID == "x" {
					rel = "sub/deep/3.json"
				}
				if want := filepath.Join(dir, filepath.FromSlash(rel)); a.Source != want {
					t.Errorf("%s: Source = %q, want %q", a.ID, a.Source, want)
				}
			}
		})
	}
}

func TestLoad_Symlinks(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "corpus")
	writeTree(t, dir, map[string]string{"a.txt": "A\n\nBody.\n", "sub/b.txt": "B\n\nBody.\n"})
	writeTree(t, base, map[string]string{"outside/o.txt": "Outside\n\nBody.\n"})
	links := map[string]string{
		"corpus/link-out.txt":     "../outside/o.txt",    // file outside the root: followed
		"corpus/same.txt":         "a.txt",               // alias of a loaded file: skipped
		"corpus/broken.txt":       "missing.txt",         // broken: problem
		"corpus/sub/loop":         "..",                  // loop to the root: not walked twice
		"corpus/outdir":           "../outside",          // directory outside the root: walked
		"corpus/sub/ignored.link": "../../outside/o.txt", // not included: ignored
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks not supported: %v", err)
		}
	}
	res, err := Load(t.Context(), []string{dir}, nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// outdir/o.txt is the same file as link-out.txt, which came first.
	wantIDs := []string{"a.txt", "link-out.txt", "sub/b.txt"}
	if got := articleIDs(res.Articles); !slices.Equal(got, wantIDs) {
		t.Errorf("IDs = %v, want %v", got, wantIDs)
	}
	wantProblems := map[string]string{
		"broken.txt":   KindError + ";",
		"outdir/o.txt": KindSkipped + ";",
		"same.txt":     KindSkipped + ";",
		"sub/loop":     KindSkipped + ";",
	}
	got := map[string]string{}
	for src, kinds := range problemKinds(res.Problems) {
		rel, _ := filepath.Rel(dir, src)
		got[filepath.ToSlash(rel)] = kinds
	}
	if len(got) != len(wantProblems) {
		t.Errorf("problems = %v, want %v", res.Problems, wantProblems)
	}
	for src, kind := range wantProblems {
		if got[src] != kind {
			t.Errorf("problem for %s = %q, want %q (all: %v)", src, got[src], kind, res.Problems)
		}
	}
}

func TestLoad_Stdin(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantIDs    []string
		wantFormat string
		wantProbs  int
	}{
		{name: "text", in: "Title\n\nBody.\n", wantIDs: []string{"stdin"}, wantFormat: "text"},
		{name: "markdown", in: "---\ntitle: T\n---\nBody.\n", wantIDs: []string{"stdin"}, wantFormat: "markdown"},
		{name: "html", in: "<html><body><p>Body.</p></body></html>", wantIDs: []string{"stdin"}, wantFormat: "html"},
		{name: "json lines", in: "{\"text\":\"a\"}\n{\"id\":\"k\",\"text\":\"b\"}\n", wantIDs: []string{"stdin#1", "k"}, wantFormat: "json"},
		{name: "binary", in: "\x00\x01\x02", wantProbs: 1},
		{name: "empty", in: "", wantProbs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Load(t.Context(), []string{"-"}, strings.NewReader(tt.in), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := articleIDs(res.Articles); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("IDs = %v, want %v", got, tt.wantIDs)
			}
			if len(res.Problems) != tt.wantProbs {
				t.Errorf("problems = %v, want %d", res.Problems, tt.wantProbs)
			}
			for _, a := range res.Articles {
				checkArticle(t, a)
				if a.Source != "-" || a.Format != tt.wantFormat {
					t.Errorf("Source %q Format %q, want - and %q", a.Source, a.Format, tt.wantFormat)
				}
			}
		})
	}

	t.Run("named twice", func(t *testing.T) {
		res, err := Load(t.Context(), []string{"-", "-"}, strings.NewReader("Body.\n"), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Articles) != 1 || len(res.Problems) != 1 || res.Problems[0].Kind != KindSkipped {
			t.Errorf("got %v, problems %v", articleIDs(res.Articles), res.Problems)
		}
	})
	t.Run("too large", func(t *testing.T) {
		res, err := Load(t.Context(), []string{"-"}, strings.NewReader(strings.Repeat("x", 100)), LoadOptions{MaxFileBytes: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Articles) != 0 || len(res.Problems) != 1 || res.Problems[0].Kind != KindSkipped {
			t.Errorf("got %v, problems %v", articleIDs(res.Articles), res.Problems)
		}
	})
}

func TestLoad_IDCollisions(t *testing.T) {
	base := t.TempDir()
	writeTree(t, base, map[string]string{
		"one/x/a.txt":   "One\n\nBody.\n",
		"two/x/a.txt":   "Two\n\nBody.\n",
		"three/x/a.txt": "Three\n\nBody.\n",
		"four/a.txt":    "Four\n\nBody.\n",
		"j1.jsonl":      `{"id": "k", "text": "first"}` + "\n",
		"j2.jsonl":      `{"id": "k", "text": "second"}` + "\n" + `{"id": "k", "text": "third"}` + "\n",
	})
	p := func(s string) string { return filepath.Join(base, filepath.FromSlash(s)) }
	paths := []string{p("one/x"), p("two/x"), p("three/x"), p("four/a.txt"), p("j1.jsonl"), p("j2.jsonl")}
	res, err := Load(t.Context(), paths, nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// one/x keeps "a.txt"; two/x gets its root's name; three/x finds that
	// taken too and gets a number; four/a.txt, named directly, gets its
	// directory's name; JSON ids get numbers.
	wantIDs := []string{"a.txt", "x/a.txt", "a.txt~2", "four/a.txt", "k", "k~2", "k~3"}
	if got := articleIDs(res.Articles); !slices.Equal(got, wantIDs) {
		t.Errorf("IDs = %v, want %v", got, wantIDs)
	}
	if len(res.Problems) != 5 {
		t.Errorf("want 5 rename problems, got %v", res.Problems)
	}
	for _, pr := range res.Problems {
		if pr.Kind != KindRepaired || !strings.Contains(pr.Reason, "renamed to") {
			t.Errorf("unexpected problem %v", pr)
		}
	}
}

func TestLoad_Files(t *testing.T) {
	base := t.TempDir()
	writeTree(t, base, map[string]string{
		"big.txt":   strings.Repeat("word ", 40),
		"small.txt": "Small\n\nBody.\n",
		"d/in.txt":  "In\n\nBody.\n",
	})
	p := func(s string) string { return filepath.Join(base, filepath.FromSlash(s)) }
	tests := []struct {
		name      string
		paths     []string
		opt       LoadOptions
		wantIDs   []string
		wantProbs map[string]string
	}{
		{
			name:    "files named directly ignore Include",
			paths:   []string{p("small.txt"), p("big.txt")},
			opt:     LoadOptions{Include: []string{"*.md"}},
			wantIDs: []string{"small.txt", "big.txt"},
		},
		{
			name:      "too large is skipped",
			paths:     []string{p("big.txt"), p("small.txt")},
			opt:       LoadOptions{MaxFileBytes: 100},
			wantIDs:   []string{"small.txt"},
			wantProbs: map[string]string{p("big.txt"): "skipped;"},
		},
		{
			name:    "negative limit means none",
			paths:   []string{p("big.txt")},
			opt:     LoadOptions{MaxFileBytes: -1},
			wantIDs: []string{"big.txt"},
		},
		{
			name:      "same file or directory twice",
			paths:     []string{p("d"), p("d/in.txt"), p("d") + string(filepath.Separator)},
			wantIDs:   []string{"in.txt"},
			wantProbs: map[string]string{p("d/in.txt"): "skipped;", p("d") + string(filepath.Separator): "skipped;"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Load(t.Context(), tt.paths, nil, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := articleIDs(res.Articles); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("IDs = %v, want %v", got, tt.wantIDs)
			}
			got := problemKinds(res.Problems)
			if len(got) != len(tt.wantProbs) {
				t.Errorf("problems = %v, want %v", res.Problems, tt.wantProbs)
			}
			for src, kinds := range tt.wantProbs {
				if got[filepath.ToSlash(src)] != kinds {
					t.Errorf("problems for %s = %q, want %q", src, got[src], kinds)
				}
			}
		})
	}
}

func TestLoad_Errors(t *testing.T) {
	dir := newWalkTree(t)
	missing := filepath.Join(dir, "missing")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		paths   []string
		stdin   bool
		opt     LoadOptions
		wantIs  error
		wantMsg string
	}{
		{name: "path does not exist", ctx: t.Context(), paths: []string{dir, missing}, wantIs: fs.ErrNotExist, wantMsg: "load " + missing},
		{name: "context cancelled", ctx: cancelled, paths: []string{dir}, wantIs: context.Canceled, wantMsg: "load " + dir},
		{name: "bad include pattern", ctx: t.Context(), paths: []string{dir}, opt: LoadOptions{Include: []string{"[a-"}}, wantMsg: "include"},
		{name: "bad exclude pattern", ctx: t.Context(), paths: []string{dir}, opt: LoadOptions{Exclude: []string{"a/["}}, wantMsg: "exclude"},
		{name: "stdin named but nil", ctx: t.Context(), paths: []string{"-"}, wantMsg: "load -: no standard input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Load(tt.ctx, tt.paths, nil, tt.opt)
			if err == nil {
				t.Fatalf("no error; result %v", articleIDs(res.Articles))
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}

	t.Run("articles before the error are returned", func(t *testing.T) {
		res, err := Load(t.Context(), []string{dir, missing}, nil, LoadOptions{})
		if err == nil || len(res.Articles) == 0 {
			t.Errorf("err %v, %d articles", err, len(res.Articles))
		}
	})

	t.Run("permission denied", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permissions are not enforced")
		}
		base := t.TempDir()
		writeTree(t, base, map[string]string{"root/a.txt": "A\n\nBody.\n", "ok/locked/b.txt": "B\n\nBody.\n", "ok/c.txt": "C\n\nBody.\n"})
		for _, d := range []string{"root", "ok/locked"} {
			p := filepath.Join(base, filepath.FromSlash(d))
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, 0o755) })
		}
		if _, err := Load(t.Context(), []string{filepath.Join(base, "root")}, nil, LoadOptions{}); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("root: err = %v, want permission denied", err)
		}
		res, err := Load(t.Context(), []string{filepath.Join(base, "ok")}, nil, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := articleIDs(res.Articles); !slices.Equal(got, []string{"c.txt"}) || len(res.Problems) != 1 || res.Problems[0].Kind != KindError {
			t.Errorf("inner: IDs %v problems %v", got, res.Problems)
		}
	})
}

// TestLoad_Testdata loads every file in testdata: the bad ones are reported
// and none of them stops the others.
func TestLoad_Testdata(t *testing.T) {
	res, err := Load(t.Context(), []string{"testdata"}, nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{
		"html/article.html", "html/latin1.html",
		"a1", "json/array.json#1", "42", "ok1", "json/single.json",
		"4983", "jsonl/lines.jsonl#2", "5000",
		"markdown/front-matter.md", "markdown/heading.md",
		"pdf/printed.html", "pdf/printed.pdf",
		"text/bom.txt", "text/invalid-utf8.txt", "text/latin1.txt", "text/news.txt", "text/plain.txt",
	}
	if got := articleIDs(res.Articles); !slices.Equal(got, wantIDs) {
		t.Errorf("IDs = %v\nwant  %v", got, wantIDs)
	}
	for _, a := range res.Articles {
		checkArticle(t, a)
	}
	wantProbs := map[string]string{
		"testdata/bad/binary.txt":        "skipped;",
		"testdata/bad/blank.txt":         "skipped;",
		"testdata/bad/empty.txt":         "skipped;",
		"testdata/html/latin1.html":      "repaired;",
		"testdata/json/array.json":       "skipped;",
		"testdata/json/broken.json":      "error;",
		"testdata/jsonl/lines.jsonl":     "error;skipped;",
		"testdata/text/invalid-utf8.txt": "repaired;",
		"testdata/text/latin1.txt":       "repaired;",
	}
	got := problemKinds(res.Problems)
	if len(got) != len(wantProbs) {
		t.Errorf("problems = %v", res.Problems)
	}
	for src, kinds := range wantProbs {
		if got[src] != kinds {
			t.Errorf("problems for %s = %q, want %q", src, got[src], kinds)
		}
	}
}

// Files the default patterns leave out are counted by extension; hidden,
// excluded and --include-filtered files are not.
func TestLoad_LeftOut(t *testing.T) {
	dir := newWalkTree(t)
	writeTree(t, dir, map[string]string{"r.ODT": "PK", "drafts/s.odt": "PK", "Makefile": "all:", ".x.odt": "PK"})
	tests := []struct {
		name string
		opt  LoadOptions
		want map[string]int
	}{
		{"defaults", LoadOptions{}, map[string]int{".org": 1, ".odt": 2, "": 1}},
		{"exclude", LoadOptions{Exclude: []string{"drafts/**", "*.org"}}, map[string]int{".odt": 1, "": 1}},
		{"include given", LoadOptions{Include: []string{"*.md"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Load(context.Background(), []string{dir}, nil, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.LeftOut) != len(tt.want) {
				t.Fatalf("LeftOut = %v, want %v", res.LeftOut, tt.want)
			}
			for ext, n := range tt.want {
				if res.LeftOut[ext] != n {
					t.Errorf("LeftOut = %v, want %v", res.LeftOut, tt.want)
				}
			}
		})
	}
}

// TestLoad_parallelLikeSequential: a walk whose files are read and parsed by
// workers loads what the walk reading each file itself loads (the path
// taken when LoadOptions.Raw is set): the same articles, ids and problems,
// in the same order, over a tree of colliding ids, skipped and broken files
// between good ones, several roots and a file named directly.
func TestLoad_parallelLikeSequential(t *testing.T) {
	base := t.TempDir()
	tree := map[string]string{
		"r1/big.txt":       strings.Repeat("too large ", 200),
		"r1/empty.txt":     "",
		"r1/bad.json":      `{"text": `,
		"r1/dup.jsonl":     `{"id": "k", "text": "first"}` + "\n" + `{"id": "k", "text": "second"}` + "\n",
		"r1/broken.pdf":    "%PDF-1.4 truncated",
		"r1/utf16.txt":     "\xff\xfeH\x00i\x00\n\x00",
		"r2/dup.jsonl":     `{"id": "k", "text": "third"}` + "\n",
		"r2/a/x.txt":       "X\n\nBody.\n",
		"r1/a/x.txt":       "X again\n\nBody.\n",
		"r2/latin1.txt":    "Caf\xe9 au lait\n",
		"single/named.txt": "Named\n\nDirectly.\n",
	}
	for i := range 200 {
		tree[filepath.Join("r1", "many", strings.Repeat("n", i%7+1)+string(rune('a'+i%26))+strings.Repeat("0", i/26)+".md")] = "# Note\n\nText of note.\n"
	}
	writeTree(t, base, tree)
	if err := os.Symlink(filepath.Join(base, "r2", "a", "x.txt"), filepath.Join(base, "r2", "alias.txt")); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(base, "r1"), filepath.Join(base, "single", "named.txt"), filepath.Join(base, "r2"), filepath.Join(base, "r1")}
	opt := LoadOptions{MaxFileBytes: 1000}
	par, err := Load(t.Context(), paths, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Raw = func(string, string, []byte) {} // reads each file in the walk
	seq, err := Load(t.Context(), paths, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(par.Articles) < 200 || len(par.Problems) < 5 {
		t.Fatalf("the tree loaded %d articles and %d problems: it tests too little", len(par.Articles), len(par.Problems))
	}
	if !reflect.DeepEqual(par, seq) {
		t.Errorf("parallel walk:\n%s\nsequential walk:\n%s", summary(par), summary(seq))
	}
}

func summary(r Result) string {
	var b strings.Builder
	for _, a := range r.Articles {
		fmt.Fprintf(&b, "article %s %s\n", a.ID, a.Source)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem %s %s %s\n", p.Source, p.Kind, p.Reason)
	}
	return b.String()
}

// TestLoad_parallelUnreadableAlias: a file that cannot be read counts as
// not loaded, in a parallel walk too: an alias of it met later in the walk,
// or named directly after its directory, is read in turn (and fails
// alike), as a walk reading each file itself does.
func TestLoad_parallelUnreadableAlias(t *testing.T) {
	if _, err := os.ReadFile("/proc/self/mem"); err == nil {
		t.Skip("/proc/self/mem reads here: no unreadable file to alias")
	}
	dir := filepath.Join(t.TempDir(), "d")
	writeTree(t, dir, map[string]string{"a.txt": "A\n\nBody.\n", "z.txt": "Z\n\nBody.\n"})
	for _, name := range []string{"m.txt", "n.txt"} {
		if err := os.Symlink("/proc/self/mem", filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, paths := range [][]string{{dir}, {dir, filepath.Join(dir, "m.txt")}} {
		par, perr := Load(t.Context(), paths, nil, LoadOptions{})
		seq, serr := Load(t.Context(), paths, nil, LoadOptions{Raw: func(string, string, []byte) {}})
		if (perr == nil) != (serr == nil) || !reflect.DeepEqual(par, seq) {
			t.Errorf("%d paths: parallel walk (%v):\n%s\nsequential walk (%v):\n%s", len(paths), perr, summary(par), serr, summary(seq))
		}
	}
}
