package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Issue 25 item 1: every command on a remote store (--store weaviate://...)
// works where no local data directory exists -- the default one under an
// empty HOME, or a --data that names nothing -- and creates none.
func TestRemoteStore_noDataDirectory(t *testing.T) {
	store := weaviateForTest(t)
	f := newFakeOllama(t, "fake")
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"XDG_DATA_HOME", "SEMSEARCH_DATA"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	corpus := t.TempDir()
	writeFile(t, filepath.Join(corpus, "chips.txt"), "Chip makers\n\nThe new processor doubles the speed of laptops.\n")
	writeFile(t, filepath.Join(corpus, "ships.txt"), "Harbour news\n\nThe container ship left the port at dawn.\n")
	dump := filepath.Join(t.TempDir(), "dump.jsonl")
	coll := fmt.Sprintf("nodata-%d", time.Now().UnixNano())
	t.Cleanup(func() { dropWeaviateCollection(t, store, coll) })

	absent := filepath.Join(t.TempDir(), "absent")
	for _, data := range []struct {
		name, dir string
		flags     []string
	}{
		{"default data directory", "", nil}, // $HOME/.local/share/semsearch under an empty HOME
		{"--data naming nothing", absent, []string{"--data", absent}},
		{"empty --data", "", []string{"--data="}},
	} {
		t.Run(data.name, func(t *testing.T) {
			g := []string{"--ollama", f.URL, "--model", "fake", "--store", store, "--collection", coll}
			g = append(g, data.flags...)
			steps := [][]string{
				{"index", corpus},
				{"stats"},
				{"stats", "--json"},
				{"list"},
				{"search", "--json", "processor speed"},
				{"search", "--mode", "bm25", "container ship"},
				{"get", "chips.txt"},
				{"export", "-o", dump},
				{"delete", "ships.txt"},
				{"import", dump},
			}
			for _, s := range steps {
				out, errOut, code := runExit(t, "", append(slices.Clone(s), g...)...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", strings.Join(s, " "), code, errOut)
				}
				if s[0] == "stats" && slices.Contains(s, "--json") {
					var st struct {
						Data        *string `json:"data"`
						Store       string  `json:"store"`
						Collections []struct {
							Name string `json:"name"`
						} `json:"collections"`
					}
					if err := json.Unmarshal([]byte(out), &st); err != nil {
						t.Fatalf("stats --json: %v\n%s", err, out)
					}
					if st.Data != nil || !strings.HasPrefix(st.Store, "weaviate://") {
						t.Errorf("stats --json names data %v and store %q; want the store only", st.Data, st.Store)
					}
					if !slices.ContainsFunc(st.Collections, func(c struct {
						Name string `json:"name"`
					}) bool {
						return c.Name == coll
					}) {
						t.Errorf("stats --json lacks %q: %s", coll, out)
					}
				}
				if strings.Contains(out+errOut, "data directory") {
					t.Errorf("%s speaks of a data directory: %s%s", strings.Join(s, " "), out, errOut)
				}
			}
			if names := dirNames(t, home); len(names) != 0 {
				t.Errorf("HOME holds %v after the commands on the remote store", names)
			}
			if data.dir != "" {
				if _, err := os.Stat(data.dir); err == nil {
					t.Errorf("--data %s was created", data.dir)
				}
			}
		})
	}
}
