// Package webui is semsearch's search page: a small HTML front door over the
// engine, embedded in the binary (embed.FS, html/template), with no
// JavaScript, no CDN and no build step. `semsearch serve` mounts it at GET /
// (the search box and results), GET /doc (a document with the cited range
// highlighted) and POST /key (the API key form), beside the JSON API.
//
// Everything that comes from documents or requests goes through
// html/template, which escapes it for its context.
package webui

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Engine is what the page asks of the search engine; *engine.Engine
// implements it.
type Engine interface {
	Search(ctx context.Context, collection string, q engine.Query) (engine.Response, error)
	Collections(ctx context.Context) ([]vectorstore.Collection, error)
	Document(ctx context.Context, collection, id string) (vectorstore.Document, error)
}

// Paths the page is served at.
const (
	SearchPath = "/"
	DocPath    = "/doc"
	KeyPath    = "/key"
)

// Page limits.
const (
	// defaultK is higher than the API's: a page has room for ten. The
	// maximum and the query limit are the request model's.
	defaultK = 10
	// CookieName holds the API key the page was given once.
	CookieName = "semsearch_key"
	cookieAge  = 30 * 24 * time.Hour
)

// Config configures a [Page].
type Config struct {
	// Engine answers searches. Required.
	Engine Engine
	// Collection is the collection searched unless the page picks another.
	// Required.
	Collection string
	// ValidCollection, when set, rejects collection names the store cannot
	// hold.
	ValidCollection func(string) bool
	// APIKey, when set, is asked for once and kept in an HttpOnly,
	// SameSite=Strict cookie; an Authorization: Bearer header works too.
	APIKey string
	// Unavailable are errors meaning the embedding backend is down or lacks
	// the model (e.g. embed.ErrUnreachable); the page shows their text as
	// what to do instead of a generic failure.
	Unavailable []error
	// Logger receives unexpected errors; nil discards them.
	Logger *slog.Logger
}

// Page serves the search page. Its methods are http.Handlers.
type Page struct {
	eng         Engine
	collection  string
	valid       func(string) bool
	keyDigest   *[sha256.Size]byte
	unavailable []error
	log         *slog.Logger
	tmpl        *template.Template
}

//go:embed templates/*.html
var templates embed.FS

// New returns the page for cfg.
func New(cfg Config) (*Page, error) {
	if cfg.Engine == nil || cfg.Collection == "" {
		return nil, errors.New("webui: no engine or default collection")
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"score": func(f float32) string { return strconv.FormatFloat(float64(f), 'f', 3, 32) },
		"ms":    func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) },
		"shown": shown,
	}).ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("webui: parse templates: %w", err)
	}
	p := &Page{eng: cfg.Engine, collection: cfg.Collection, valid: cfg.ValidCollection,
		unavailable: cfg.Unavailable, log: cfg.Logger, tmpl: tmpl}
	if cfg.APIKey != "" {
		d := sha256.Sum256([]byte(cfg.APIKey))
		p.keyDigest = &d
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// PassagePath returns the path of the page showing a result's passage
// highlighted: /doc?collection=...&id=...&start=...&end=...#passage.
func PassagePath(collection string, r engine.Result) string {
	return passagePath(collection, r.DocID, r.Start, r.End, "")
}

func passagePath(collection, id string, start, end int, q string) string {
	v := url.Values{}
	v.Set("collection", collection)
	v.Set("id", id)
	v.Set("start", strconv.Itoa(start))
	v.Set("end", strconv.Itoa(end))
	if q != "" {
		v.Set("q", q)
	}
	return DocPath + "?" + v.Encode() + "#passage"
}

// form is what the search form holds.
type form struct {
	Query      string
	Collection string
	// DocPrefix keeps documents whose id or source starts with it (a
	// folder: sport/), as the API's filter.doc_prefix.
	DocPrefix   string
	Mode        string
	K           int
	Collections []string
	Modes       []string
}

// searchView is the data of the search page.
type searchView struct {
	Form    form
	Auth    bool // the page was given a key (show "forget key")
	Results []resultView
	Took    time.Duration
	Model   string
	Mode    engine.Mode
	Asked   bool
	Notice  string // a message instead of results: empty collection, Ollama down, no results
	// Warnings are the engine's (e.g. which filter matched nothing).
	Warnings []string
	Error    bool // the notice is an error
}

// resultView is one result as shown.
type resultView struct {
	Rank     int
	Title    string
	Citation string
	Score    float32
	// Confidence is the engine's rating of the hit: high, medium or low.
	Confidence engine.Confidence
	Text       []segment
	Link       string
}

// segment is a run of text, marked when it matches a query term.
type segment struct {
	Text string
	Mark bool
}

// ServeSearch serves GET /: the form and, with ?q=, the results.
func (p *Page) ServeSearch(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(r) {
		p.askKey(w, r, "")
		return
	}
	v := searchView{Auth: p.keyDigest != nil}
	q := r.URL.Query()
	v.Form = form{Query: strings.TrimSpace(q.Get("q")), Collection: cmp.Or(q.Get("collection"), p.collection),
		DocPrefix: q.Get("doc_prefix"), Mode: q.Get("mode"), K: defaultK, Modes: []string{"hybrid", "vector", "bm25"}}
	status := http.StatusOK
	fail := func(code int, msg string) {
		status, v.Notice, v.Error = code, msg, true
	}
	if k := q.Get("k"); k != "" {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > engine.MaxK {
			fail(http.StatusBadRequest, fmt.Sprintf("k must be a number between 1 and %d", engine.MaxK))
		} else {
			v.Form.K = n
		}
	}
	cols, err := p.eng.Collections(r.Context())
	if err != nil {
		p.log.ErrorContext(r.Context(), "list collections", "error", err)
		fail(http.StatusInternalServerError, "The collections could not be listed (see the server log).")
	}
	known := false
	for _, c := range cols {
		if c.Name != v.Form.Collection && engine.IsEvalCollection(c.Name) {
			continue // an eval harness's corpus: offered only when asked for by name
		}
		v.Form.Collections = append(v.Form.Collections, c.Name)
		if c.Name == v.Form.Collection {
			known = true
			if c.Documents == 0 && v.Notice == "" {
				v.Notice = fmt.Sprintf("The collection %q is empty. Add documents: semsearch index --collection %s PATH", c.Name, c.Name)
			}
		}
	}
	if !known {
		v.Form.Collections = append(v.Form.Collections, v.Form.Collection)
	}
	mode, err := engine.ParseMode(v.Form.Mode)
	switch {
	case err != nil:
		fail(http.StatusBadRequest, fmt.Sprintf("Unknown mode %q: choose hybrid, vector or bm25.", v.Form.Mode))
	case p.valid != nil && !p.valid(v.Form.Collection):
		fail(http.StatusBadRequest, fmt.Sprintf("%q is not a collection name.", v.Form.Collection))
	case len(v.Form.Query) > engine.MaxQueryBytes:
		fail(http.StatusBadRequest, fmt.Sprintf("The question is %d bytes long; the limit is %d.", len(v.Form.Query), engine.MaxQueryBytes))
	case !utf8.ValidString(v.Form.Query):
		fail(http.StatusBadRequest, "The question is not valid UTF-8.")
	case !known && v.Notice == "":
		v.Notice = fmt.Sprintf("There is no collection %q yet. Create it: semsearch index --collection %s PATH", v.Form.Collection, v.Form.Collection)
	}
	if v.Form.Query != "" && v.Notice == "" {
		v.Asked = true
		status = p.search(r.Context(), &v, mode)
	}
	p.render(w, status, "search.html", v)
}

// search runs the form's query into v and returns the page's status.
func (p *Page) search(ctx context.Context, v *searchView, mode engine.Mode) int {
	filter, err := engine.FilterSpec{DocPrefix: v.Form.DocPrefix}.Filter()
	if fe := (*engine.FieldError)(nil); errors.As(err, &fe) {
		v.Notice, v.Error = "Folder: "+fe.Named(map[string]string{"doc_prefix": "the folder"}), true
		return http.StatusBadRequest
	}
	resp, err := p.eng.Search(ctx, v.Form.Collection, engine.Query{Text: v.Form.Query, K: v.Form.K, MinScore: -1, Mode: mode, Filter: filter})
	if err != nil {
		v.Error = true
		for _, u := range p.unavailable {
			if errors.Is(err, u) {
				v.Notice = "Search is unavailable: " + err.Error()
				return http.StatusServiceUnavailable
			}
		}
		// The one classification every door uses; the page words the
		// common cases for a reader.
		c := engine.Classify(err)
		switch {
		case c.Code == "not_found":
			v.Notice, v.Error = fmt.Sprintf("There is no collection %q yet. Create it: semsearch index --collection %s PATH", v.Form.Collection, v.Form.Collection), false
		case c.Code == "timeout":
			v.Notice = "The search took too long; try again."
		case c.Internal:
			p.log.ErrorContext(ctx, "page search", "error", err)
			v.Notice = "The search failed (see the server log)."
		default:
			v.Notice = c.Text(err)
		}
		return c.Status
	}
	v.Took, v.Model, v.Mode, v.Warnings = resp.Took, resp.Model, resp.Mode, resp.Warnings
	terms := queryTerms(v.Form.Query)
	for _, res := range resp.Results {
		v.Results = append(v.Results, resultView{
			// The title heads the result: the citation under it and the
			// passage's text do not repeat it.
			Rank: res.Rank, Title: cmp.Or(res.Title, res.Source), Citation: engine.SourceCitation(res.Hit), Score: res.Score, Confidence: res.Confidence,
			Text: highlight(engine.ResultBody(res), terms),
			Link: passagePath(v.Form.Collection, res.DocID, res.Start, res.End, v.Form.Query),
		})
	}
	if len(resp.Results) > 0 {
		if note := engine.LowConfidenceNote(resp.Results[0].Confidence, resp.Results[0].Evidence); note != "" {
			v.Warnings = append(v.Warnings, strings.ToUpper(note[:1])+note[1:]+".")
		}
	}
	if len(v.Results) == 0 {
		v.Notice = "No passages match. Try other words, another mode, or another collection."
	}
	return http.StatusOK
}

// shown returns text from a document for the page with its bidirectional
// controls written out ("\u202e"): HTML escaping leaves them, and the
// browser would reorder a title, a path or a passage with them.
func shown(s string) string {
	if !strings.ContainsFunc(s, article.IsBidiControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if article.IsBidiControl(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// docView is the data of the document page.
type docView struct {
	Collection string
	Doc        vectorstore.Document
	Parts      []docPart
	Lines      string
	Back       string
	Auth       bool
}

// docPart is a run of the document's text: where a page begins (Page > 0),
// it begins with the page's marker; Mark says it is cited, First that it is
// where the citation starts (the #passage anchor).
type docPart struct {
	Page        int
	Text        string
	Mark, First bool
}

// docParts cuts text at the page starts and at the cited span [start, end)
// (none when start == end).
func docParts(text string, pages []int, start, end int) []docPart {
	// page[off] is the page beginning at off; of empty pages sharing a
	// start, the last one, which holds the text (article.PageOf's rule).
	page := map[int]int{}
	cuts := []int{0, len(text)}
	if len(pages) > 1 {
		for i, off := range pages {
			if off >= 0 && off <= len(text) && (off == len(text) || utf8.RuneStart(text[off])) {
				page[off] = i + 1
				cuts = append(cuts, off)
			}
		}
	}
	if start < end {
		cuts = append(cuts, start, end)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var parts []docPart
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		parts = append(parts, docPart{Page: page[a], Text: text[a:b], Mark: start <= a && b <= end && start < end, First: a == start})
	}
	return parts
}

// ServeDoc serves GET /doc?collection=&id=&start=&end=: the document with
// the bytes [start, end) of its text marked as the cited passage; the
// link's #passage fragment scrolls it into view.
func (p *Page) ServeDoc(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(r) {
		p.askKey(w, r, "")
		return
	}
	q := r.URL.Query()
	col, id := cmp.Or(q.Get("collection"), p.collection), q.Get("id")
	msg := func(status int, text string) {
		p.render(w, status, "message.html", map[string]any{"Message": text, "Auth": p.keyDigest != nil})
	}
	if engine.CheckID(id) != nil || (p.valid != nil && !p.valid(col)) {
		msg(http.StatusBadRequest, "The link names no document (id) or an invalid collection.")
		return
	}
	doc, err := p.eng.Document(r.Context(), col, id)
	if err != nil {
		switch c := engine.Classify(err); {
		case c.Code == "not_found":
			msg(c.Status, fmt.Sprintf("There is no document %q in collection %q.", id, col))
		case c.Internal:
			p.log.ErrorContext(r.Context(), "page document", "error", err)
			msg(c.Status, "The document could not be read (see the server log).")
		default:
			msg(c.Status, c.Text(err))
		}
		return
	}
	v := docView{Collection: col, Doc: doc, Auth: p.keyDigest != nil}
	start, err1 := strconv.Atoi(q.Get("start"))
	end, err2 := strconv.Atoi(q.Get("end"))
	t := doc.Text
	if !(err1 == nil && err2 == nil && 0 <= start && start < end && end <= len(t) &&
		utf8.RuneStart(t[start]) && (end == len(t) || utf8.RuneStart(t[end]))) {
		start, end = 0, 0
	}
	v.Parts = docParts(t, doc.Pages, start, end)
	if start < end {
		v.Lines = citedLines(t, doc.Pages, start, end)
	}
	back := url.Values{"collection": {col}}
	if qq := q.Get("q"); qq != "" {
		back.Set("q", qq)
	}
	v.Back = SearchPath + "?" + back.Encode()
	p.render(w, http.StatusOK, "doc.html", v)
}

// citedLines names the span [start, end) of text as the CLI's citations
// do: by lines, within its page for a document with pages, and by pages
// when it crosses one.
func citedLines(text string, pages []int, start, end int) string {
	pageStart, label := 0, ""
	if len(pages) > 0 {
		first, last := article.PageOf(pages, start), article.PageOf(pages, end-1)
		if first != last {
			return fmt.Sprintf("pages %d-%d", first, last)
		}
		pageStart, label = min(max(pages[first-1], 0), start), fmt.Sprintf("page %d, ", first)
	}
	first := strings.Count(text[pageStart:start], "\n") + 1
	last := first + strings.Count(strings.TrimRight(text[start:end], "\n"), "\n")
	if first == last {
		return fmt.Sprintf("%sline %d", label, first)
	}
	return fmt.Sprintf("%slines %d-%d", label, first, last)
}

// ServeKey serves POST /key: a correct key is kept in a cookie (HttpOnly,
// SameSite=Strict) and the browser sent back to the page it came from; the
// footer's form (forget=1) forgets it. An empty key asks again: the login
// form never logs out.
func (p *Page) ServeKey(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.askKey(w, r, "The form could not be read.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	key := strings.TrimSpace(r.PostForm.Get("key"))
	cookie := &http.Cookie{Name: CookieName, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	switch {
	case r.PostForm.Get("forget") != "":
		cookie.MaxAge = -1
		http.SetCookie(w, cookie)
	case p.keyDigest == nil:
	case key == "":
		p.askKey(w, r, "Enter the API key.")
		return
	case !p.keyMatches(key):
		p.askKey(w, r, "That key is not the server's API key.")
		return
	default:
		// Encoded, so that every byte of any key survives the cookie's
		// syntax (which has no room for ; " \ or non-ASCII).
		cookie.Value = base64.RawURLEncoding.EncodeToString([]byte(key))
		cookie.MaxAge = int(cookieAge.Seconds())
		http.SetCookie(w, cookie)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext returns next if it is a path of this site, else the search
// page. Browsers drop tabs and newlines from a Location and read "\" as
// "/", so "/\t/evil.example" would lead to another site: only printable
// ASCII without backslashes is accepted, and no scheme or host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return SearchPath
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return SearchPath
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return SearchPath
	}
	return next
}

// authorized says whether r may see the page: no key is set, or r carries
// it in the cookie or an Authorization: Bearer header.
func (p *Page) authorized(r *http.Request) bool {
	if p.keyDigest == nil {
		return true
	}
	if c, err := r.Cookie(CookieName); err == nil {
		if key, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil && p.keyMatches(string(key)) {
			return true
		}
		if p.keyMatches(c.Value) { // set before values were encoded
			return true
		}
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && p.keyMatches(strings.TrimSpace(token))
}

// keyMatches compares digests in constant time, so neither the key's
// content nor its length leaks through timing.
func (p *Page) keyMatches(key string) bool {
	got := sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(got[:], p.keyDigest[:]) == 1
}

// askKey shows the key form with status 401.
func (p *Page) askKey(w http.ResponseWriter, r *http.Request, problem string) {
	next := SearchPath
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	} else if r.PostForm != nil {
		next = safeNext(r.PostForm.Get("next"))
	}
	p.render(w, http.StatusUnauthorized, "key.html", map[string]any{"Next": next, "Problem": problem})
}

// render executes a template with the page's security headers.
func (p *Page) render(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := p.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		p.log.Error("render page", "template", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// stopwords are not highlighted: they match everywhere.
var stopwords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true, "did": true,
	"do": true, "does": true, "for": true, "from": true, "had": true, "has": true, "have": true, "how": true,
	"in": true, "is": true, "it": true, "of": true, "on": true, "or": true, "the": true, "to": true, "was": true,
	"were": true, "what": true, "when": true, "where": true, "which": true, "who": true, "why": true, "with": true,
}

// queryTerms returns the query's words worth highlighting, lower-cased.
func queryTerms(q string) map[string]bool {
	terms := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(q), isSeparator) {
		if !stopwords[w] && utf8.RuneCountInString(w) > 1 {
			terms[w] = true
		}
	}
	return terms
}

func isSeparator(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// matches says whether a lower-cased word is a term or a term with a common
// English inflection ("fire" matches "fired" and "fires").
func matches(word string, terms map[string]bool) bool {
	if terms[word] {
		return true
	}
	for _, suffix := range []string{"s", "es", "d", "ed", "ing"} {
		if stem, ok := strings.CutSuffix(word, suffix); ok && terms[stem] {
			return true
		}
	}
	return false
}

// highlight splits text into runs, marking the words that are query terms
// (case-insensitively, whole words, see [matches]).
func highlight(text string, terms map[string]bool) []segment {
	var out []segment
	add := func(s string, mark bool) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Mark == mark {
			out[n-1].Text += s
			return
		}
		out = append(out, segment{Text: s, Mark: mark})
	}
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isSeparator(r) {
			add(text[i:i+size], false)
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if isSeparator(r) {
				break
			}
			j += size
		}
		word := text[i:j]
		add(word, matches(strings.ToLower(word), terms))
		i = j
	}
	return out
}
