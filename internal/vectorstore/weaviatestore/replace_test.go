package weaviatestore

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		hosts   []Host
		tls     bool
		repl    int
		wantErr bool
	}{
		{url: "weaviate://127.0.0.1:8090", hosts: []Host{{"127.0.0.1:8090", "127.0.0.1:50090"}}},
		{url: "weaviate://db:8080", hosts: []Host{{"db:8080", "db:50051"}}},
		{url: "weaviate://db", hosts: []Host{{"db:8080", "db:50051"}}},
		{url: "weaviates://db.example.org", hosts: []Host{{"db.example.org:443", "db.example.org:443"}}, tls: true},
		{url: "weaviate://127.0.0.1:8091,127.0.0.1:8092,127.0.0.1:8093?replication=3",
			hosts: []Host{{"127.0.0.1:8091", "127.0.0.1:50091"}, {"127.0.0.1:8092", "127.0.0.1:50092"}, {"127.0.0.1:8093", "127.0.0.1:50093"}}, repl: 3},
		{url: "weaviate://a:1,b:2?grpc=7,8", hosts: []Host{{"a:1", "a:7"}, {"b:2", "b:8"}}},
		{url: "weaviate://a:1,b:2?grpc=7", hosts: []Host{{"a:1", "a:7"}, {"b:2", "b:7"}}},
		{url: "weaviate://a:1,b:2?grpc=7,8,9", wantErr: true},
		{url: "http://a:1", wantErr: true},
		{url: "weaviate://", wantErr: true},
		{url: "weaviate://a:1?replication=0", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			opt, err := ParseURL(tc.url)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if fmt.Sprint(opt.Hosts) != fmt.Sprint(tc.hosts) || opt.TLS != tc.tls || opt.Replication != tc.repl {
				t.Errorf("ParseURL = hosts %v tls %v replication %d, want %v %v %d", opt.Hosts, opt.TLS, opt.Replication, tc.hosts, tc.tls, tc.repl)
			}
		})
	}
}

// TestStore_replaceNeverHalfSeen replaces a large document again and again
// while readers search for all of its passages by vector and by BM25: every
// answer must hold exactly one whole version (its marker and passage count
// agree), never a mix or a part.
func TestStore_replaceNeverHalfSeen(t *testing.T) {
	url := testStoreURL(t)
	s := openTest(t, url, t.Name()+time.Now().String())
	t.Cleanup(func() { dropPrefix(t, s) })
	ctx := t.Context()
	const dims = 8
	if _, err := s.CreateCollection(ctx, "c", vectorstore.Settings{Model: "m", Dimensions: dims, Chunking: "lines"}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func() []float32 {
		v := make([]float32, dims)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	version := func(seq int) (vectorstore.Document, []vectorstore.Passage) {
		n := 150 + 50*(seq%3) // versions differ in size
		var b strings.Builder
		ps := make([]vectorstore.Passage, n)
		for i := range n {
			start := b.Len()
			fmt.Fprintf(&b, "v%d/%d common words passage %d\n", seq, n, i)
			ps[i] = vectorstore.Passage{Chunk: i, Start: start, End: b.Len() - 1, LineStart: i + 1, LineEnd: i + 1, Vector: vec()}
		}
		return vectorstore.Document{ID: "big", Source: "big.txt", Title: "Big", Hash: fmt.Sprint(seq), Text: b.String()}, ps
	}
	d, ps := version(0)
	if err := s.Put(ctx, "c", d, ps); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var checked atomic.Int64
	var mu sync.Mutex
	var failures []string
	check := func(how string, hits []vectorstore.Hit) {
		versions := map[string]int{}
		for _, h := range hits {
			versions[strings.Fields(h.Text)[0]]++
		}
		if len(versions) == 0 {
			return
		}
		for marker, got := range versions {
			var seq, n int
			fmt.Sscanf(marker, "v%d/%d", &seq, &n)
			if len(versions) != 1 || got != n {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s: passages by version %v", how, versions))
				mu.Unlock()
				return
			}
		}
		checked.Add(1)
	}
	for r := range 2 {
		wg.Go(func() {
			for !stop.Load() {
				if r == 0 {
					hits, err := s.Query(ctx, "c", []float32{1, 1, 1, 1, 1, 1, 1, 1}, 1000, vectorstore.Filter{})
					if err != nil {
						t.Error(err)
						return
					}
					check("vector", hits)
				} else {
					hits, err := s.SearchText(ctx, "c", "common words", 1000, vectorstore.Filter{})
					if err != nil {
						t.Error(err)
						return
					}
					check("bm25", hits)
				}
			}
		})
	}
	for seq := 1; seq <= 8; seq++ {
		d, ps := version(seq)
		if err := s.Put(ctx, "c", d, ps); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	for _, f := range failures[:min(len(failures), 5)] {
		t.Error(f)
	}
	t.Logf("%d searches saw one whole version each while 8 versions were written", checked.Load())
	if checked.Load() == 0 {
		t.Error("no search completed during the replacements")
	}
}
