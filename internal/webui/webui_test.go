package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

var errDown = errors.New("Ollama not reachable at http://127.0.0.1:1: start it")

// fakeEngine holds one document per collection entry and returns it as the
// only hit of any query, or fails for the query "ollama down".
type fakeEngine struct {
	docs map[string][]vectorstore.Document
}

func (f *fakeEngine) Search(_ context.Context, col string, q engine.Query) (engine.Response, error) {
	if q.Text == "internal" {
		return engine.Response{}, errors.New("open /secret path: permission denied")
	}
	if q.Text == "ollama down" {
		return engine.Response{}, fmt.Errorf("embed query: %w", errDown)
	}
	docs, ok := f.docs[col]
	if !ok {
		return engine.Response{}, fmt.Errorf("collection %q: %w", col, engine.ErrNotFound)
	}
	resp := engine.Response{Model: "fake", Mode: engine.Hybrid, Took: 1200 * time.Microsecond}
	if q.Filter.DocPrefix != "" {
		resp.Warnings = append(resp.Warnings, "prefix "+q.Filter.DocPrefix)
	}
	if q.Text == "nothing" {
		return resp, nil
	}
	for i, d := range docs {
		start := strings.Index(d.Text, "\n") + 1
		h := vectorstore.Hit{DocID: d.ID, Title: d.Title, Source: d.Source, Score: 0.9,
			Passage: vectorstore.Passage{Start: start, End: len(d.Text), LineStart: 2, LineEnd: 2, Text: d.Text[start:]}}
		ev := engine.NewEvidence(q.Text, h.Text, 1, i+1, i+1)
		resp.Results = append(resp.Results, engine.Result{Hit: h, Rank: i + 1, Citation: engine.Citation(h), Evidence: &ev, Confidence: engine.Judge(ev)})
	}
	return resp, nil
}

func (f *fakeEngine) Collections(context.Context) ([]vectorstore.Collection, error) {
	var out []vectorstore.Collection
	for _, name := range []string{"news", "empty", "titled", "bidi", "eval-bbc-1234abcd"} {
		if docs, ok := f.docs[name]; ok {
			out = append(out, vectorstore.Collection{Name: name, Documents: len(docs)})
		}
	}
	return out, nil
}

func (f *fakeEngine) Document(_ context.Context, col, id string) (vectorstore.Document, error) {
	for _, d := range f.docs[col] {
		if d.ID == id {
			return d, nil
		}
	}
	return vectorstore.Document{}, fmt.Errorf("document %q: %w", id, engine.ErrNotFound)
}

func newPage(t *testing.T, key string) *Page {
	t.Helper()
	eng := &fakeEngine{docs: map[string][]vectorstore.Document{
		"news": {{ID: "x<1>", Title: `<script>alert("t")</script>`, Source: "s.txt",
			Text: "Header line\nTrump fired <b>Comey</b> & the FBI.\nLast line\n"}},
		"empty": {},
		"bidi": {{ID: "b.txt", Title: "invoice\u202Efdp.exe", Source: "evil\u2066.txt",
			Text: "Header\nthe \u202Eflipped\u202C word, and עברית\n"}},
		"eval-bbc-1234abcd": {{ID: "e.txt", Source: "e.txt", Text: "eval\n"}},
		"titled": {{ID: "comey.txt", Title: "Comey timeline", Source: "comey.txt",
			Text: "\nComey timeline\n\nMay 9, 2017: Comey fired\nTrump, heeding advice\n"}},
		// A PDF of four pages; page 3 is empty (it starts where page 4 does).
		"pdf": {{ID: "r.pdf", Source: "r.pdf", Format: "pdf", Pages: []int{0, 12, 34, 34},
			Text: "Intro text\n\nSecond page\nlines <x>\nFourth page\nend\n"}},
	}}
	p, err := New(Config{Engine: eng, Collection: "news", APIKey: key, Unavailable: []error{errDown},
		ValidCollection: func(s string) bool { return !strings.ContainsAny(s, "/<>") }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func get(h http.HandlerFunc, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h(w, r)
	return w
}

func TestPage_ServeSearch(t *testing.T) {
	p := newPage(t, "")
	tests := []struct {
		name   string
		target string
		status int
		want   []string
		not    []string
	}{
		{"form only", "/", 200, []string{`<input type="search" name="q" value=""`, `<option selected>news</option>`}, []string{`class="result"`, "eval-bbc"}},
		// Issue 21 item 15: an eval collection is in the picker only when asked for.
		{"eval collection asked for", "/?collection=eval-bbc-1234abcd", 200, []string{`<option selected>eval-bbc-1234abcd</option>`}, nil},
		{"results escaped and highlighted", "/?q=Who+fired+Comey%3F", 200, []string{
			`<mark>fired</mark> &lt;b&gt;<mark>Comey</mark>&lt;/b&gt; &amp; the FBI.`,
			`&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;`,
			`1 passages from <b>news</b> in 1.2 ms`,
			`<span class="score" title="score">0.900</span>`,
			`href="/doc?collection=news&amp;end=58&amp;id=x%3C1%3E&amp;q=Who&#43;fired&#43;Comey%3F&amp;start=12#passage"`,
		}, []string{"<script>", "<b>Comey"}},
		// Issue 21 item 10: a weak best hit says so.
		{"low confidence", "/?q=Who+fired+Comey+in+Qatar%3F", 200, []string{`<p class="notice warning">The best passage is a weak match (low confidence: it holds 60% of the question&#39;s words; missing: qatar)`,
			`<span class="confidence low">low confidence</span>`}, nil},
		{"query echoed escaped", "/?q=%22%3E%3Cscript%3Ex", 200, []string{`value="&#34;&gt;&lt;script&gt;x"`}, []string{"<script>x"}},
		{"empty collection", "/?q=fired&collection=empty", 200, []string{`The collection &#34;empty&#34; is empty`}, []string{`class="result"`}},
		{"unknown collection", "/?q=fired&collection=other", 200, []string{`There is no collection &#34;other&#34; yet`}, nil},
		{"Ollama down", "/?q=ollama+down", 503, []string{`class="notice error"`, "Search is unavailable: embed query: Ollama not reachable"}, nil},
		{"no results", "/?q=nothing", 200, []string{"No passages match."}, nil},
		{"bad mode", "/?q=x&mode=fuzzy", 400, []string{"Unknown mode"}, nil},
		{"bad collection", "/?q=x&collection=%3Cb%3E", 400, []string{"is not a collection name"}, []string{"<b>"}},
		// Bidirectional controls would reorder the title, the citation and
		// the passage on screen; right-to-left letters stay.
		{"bidi controls shown", "/?q=word&collection=bidi", 200, []string{
			`invoice\u202efdp.exe`, `evil\u2066.txt`, `the \u202eflipped\u202c`, "עברית",
		}, []string{"\u202e", "\u2066", "\u202c"}},
		// The request model's maximum k and query limit, as every door's.
		{"k up to the maximum", "/?q=fired&k=1000", 200, []string{`class="result"`}, []string{"k must be"}},
		{"k over the maximum", "/?q=fired&k=1001", 400, []string{"k must be a number between 1 and 1000"}, nil},
		// Issue 21 item 11: a folder (doc_prefix) filter, and the engine's
		// warnings shown.
		{"folder", "/?q=fired&doc_prefix=sport%2F", 200, []string{`name="doc_prefix" value="sport/"`, `<p class="notice warning">prefix sport/</p>`}, nil},
		{"internal error hidden", "/?q=internal", 500, []string{"The search failed (see the server log)."}, []string{"secret path"}},
		// Issue 21 item 17: the title once (not in the citation, nor as the
		// passage's first line), the passage's lines kept.
		{"title once", "/?q=timeline&collection=titled", 200, []string{
			`<div class="cite">comey.txt, line 2</div>`,
			"<p class=\"text\">May 9, 2017: Comey fired\nTrump, heeding advice</p>",
		}, []string{`&#34;Comey timeline&#34;`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(p.ServeSearch, tt.target)
			body := w.Body.String()
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(body, s) {
					t.Errorf("page holds %s", s)
				}
			}
			if t.Failed() {
				t.Log(body)
			}
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
}

func TestPage_ServeDoc(t *testing.T) {
	p := newPage(t, "")
	w := get(p.ServeDoc, "/doc?collection=news&id=x%3C1%3E&start=12&end=48&q=fired")
	body := w.Body.String()
	for _, want := range []string{
		`<div class="doc">Header line` + "\n" + `<mark id="passage">Trump fired &lt;b&gt;Comey&lt;/b&gt; &amp; the FBI.` + "\n" + `</mark>Last line`,
		`cited: <a href="#passage">line 2</a>`,
		`href="/?collection=news&amp;q=fired"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s\n%s", want, body)
		}
	}
	// Offsets out of range or inside a character show the document unmarked.
	for _, target := range []string{"/doc?id=x%3C1%3E&start=40&end=400", "/doc?id=x%3C1%3E&start=5&end=2", "/doc?id=x%3C1%3E"} {
		if w := get(p.ServeDoc, target); w.Code != 200 || strings.Contains(w.Body.String(), `id="passage"`) {
			t.Errorf("%s: %d, marked: %t", target, w.Code, strings.Contains(w.Body.String(), `id="passage"`))
		}
	}
	// The document page writes bidirectional controls out too.
	bidi := get(p.ServeDoc, "/doc?collection=bidi&id=b.txt").Body.String()
	if !strings.Contains(bidi, `<h1>invoice\u202efdp.exe</h1>`) || !strings.Contains(bidi, `evil\u2066.txt`) || strings.ContainsFunc(bidi, article.IsBidiControl) {
		t.Errorf("bidi document page:\n%s", bidi)
	}
	if w := get(p.ServeDoc, "/doc?id=nothere"); w.Code != 404 {
		t.Errorf("missing document: %d", w.Code)
	}
}

// TestPage_ServeDocPages: a PDF's document view marks where each page
// begins, and the citation names the page and the lines within it.
func TestPage_ServeDocPages(t *testing.T) {
	p := newPage(t, "")
	w := get(p.ServeDoc, "/doc?collection=pdf&id=r.pdf&start=24&end=40")
	body := w.Body.String()
	for _, want := range []string{
		`<div class="doc"><span class="pagebreak" id="page-1">page 1</span>Intro text` + "\n\n" +
			`<span class="pagebreak" id="page-2">page 2</span>Second page` + "\n" + `<mark id="passage">lines &lt;x&gt;` + "\n" +
			`</mark><span class="pagebreak" id="page-4">page 4</span><mark>Fourth</mark> page`,
		`cited: <a href="#passage">pages 2-4</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s\n%s", want, body)
		}
	}
	w = get(p.ServeDoc, "/doc?collection=pdf&id=r.pdf&start=24&end=34")
	if want := `cited: <a href="#passage">page 2, line 2</a>`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("page lacks %s\n%s", want, w.Body)
	}
}

// TestPage_key walks the API key flow: asked for, refused when wrong, kept
// in an HttpOnly SameSite=Strict cookie when right, forgotten on request.
func TestPage_key(t *testing.T) {
	p := newPage(t, "s3cret")
	w := get(p.ServeSearch, "/?q=fired")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `<input type="hidden" name="next" value="/?q=fired">`) ||
		strings.Contains(w.Body.String(), "Comey") {
		t.Fatalf("without a key: %d\n%s", w.Code, w.Body)
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/key", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.ServeKey(w, r)
		return w
	}
	if w := post(url.Values{"key": {"wrong"}, "next": {"/?q=fired"}}); w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
		t.Errorf("wrong key: %d, cookies %v", w.Code, w.Result().Cookies())
	}
	w = post(url.Values{"key": {"s3cret"}, "next": {"/?q=fired"}})
	cookies := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/?q=fired" || len(cookies) != 1 {
		t.Fatalf("right key: %d %v %v", w.Code, w.Header(), cookies)
	}
	c := cookies[0]
	if c.Name != CookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	if w := get(p.ServeSearch, "/?q=fired", c); w.Code != 200 || !strings.Contains(w.Body.String(), "<mark>fired</mark>") {
		t.Errorf("with the cookie: %d", w.Code)
	}
	if w := get(p.ServeDoc, "/doc?id=x%3C1%3E", &http.Cookie{Name: CookieName, Value: "wrong"}); w.Code != http.StatusUnauthorized {
		t.Errorf("document with a wrong cookie: %d", w.Code)
	}
	if w := post(url.Values{"key": {"s3cret"}, "next": {"//evil.example/"}}); w.Header().Get("Location") != "/" {
		t.Errorf("open redirect: Location %q", w.Header().Get("Location"))
	}
	if w := post(url.Values{"forget": {"1"}}); len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Errorf("forgetting the key: %v", w.Result().Cookies())
	}
}

func TestHighlight(t *testing.T) {
	terms := queryTerms("Who fire the FBI director?")
	var b strings.Builder
	for _, s := range highlight("The FBI's director, fired; firedog, fires.", terms) {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if got, want := b.String(), "The [FBI]'s [director], [fired]; firedog, [fires]."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
