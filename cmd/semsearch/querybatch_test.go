package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Issue 24: distinct questions that reach serve while one is being
// embedded share the next embedding request. The fake Ollama holds the
// first question's request until it sees a request carrying several
// questions; without batching every question goes alone and none comes.
func TestServe_QueriesShareEmbeddingRequest(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data, dir := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Alpha\n\nRivers and lakes are full of fish.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}

	url := serveInTest(t, data, g)

	together := make(chan struct{})
	var once sync.Once
	var most atomic.Int64
	onInputs := func(inputs []string) {
		if int64(len(inputs)) > most.Load() {
			most.Store(int64(len(inputs)))
		}
		if len(inputs) > 1 {
			once.Do(func() { close(together) })
		}
	}
	f.onInputs.Store(&onInputs)
	var held atomic.Bool
	onEmbed := func(int64) {
		if held.CompareAndSwap(false, true) {
			select {
			case <-together:
			case <-time.After(3 * time.Second): // fails below
			}
		}
	}
	f.onEmbed.Store(&onEmbed)

	const n = 6
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"query": "question number %d about rivers", "mode": "vector"}`, i)
			resp, err := http.Post(url+"/v1/search", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("search %d: %s", i, resp.Status)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m < 2 {
		t.Errorf("%d distinct questions arrived together, and each embedding request carried at most %d", n, m)
	}
}
