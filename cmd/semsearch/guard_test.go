package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// listIDs returns the ids `list --json` prints, with their sources.
func listIDs(t *testing.T, g []string) map[string]string {
	t.Helper()
	out, errOut, code := runExit(t, "", append([]string{"list", "--json"}, g...)...)
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	var list struct {
		Documents []struct{ ID, Source string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	ids := map[string]string{}
	for _, d := range list.Documents {
		ids[d.ID] = d.Source
	}
	return ids
}

// Issue 19 item 5: through a server, a second file claiming an existing id
// is refused as it is locally, and the stored article stays.
func TestIndexServer_IDFromAnotherSourceRefused(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	corpus := t.TempDir()
	business := filepath.Join(corpus, "business")
	sport := filepath.Join(corpus, "sport")
	writeFile(t, filepath.Join(business, "002.txt"), "Dollar gains on Greenspan speech\n\nThe dollar rose against the euro.\n")
	writeFile(t, filepath.Join(sport, "002.txt"), "Claxton hunting first major medal\n\nThe hurdler runs in Madrid.\n")
	g := f.flags(data)
	u := serveInTest(t, data, g)

	if _, errOut, code := runExit(t, "", append([]string{"index", "--server", u, "--id-prefix", "business/", business}, g...)...); code != 0 {
		t.Fatalf("first index --server: %d %s", code, errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"index", "--server", u, "--id-prefix", "business/", sport}, g...)...)
	if code != exitFailure {
		t.Fatalf("index --server of another file under the same id: code %d, want %d\n%s%s", code, exitFailure, out, errOut)
	}
	for _, want := range []string{"business/002.txt", filepath.Join(business, "002.txt"), filepath.Join(sport, "002.txt"), "--id-prefix", "id_conflict"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message does not name %q: %s", want, errOut)
		}
	}
	if strings.Contains(out, "1 updated") {
		t.Errorf("summary reports an update: %s", out)
	}
	resp, err := http.Get(u + "/v1/documents/" + url.PathEscape("business/002.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Title, Source string }
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := doc.Title + " " + doc.Source
	if !strings.Contains(got, "Greenspan") {
		t.Errorf("the business article was replaced: %q", got)
	}

	// The same file again, an API write naming no source, and one naming
	// the same source stay updates.
	writeFile(t, filepath.Join(business, "002.txt"), "Dollar gains on Greenspan speech\n\nThe dollar rose against the euro and the yen.\n")
	if out, errOut, code := runExit(t, "", append([]string{"index", "--server", u, "--id-prefix", "business/", business}, g...)...); code != 0 || !strings.Contains(out, "1 updated") {
		t.Errorf("re-index of the same file through the server: %d %s %s", code, out, errOut)
	}
	for _, body := range []string{
		`{"id": "business/002.txt", "title": "Dollar", "text": "The dollar fell."}`,
		`{"id": "business/002.txt", "title": "Dollar", "text": "The dollar fell again.", "source": "` + filepath.Join(business, "002.txt") + `"}`,
	} {
		resp, err := http.Post(u+"/v1/documents", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST %s: %d, want 200", body, resp.StatusCode)
		}
	}

	// The HTTP answer: 409, the per-article results, and a message naming
	// the id, both sources and the fix.
	body := `[{"id": "new.txt", "text": "A new article."}, {"id": "business/002.txt", "text": "Claxton again.", "source": "` + filepath.Join(sport, "002.txt") + `"}]`
	resp, err = http.Post(u+"/v1/documents", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Error struct{ Code, Message string }
		Index struct {
			Results []struct{ ID, Status string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusConflict || answer.Error.Code != "id_conflict" {
		t.Errorf("POST of a conflicting source: %d %q, want 409 id_conflict", resp.StatusCode, answer.Error.Code)
	}
	for _, want := range []string{`"business/002.txt"`, business, sport, "--id-prefix"} {
		if !strings.Contains(answer.Error.Message, want) {
			t.Errorf("409 message does not name %q: %s", want, answer.Error.Message)
		}
	}
	if len(answer.Index.Results) != 2 || answer.Index.Results[0].Status != "not_stored" || answer.Index.Results[1].Status != "id_conflict" {
		t.Errorf("409 results = %+v, want new.txt not_stored and business/002.txt id_conflict", answer.Index.Results)
	}
	if _, ok := listIDsServer(t, u)["new.txt"]; ok {
		t.Error("a refused request stored new.txt")
	}
}

// listIDsServer returns the ids of the server's default collection.
func listIDsServer(t *testing.T, u string) map[string]bool {
	t.Helper()
	resp, err := http.Get(u + "/v1/documents?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Documents []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, d := range list.Documents {
		ids[d.ID] = true
	}
	return ids
}

// Issue 19 item 6: indexing a folder's subfolder after the folder would
// store each of its files a second time under another id: refused, naming
// the stored id and the fix, with nothing changed.
func TestIndex_SameFileUnderTwoIDsRefused(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	corpus := filepath.Join(t.TempDir(), "corpus")
	writeFile(t, filepath.Join(corpus, "tech", "018.txt"), "Mobile phones\n\nPhones that take pictures are selling well.\n")
	writeFile(t, filepath.Join(corpus, "tech", "019.txt"), "Games consoles\n\nThe new console sold out in a day.\n")
	writeFile(t, filepath.Join(corpus, "sport", "018.txt"), "Cup final\n\nThe home side won on penalties.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", corpus}, g...)...); code != 0 {
		t.Fatalf("index corpus: %d %s", code, errOut)
	}
	before := listIDs(t, g)

	tech := filepath.Join(corpus, "tech")
	out, errOut, code := runExit(t, "", append([]string{"index", tech}, g...)...)
	if code != exitFailure {
		t.Fatalf("index corpus/tech after corpus: code %d, want %d\n%s%s", code, exitFailure, out, errOut)
	}
	for _, want := range []string{`"tech/018.txt"`, filepath.Join(tech, "018.txt"), "--id-prefix tech/", "nothing was changed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message does not name %q: %s", want, errOut)
		}
	}
	if after := listIDs(t, g); len(after) != len(before) {
		t.Errorf("the refused run changed the collection: %v, was %v", after, before)
	}
	// The fix the message offers works: the same ids, nothing to embed.
	out, errOut, code = runExit(t, "", append([]string{"index", "--id-prefix", "tech/", tech}, g...)...)
	if code != 0 || !strings.Contains(out, "0 new, 0 updated, 2 unchanged") {
		t.Errorf("index --id-prefix tech/ corpus/tech: %d %s %s", code, out, errOut)
	}
	// Through a server too.
	u := serveInTest(t, data, g)
	out, errOut, code = runExit(t, "", append([]string{"index", "--server", u, tech}, g...)...)
	if code != exitFailure || !strings.Contains(errOut, `"tech/018.txt"`) {
		t.Errorf("index --server corpus/tech after corpus: %d %s %s", code, out, errOut)
	}
	if ids := listIDsServer(t, u); len(ids) != len(before) {
		t.Errorf("the refused run through the server changed the collection: %v", ids)
	}
}

// zeroOllama is the fake Ollama answering all-zero vectors, as a runtime
// with broken weights does.
func zeroOllama(t *testing.T, f *fakeOllama) string {
	t.Helper()
	target, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			proxy.ServeHTTP(w, r)
			return
		}
		var req struct {
			Model string
			Input []string
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fakeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		vecs := make([][]float32, len(req.Input))
		for i := range vecs {
			vecs[i] = make([]float32, 8)
		}
		fakeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "embeddings": vecs})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Issue 19 item 8: a model answering zeros for every passage of an article,
// and for a probe of common words, is refused, and nothing is stored.
func TestIndex_ZeroVectorsRefused(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "Markets\n\nShares rose in early trading as investors welcomed the news from the central bank.\n")
	g := []string{"--ollama", zeroOllama(t, f), "--model", "fake", "--data", data}
	out, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...)
	if code != exitFailure {
		t.Fatalf("index with a model answering zeros: code %d, want %d\n%s%s", code, exitFailure, out, errOut)
	}
	for _, want := range []string{`"fake"`, "zero", "a.txt"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message does not name %q: %s", want, errOut)
		}
	}
	if out != "" || !strings.Contains(errOut, "nothing was changed") { // no summary: issue 21 item 8
		t.Errorf("summary or message: %s%s", out, errOut)
	}
	// No collection at all is fine too; if there is one, it is empty.
	if out, _, code := runExit(t, "", append([]string{"list", "--json"}, g...)...); code == 0 && !strings.Contains(out, `"total": 0`) {
		t.Errorf("stored with a model answering zeros: %s", out)
	}
}

// A folder that was moved and re-indexed from its new place keeps its ids:
// the stored files are gone, so a changed article replaces its old version
// instead of being refused as another file's.
func TestIndex_MovedFolderUpdates(t *testing.T) {
	f := newFakeOllama(t, "fake")
	data := t.TempDir()
	root := t.TempDir()
	old, moved := filepath.Join(root, "notes"), filepath.Join(root, "archive", "notes")
	writeFile(t, filepath.Join(old, "a.txt"), "Bees in cities\n\nUrban bees thrive on rooftops.\n")
	g := f.flags(data)
	if _, errOut, code := runExit(t, "", append([]string{"index", old}, g...)...); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old, moved); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(moved, "a.txt"), "Bees in cities\n\nUrban bees thrive on rooftops and balconies.\n")
	out, errOut, code := runExit(t, "", append([]string{"index", moved}, g...)...)
	if code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("index of the moved folder: code %d, want 0 and 1 updated\n%s%s", code, out, errOut)
	}
	if src := listIDs(t, g)["a.txt"]; src != filepath.Join(moved, "a.txt") {
		t.Fatalf("a.txt's source is %q, want the moved file", src)
	}
}
