package weaviatestore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/storetest"
)

// testStoreURL returns the Weaviate the integration tests use, or skips.
// The test command (make test, make test-weaviate) starts one node with
// `make weaviate` and sets SEMSEARCH_TEST_WEAVIATE to its URL.
func testStoreURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SEMSEARCH_TEST_WEAVIATE")
	if u == "" {
		t.Skip("SEMSEARCH_TEST_WEAVIATE is not set: run `make test-weaviate` (or eval \"$(make -s weaviate)\" and SEMSEARCH_TEST_WEAVIATE=$SEMSEARCH_STORE)")
	}
	return u
}

// openTest opens a store on the test node whose collections carry a
// prefix of their own, so tests never see each other's data, and removes
// them when the test ends.
func openTest(t *testing.T, url, key string) *Store {
	t.Helper()
	opt, err := ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(key))
	opt.Prefix = "T" + hex.EncodeToString(sum[:6])
	s, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dropPrefix(t *testing.T, s *Store) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dump, err := s.nodes[0].Schema().Getter().Do(ctx)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, c := range dump.Classes {
		if strings.HasPrefix(c.Class, s.opt.Prefix) {
			if err := s.nodes[0].Schema().ClassDeleter().WithClassName(c.Class).Do(ctx); err != nil {
				t.Logf("cleanup %s: %v", c.Class, err)
			}
		}
	}
}

func TestStore_conformance(t *testing.T) {
	url := testStoreURL(t)
	var mu sync.Mutex
	cleaned := map[string]bool{}
	storetest.Run(t, func(t *testing.T, dir string) vectorstore.Store {
		s := openTest(t, url, dir)
		mu.Lock()
		if !cleaned[dir] {
			cleaned[dir] = true
			t.Cleanup(func() { dropPrefix(t, s) })
		}
		mu.Unlock()
		return s
	})
}
