package article

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// droppedElements never hold article text.
var droppedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Aside: true, atom.Footer: true, atom.Form: true, atom.Button: true,
	atom.Input: true, atom.Select: true, atom.Textarea: true, atom.Option: true,
	atom.Iframe: true, atom.Svg: true, atom.Math: true, atom.Canvas: true, atom.Object: true,
	atom.Embed: true, atom.Video: true, atom.Audio: true, atom.Source: true, atom.Track: true,
	atom.Map: true, atom.Menu: true, atom.Dialog: true, atom.Img: true, atom.Picture: true,
	atom.Head: true, atom.Link: true, atom.Meta: true,
}

// droppedRoles are ARIA landmark roles of page chrome.
var droppedRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "menu": true, "menubar": true, "dialog": true, "alert": true,
}

// chromeWords in a class or id mark page chrome, unless a contentWords word is
// there too ("article-share" stays, "share-bar" goes).
var chromeWords = map[string]bool{
	"nav": true, "navbar": true, "navigation": true, "menu": true, "breadcrumb": true,
	"breadcrumbs": true, "sidebar": true, "share": true, "sharing": true, "social": true,
	"comments": true, "comment": true, "related": true, "advert": true, "advertisement": true,
	"ad": true, "ads": true, "promo": true, "newsletter": true, "cookie": true, "cookies": true,
	"banner": true, "masthead": true, "footer": true, "header": true, "subscribe": true,
	"popup": true, "modal": true, "sponsored": true, "outbrain": true, "taboola": true,
}

var contentWords = map[string]bool{
	"article": true, "content": true, "main": true, "body": true, "post": true,
	"story": true, "entry": true, "text": true,
}

// blockElements end the current paragraph where they open and close.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Center: true, atom.Dd: true, atom.Details: true, atom.Dir: true,
	atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Caption: true, atom.Ul: true,
	atom.Html: true, atom.Legend: true,
}

// publishedMeta are meta names and properties that carry a publication date,
// in order of preference.
var publishedMeta = []string{
	"article:published_time", "og:published_time", "datepublished", "date", "pubdate",
	"publishdate", "publish-date", "publish_date", "dc.date", "dc.date.issued",
	"dcterms.created", "dcterms.issued", "sailthru.date", "parsely-pub-date",
}

// htmlPage is what parseHTML reads from a document's head.
type htmlPage struct {
	meta      map[string]string // lower-cased name, property or itemprop -> first content
	title     string            // <title>
	canonical string
	lang      string
	tags      []string // article:tag
}

// parseHTML fills an HTML article. Title is og:title, twitter:title, <title>
// (without a trailing " | site name") or the first <h1>. Author, Published and
// URL come from <meta name=author>, article:published_time (and the other
// publishedMeta) and <link rel=canonical> (or og:url). Text is the main text:
// the dominant <article>, else <main>, else <body>, without scripts, styles,
// forms, nav, aside, footer, page-level header, hidden elements, ARIA chrome
// landmarks and elements whose class or id names page chrome. Block elements
// become paragraphs separated by blank lines, <br> a line break, white space
// is collapsed except in <pre>. The text then goes through the plain text
// rules (see parseText): its byline and dateline under the headline, and its
// noise lines, go into Skip, and fill Author and Published if the head did
// not.
func parseHTML(a *Article, text string) {
	a.Format = "html"
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return // html.Parse fails only when reading fails
	}
	page := readHead(doc)
	a.Title = firstNonEmpty(page.meta["og:title"], page.meta["twitter:title"],
		stripSiteName(page.title, page.meta["og:site_name"]), firstH1(doc))
	if au := page.meta["author"]; au != "" {
		a.Author = au
	} else if au := page.meta["article:author"]; au != "" && !strings.Contains(au, "://") {
		a.Author = au
	}
	a.URL = firstNonEmpty(page.canonical, page.meta["og:url"])
	for _, k := range publishedMeta {
		v := page.meta[k]
		if v == "" {
			continue
		}
		if t, ok := parseDate(v); ok {
			a.Published = t
		} else {
			a.setMeta("published", v)
		}
		break
	}
	a.setMeta("description", firstNonEmpty(page.meta["description"], page.meta["og:description"]))
	a.setMeta("site_name", page.meta["og:site_name"])
	a.setMeta("keywords", page.meta["keywords"])
	a.setMeta("section", page.meta["article:section"])
	a.setMeta("modified", page.meta["article:modified_time"])
	a.setMeta("lang", page.lang)
	if len(page.tags) > 0 {
		// A JSON list, as Markdown front matter lists are stored, so that
		// filters match each tag.
		tags, _ := json.Marshal(page.tags)
		a.setMeta("tags", string(tags))
	}

	body := findFirst(doc, atom.Body)
	if body == nil {
		body = doc
	}
	prune(body, false)
	root := mainElement(body)
	if a.Published.IsZero() {
		if t := findTimeElement(root); t != "" {
			if pt, ok := parseDate(t); ok {
				a.Published = pt
			}
		}
	}
	var w textWriter
	w.walk(root, false)
	a.Text = w.String()
	a.Lines = htmlLines(text, a.Text)

	// The extracted text reads like a plain news text: its byline, dateline
	// and noise lines are found the same way.
	var t Article
	parseText(&t, a.Text)
	a.Skip = t.Skip
	a.Title = firstNonEmpty(a.Title, t.Title)
	if a.Author == "" {
		a.Author = t.Author
	}
	if a.Published.IsZero() {
		a.Published = t.Published
	}
}

// setMeta sets a.Meta[k] = v when v is not empty.
func (a *Article) setMeta(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if a.Meta == nil {
		a.Meta = map[string]string{}
	}
	a.Meta[k] = v
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = collapseSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func attr(n *html.Node, key string) string {
	for _, at := range n.Attr {
		if at.Namespace == "" && strings.EqualFold(at.Key, key) {
			return at.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, at := range n.Attr {
		if at.Namespace == "" && strings.EqualFold(at.Key, key) {
			return true
		}
	}
	return false
}

// readHead collects <meta>, <title>, <link rel=canonical> and <html lang>.
func readHead(doc *html.Node) htmlPage {
	page := htmlPage{meta: map[string]string{}}
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				page.lang = attr(n, "lang")
			case atom.Title:
				if page.title == "" && n.Parent != nil && n.Parent.DataAtom == atom.Head {
					page.title = collapseSpace(nodeText(n))
				}
			case atom.Link:
				if page.canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					page.canonical = strings.TrimSpace(attr(n, "href"))
				}
			case atom.Meta:
				content := strings.TrimSpace(attr(n, "content"))
				if content == "" {
					break
				}
				for _, k := range []string{"name", "property", "itemprop"} {
					key := strings.ToLower(strings.TrimSpace(attr(n, k)))
					if key == "" {
						continue
					}
					if key == "article:tag" {
						page.tags = append(page.tags, content)
					}
					if _, ok := page.meta[key]; !ok {
						page.meta[key] = content
					}
				}
			case atom.Time:
				if strings.EqualFold(attr(n, "itemprop"), "datePublished") {
					if _, ok := page.meta["datepublished"]; !ok && attr(n, "datetime") != "" {
						page.meta["datepublished"] = attr(n, "datetime")
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	return page
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// stripSiteName removes " | Site", " - Site" or " — Site" from the end of a
// <title> when Site is the og:site_name.
func stripSiteName(title, site string) string {
	site = collapseSpace(site)
	if site == "" || title == site {
		return title
	}
	for _, sep := range []string{" | ", " - ", " – ", " — ", " · ", " :: "} {
		if t, ok := strings.CutSuffix(title, sep+site); ok && strings.TrimSpace(t) != "" {
			return strings.TrimSpace(t)
		}
	}
	return title
}

func findFirst(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findFirst(c, a); f != nil {
			return f
		}
	}
	return nil
}

func firstH1(doc *html.Node) string {
	if h := findFirst(doc, atom.H1); h != nil {
		return collapseSpace(nodeText(h))
	}
	return ""
}

// nodeText concatenates the text nodes under n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return b.String()
}

// textSize counts the non-space runes of the text under n.
func textSize(n *html.Node) int {
	size := 0
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.TextNode {
			for _, r := range n.Data {
				if !unicode.IsSpace(r) {
					size++
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return size
}

// isChrome reports whether element n is page chrome that never holds article
// text. inArticle says whether n is inside an <article>, whose <header> holds
// the headline and stays.
func isChrome(n *html.Node, inArticle bool) bool {
	if droppedElements[n.DataAtom] {
		return true
	}
	if n.DataAtom == atom.Header && !inArticle {
		return true
	}
	if hasAttr(n, "hidden") || strings.EqualFold(attr(n, "aria-hidden"), "true") {
		return true
	}
	if style := strings.ToLower(strings.ReplaceAll(attr(n, "style"), " ", "")); strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
		return true
	}
	if droppedRoles[strings.ToLower(strings.TrimSpace(attr(n, "role")))] {
		return true
	}
	switch n.DataAtom {
	case atom.Body, atom.Html, atom.Article, atom.Main:
		return false
	}
	chrome := false
	for _, name := range strings.Fields(attr(n, "class") + " " + attr(n, "id")) {
		for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
			return r == '-' || r == '_' || r == ':' || r == '.'
		}) {
			if contentWords[w] {
				return false
			}
			if chromeWords[w] {
				chrome = true
			}
		}
	}
	return chrome
}

// prune removes page chrome under n.
func prune(n *html.Node, inArticle bool) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.CommentNode:
			n.RemoveChild(c)
		case c.Type == html.ElementNode && isChrome(c, inArticle):
			n.RemoveChild(c)
		case c.Type == html.ElementNode:
			prune(c, inArticle || c.DataAtom == atom.Article)
		}
		c = next
	}
}

// mainElement picks the element that holds the article under body: the
// largest <article> when it has at least twice the text of the next largest
// one (a page listing several articles keeps them all), else the <main>
// element (or role=main), else body.
func mainElement(body *html.Node) *html.Node {
	var articles []*html.Node
	var mainEl *html.Node
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.DataAtom == atom.Article:
				articles = append(articles, n)
			case mainEl == nil && (n.DataAtom == atom.Main || strings.EqualFold(attr(n, "role"), "main")):
				mainEl = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(body)
	var best *html.Node
	bestSize, second := 0, 0
	for _, a := range articles {
		switch s := textSize(a); {
		case s > bestSize:
			best, bestSize, second = a, s, bestSize
		case s > second:
			second = s
		}
	}
	if best != nil && bestSize > 0 && bestSize >= 2*second {
		return best
	}
	if mainEl != nil && textSize(mainEl) > 0 {
		return mainEl
	}
	return body
}

// findTimeElement returns the datetime of the first <time> under n.
func findTimeElement(n *html.Node) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Time {
		if dt := attr(n, "datetime"); dt != "" {
			return dt
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := findTimeElement(c); t != "" {
			return t
		}
	}
	return ""
}

// textWriter renders HTML text as paragraphs separated by blank lines.
type textWriter struct {
	paras []string
	cur   strings.Builder
	space bool // a space is due before the next word
	cells int  // table cells begun in the current row
}

func (w *textWriter) walk(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, pre)
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Br:
			w.lineBreak()
			return
		case atom.Td, atom.Th:
			// Cells joined by " | ", as the Word loader joins them, so
			// that the chunker knows a table row (and an empty cell
			// keeps its place).
			if w.cells > 0 {
				if w.cur.Len() > 0 && !strings.HasSuffix(w.cur.String(), "\n") {
					w.cur.WriteByte(' ')
				}
				w.cur.WriteByte('|')
			}
			w.cells++
			w.space = true
		case atom.Tr:
			w.cells = 0
		}
	case html.DocumentNode:
	default:
		return
	}
	block := n.Type == html.ElementNode && blockElements[n.DataAtom]
	if block {
		w.paragraph()
	}
	inPre := pre || n.DataAtom == atom.Pre || n.DataAtom == atom.Textarea
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, inPre)
	}
	if block {
		w.paragraph()
	}
	if n.DataAtom == atom.Td || n.DataAtom == atom.Th {
		w.space = true
	}
}

func (w *textWriter) text(s string, pre bool) {
	if pre {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.lineBreak()
			}
			if line != "" {
				w.cur.WriteString(strings.TrimRightFunc(line, unicode.IsSpace))
				w.space = false
			}
		}
		return
	}
	if s == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		w.space = true
	}
	for _, word := range strings.Fields(s) {
		if w.space && w.cur.Len() > 0 && !strings.HasSuffix(w.cur.String(), "\n") {
			w.cur.WriteByte(' ')
		}
		w.cur.WriteString(word)
		w.space = true
	}
	if r, _ := utf8.DecodeLastRuneInString(s); !unicode.IsSpace(r) {
		w.space = false
	}
}

func (w *textWriter) lineBreak() {
	if w.cur.Len() > 0 {
		w.cur.WriteByte('\n')
	}
	w.space = false
}

func (w *textWriter) paragraph() {
	p := strings.Trim(w.cur.String(), "\n")
	w.cur.Reset()
	w.space = false
	if strings.TrimSpace(p) == "" {
		return
	}
	lines := strings.Split(p, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	w.paras = append(w.paras, strings.Join(kept, "\n"))
}

// String flushes the current paragraph and returns the text.
func (w *textWriter) String() string {
	w.paragraph()
	return strings.Join(w.paras, "\n\n")
}
