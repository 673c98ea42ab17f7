package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/semsearch/semsearch/internal/chunk"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// bagEmbedder is a deterministic stand-in for Ollama: hashed bag-of-words
// unit vectors, so texts sharing words are similar.
type bagEmbedder struct{}

const bagDims = 64

func (bagEmbedder) vector(text string) []float32 {
	v := make([]float32, bagDims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%bagDims]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

func (b bagEmbedder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = b.vector(t)
	}
	return out, nil
}

func (b bagEmbedder) EmbedQuery(_ context.Context, text string) ([]float32, error) {
	return b.vector(text), nil
}

// versionedArticle is article id at version v: several passages, each of
// whose sentences carries the marker "verVmark", so a search result shows
// which version of the article it came from.
func versionedArticle(id, v int) map[string]any {
	var paras []string
	for p := range 4 {
		var sents []string
		for s := range 3 {
			sents = append(sents, fmt.Sprintf("Report %d paragraph %d sentence %d discusses topic%d and ver%dmark in detail.", id, p, s, id%3, v))
		}
		paras = append(paras, strings.Join(sents, " "))
	}
	return map[string]any{"id": fmt.Sprintf("reports/%d.txt", id), "title": fmt.Sprintf("Report %d", id), "text": strings.Join(paras, "\n\n")}
}

var versionMark = regexp.MustCompile(`ver(\d+)mark`)

// TestServer_concurrentReadsAndWrites runs searches, context requests and
// reads while documents are re-indexed and deleted, through the real engine
// and store, and checks that every response is a success or a 404 and that
// no search sees half of an update: all passages of a document in one
// response come from the same version.
func TestServer_concurrentReadsAndWrites(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, bagEmbedder{}, engine.Config{
		Model: "bag", Chunk: chunk.Options{Unit: chunk.Words, Size: 20, Overlap: 0, Max: 30}, BatchPassages: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Engine: eng, Collection: "reports", ValidCollection: vectorstore.ValidName, Model: "bag"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	const docs = 8
	post := func(body any) (int, []byte) {
		data, _ := json.Marshal(body)
		return call(t, srv, "POST", "/v1/documents", data)
	}
	var initial []any
	for id := range docs {
		initial = append(initial, versionedArticle(id, 0))
	}
	if code, body := post(initial); code != 200 {
		t.Fatalf("initial index: %d %s", code, body)
	}

	var writers, readers sync.WaitGroup
	var stop atomic.Bool
	var searches, updates, deletes atomic.Int64
	for w := range 2 {
		writers.Go(func() {
			for v := 1; v <= 12; v++ {
				id := (w*5 + v) % docs
				if code, body := post(versionedArticle(id, v)); code != 200 {
					t.Errorf("update %d: %d %s", id, code, body)
				}
				updates.Add(1)
			}
		})
	}
	writers.Go(func() {
		for i := range 12 {
			id := (i * 3) % docs
			code, body := call(t, srv, "DELETE", fmt.Sprintf("/v1/documents/reports/%d.txt", id), nil)
			if code != 200 && code != 404 {
				t.Errorf("delete %d: %d %s", id, code, body)
			}
			deletes.Add(1)
			if code, body := post(versionedArticle(id, 100+i)); code != 200 {
				t.Errorf("re-add %d: %d %s", id, code, body)
			}
		}
	})
	for r := range 4 {
		readers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				q := fmt.Sprintf(`{"query": "report topic%d discusses", "k": 50}`, (r+i)%3)
				path := "/v1/search"
				if i%3 == 2 {
					path = "/v1/context"
				}
				code, body := call(t, srv, "POST", path, []byte(q))
				if code != 200 {
					t.Errorf("%s: %d %s", path, code, body)
					return
				}
				var resp struct {
					Results []engine.Result `json:"results"`
				}
				if err := json.Unmarshal(body, &resp); err != nil {
					t.Errorf("%s: %v", path, err)
					return
				}
				seen := map[string]string{}
				for _, res := range resp.Results {
					m := versionMark.FindAllString(res.Text, -1)
					if len(m) == 0 {
						t.Errorf("passage without a version marker: %q", res.Text)
						continue
					}
					for _, v := range m[1:] {
						if v != m[0] {
							t.Errorf("one passage mixes versions: %q", res.Text)
						}
					}
					if prev, ok := seen[res.DocID]; ok && prev != m[0] {
						t.Errorf("%s: passages of %s from two versions (%s and %s) in one response", path, res.DocID, prev, m[0])
					}
					seen[res.DocID] = m[0]
				}
				searches.Add(1)
				if i%5 == 0 {
					if code, body := call(t, srv, "GET", "/v1/documents?limit=1000", nil); code != 200 {
						t.Errorf("list: %d %s", code, body)
					}
					code, body := call(t, srv, "GET", fmt.Sprintf("/v1/documents/reports/%d.txt", i%docs), nil)
					if code != 200 && code != 404 {
						t.Errorf("get: %d %s", code, body)
					}
				}
			}
		})
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	t.Logf("%d searches during %d updates and %d deletes", searches.Load(), updates.Load(), deletes.Load())

	// Afterwards every document is there once, at one version.
	code, body := call(t, srv, "GET", "/v1/documents", nil)
	var list DocumentsResponse
	if err := json.Unmarshal(body, &list); err != nil || code != 200 || list.Total != docs {
		t.Errorf("final listing: %d %s", code, body)
	}
}

// call sends one request to srv and returns the status and body.
func call(t *testing.T, srv *httptest.Server, method, path string, body []byte) (int, []byte) {
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}
