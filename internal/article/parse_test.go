package article

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseOne parses data and requires exactly one article.
func parseOne(t *testing.T, source string, data []byte, format string) (Article, []Problem) {
	t.Helper()
	arts, probs, err := Parse(source, "doc", data, format)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(arts) != 1 {
		t.Fatalf("Parse: got %d articles, want 1 (problems %v)", len(arts), probs)
	}
	checkArticle(t, arts[0])
	return arts[0], probs
}

func TestParse_Text(t *testing.T) {
	newsNoise := []string{
		"Advertisement",
		"By Jane Doe | March 3, 2021 | 4 min read",
		"Updated: March 4, 2021 10:30 a.m. EDT",
		"Share",
		"Read more: Council budget explained",
		"Image: Getty Images/J. Smith",
		"Follow us on Twitter",
		"Related",
		"Facebook Twitter Email",
		"© 2021 Example News. All rights reserved.",
	}
	tests := []struct {
		name       string
		data       string
		wantTitle  string
		wantAuthor string
		wantDate   time.Time
		wantSkip   []string // exactly the lines in Skip
	}{
		{
			name:      "title and paragraphs",
			data:      string(readTestdata(t, "text/plain.txt")),
			wantTitle: "Chelsea sack Mutu",
		},
		{
			name:       "news page with header and noise, near misses stay",
			data:       string(readTestdata(t, "text/news.txt")),
			wantTitle:  "Council approves new bridge",
			wantAuthor: "Jane Doe",
			wantDate:   date(2021, 3, 3),
			wantSkip:   newsNoise,
		},
		{
			name:       "bare name byline followed by date",
			data:       "Headline here\n\nKristopher Drake\nMay 12, 2017\n\nBody text.\n",
			wantTitle:  "Headline here",
			wantAuthor: "Kristopher Drake",
			wantDate:   date(2017, 5, 12),
			wantSkip:   []string{"Kristopher Drake", "May 12, 2017"},
		},
		{
			name:      "bare name without dateline is content (venue)",
			data:      "Blackburn v Burnley\n\nEwood Park\n\nTuesday, 1 March\n\n2000 GMT\n\nText.\n",
			wantTitle: "Blackburn v Burnley",
		},
		{
			// "Executive Summary" ends the header, so the date under it stays too.
			name:      "heading words are not a name",
			data:      "Annual report\n\nExecutive Summary\nMay 12, 2017\n\nText.\n",
			wantTitle: "Annual report",
		},
		{
			name:       "byline first means no title line: the first words stand in",
			data:       "By John Smith\nFriday, 12 May 2017\n\nThe story begins here.\n",
			wantTitle:  "The story begins here.",
			wantAuthor: "John Smith",
			wantDate:   date(2017, 5, 12),
			wantSkip:   []string{"By John Smith", "Friday, 12 May 2017"},
		},
		{
			name:      "by-sentence is not a byline",
			data:      "Markets\n\nBy Monday, the deal was done.\n",
			wantTitle: "Markets",
		},
		{
			name:      "date inside a sentence is content",
			data:      "Timeline\n\nMay 9, 2017: Comey fired\nMore text.\n",
			wantTitle: "Timeline",
		},
		{
			name: "dateline after content is content",
			data: "Title\n\nFirst paragraph.\n\nMay 12, 2017\n",
			// only the header right under the title is looked at
			wantTitle: "Title",
		},
		{
			name:      "long first line is a paragraph, not a title: its first words stand in",
			data:      strings.Repeat("word ", 70) + "\n\nSecond paragraph.\n",
			wantTitle: strings.TrimSpace(strings.Repeat("word ", 12)) + "…",
		},
		{
			name:      "a first line that reads as a sentence is not a title",
			data:      "Russia's foreign minister managed a quip about the dismissal of the FBI director before meeting officials.\n\nSecond paragraph.\n",
			wantTitle: "Russia's foreign minister managed a quip about the dismissal…",
		},
		{
			name:      "a headline without a full stop is a title",
			data:      "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant TimeWarner jumped 76%.\n",
			wantTitle: "Ad sales boost Time Warner profit",
		},
		{
			name:      "single line has no title line: its words stand in",
			data:      "Just one line of text",
			wantTitle: "Just one line of text",
		},
		{
			name:       "CRLF line ends",
			data:       "Title\r\n\r\nBy Jane Doe\r\n2021-03-03\r\n\r\nBody.\r\nAdvertisement\r\nMore body.",
			wantTitle:  "Title",
			wantAuthor: "Jane Doe",
			wantDate:   date(2021, 3, 3),
			wantSkip:   []string{"By Jane Doe", "2021-03-03", "Advertisement"},
		},
		{
			name:      "noise before title",
			data:      "Skip to main content\nReal title\n\nBody.\n",
			wantTitle: "Real title",
			wantSkip:  []string{"Skip to main content"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, probs := parseOne(t, "x.txt", []byte(tt.data), "")
			if len(probs) != 0 {
				t.Errorf("problems: %v", probs)
			}
			if a.Format != "text" || a.Text != tt.data || a.ID != "doc" || a.Source != "x.txt" {
				t.Errorf("got format %q id %q source %q, text changed: %v", a.Format, a.ID, a.Source, a.Text != tt.data)
			}
			if a.Title != tt.wantTitle {
				t.Errorf("Title = %q, want %q", a.Title, tt.wantTitle)
			}
			if a.Author != tt.wantAuthor {
				t.Errorf("Author = %q, want %q", a.Author, tt.wantAuthor)
			}
			if !a.Published.Equal(tt.wantDate) {
				t.Errorf("Published = %v, want %v", a.Published, tt.wantDate)
			}
			checkSkipPartition(t, a, func(l string) bool { return slices.Contains(tt.wantSkip, l) })
		})
	}
}

func TestParse_Markdown(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		wantTitle  string
		wantAuthor string
		wantURL    string
		wantDate   time.Time
		wantMeta   map[string]string
		wantSkip   []string
		wantProbs  int
	}{
		{
			name:       "front matter",
			data:       string(readTestdata(t, "markdown/front-matter.md")),
			wantTitle:  "Bridge vote: what it means",
			wantAuthor: "Jane Doe, John Roe",
			wantURL:    "https://example.com/bridge",
			wantDate:   date(2021, 3, 3),
			wantMeta:   map[string]string{"tags": `["city","transport"]`, "draft": "false", "rating": "4.5"},
			wantSkip: []string{"---", `title: "Bridge vote: what it means"`, "date: 2021-03-03", "author:",
				"- Jane Doe", "- John Roe", "url: https://example.com/bridge", "tags: [city, transport]",
				"draft: false", "rating: 4.5"},
		},
		{
			name:      "first h1 outside code blocks",
			data:      string(readTestdata(t, "markdown/heading.md")),
			wantTitle: "Real Title",
		},
		{
			name:      "setext heading",
			data:      "Intro.\n\nThe Title\n=========\n\nBody.\n",
			wantTitle: "The Title",
		},
		{
			name:      "only lower headings",
			data:      "## Section one\n\nBody.\n",
			wantTitle: "Section one",
		},
		{
			name:      "unparseable date kept in meta",
			data:      "---\ndate: the ides of March\n---\nBody.\n",
			wantMeta:  map[string]string{"published": "the ides of March"},
			wantSkip:  []string{"---", "date: the ides of March"},
			wantTitle: "x.md", // no title anywhere: the file name
		},
		{
			name:      "invalid YAML is skipped and reported",
			data:      "---\ntitle: [unclosed\n---\n# Heading\n\nBody.\n",
			wantTitle: "Heading",
			wantSkip:  []string{"---", "title: [unclosed"},
			wantProbs: 1,
		},
		{
			name:      "TOML front matter is skipped",
			data:      "+++\ntitle = \"x\"\n+++\n# Heading\n",
			wantTitle: "Heading",
			wantSkip:  []string{"+++", `title = "x"`},
		},
		{
			name:      "unclosed front matter is text, with a warning",
			data:      "---\nnot closed\n\n# Heading\n",
			wantTitle: "Heading",
			wantProbs: 1,
		},
		{
			name:      "unclosed front matter and no heading: the file name",
			data:      "---\ntitle: Bees\n\nBees live on roofs.\n",
			wantTitle: "x.md",
			wantProbs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, probs := parseOne(t, "x.md", []byte(tt.data), "")
			if len(probs) != tt.wantProbs {
				t.Errorf("problems: %v, want %d", probs, tt.wantProbs)
			}
			if a.Format != "markdown" || a.Text != tt.data {
				t.Errorf("format %q, text changed: %v", a.Format, a.Text != tt.data)
			}
			if a.Title != tt.wantTitle || a.Author != tt.wantAuthor || a.URL != tt.wantURL || !a.Published.Equal(tt.wantDate) {
				t.Errorf("got title %q author %q url %q published %v", a.Title, a.Author, a.URL, a.Published)
			}
			if len(tt.wantMeta) != len(a.Meta) {
				t.Errorf("Meta = %v, want %v", a.Meta, tt.wantMeta)
			}
			for k, v := range tt.wantMeta {
				if a.Meta[k] != v {
					t.Errorf("Meta[%q] = %q, want %q", k, a.Meta[k], v)
				}
			}
			checkSkipPartition(t, a, func(l string) bool { return slices.Contains(tt.wantSkip, l) })
		})
	}
}

func TestParse_HTML(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		wantTitle   string
		wantAuthor  string
		wantURL     string
		wantDate    time.Time
		wantMeta    map[string]string
		wantText    string // exact, when not empty
		contains    []string
		notContains []string
		wantSkip    []string
	}{
		{
			name:       "article page with chrome",
			data:       string(readTestdata(t, "html/article.html")),
			wantTitle:  "Council approves new bridge",
			wantAuthor: "Jane Doe",
			wantURL:    "https://example.com/news/bridge",
			wantDate:   time.Date(2021, 3, 3, 9, 30, 0, 0, time.UTC),
			wantMeta:   map[string]string{"description": "The council voted to fund a bridge.", "site_name": "Example News", "lang": "en"},
			wantText: "Council approves new bridge\n\nBy Jane Doe\n\n" +
				"The city council voted on Tuesday to fund a new bridge & a cycle path.\n\n" +
				"Advertisement\n\n" +
				"The bridge will cost £12 million, officials said.\nWork starts in May.\n\n" +
				"Length: 300 m\n\nLanes: 4",
			wantSkip: []string{"By Jane Doe", "Advertisement"},
		},
		{
			name:        "title tag without site name, no main: body",
			data:        `<html><head><title>Headline | Site</title><meta property="og:site_name" content="Site"></head><body><div id="menu">Home About</div><div class="content"><p>One <i>two</i>three.</p><p>Four</p></div></body></html>`,
			wantTitle:   "Headline",
			wantMeta:    map[string]string{"site_name": "Site"},
			wantText:    "One twothree.\n\nFour",
			notContains: []string{"Home"},
		},
		{
			name:      "h1 fallback, fragment without html element",
			data:      "<h1>Only heading</h1><p>Text &lt;here&gt;.</p>",
			wantTitle: "Only heading",
			wantText:  "Only heading\n\nText <here>.",
		},
		{
			name:      "listing page keeps all articles",
			data:      `<body><main><article><h2>One</h2><p>First story text.</p></article><article><h2>Two</h2><p>Second story text.</p></article></main></body>`,
			wantTitle: "One",
			contains:  []string{"First story text.", "Second story text."},
		},
		{
			name:        "dominant article wins over sidebar text",
			data:        `<body><div>Sidebar junk</div><article><p>` + strings.Repeat("Long article text. ", 20) + `</p></article><section><p>Other</p></section></body>`,
			notContains: []string{"Sidebar junk", "Other"},
			contains:    []string{"Long article text."},
			wantTitle:   "x.html", // no head, no h1, first line too long for a title: the file name
		},
		{
			name: "pre keeps line breaks, unparseable date in meta",
			data: `<html><head><meta name="date" content="someday"></head><body><h1>Code</h1><pre>a  b
c</pre></body></html>`,
			wantTitle: "Code",
			wantText:  "Code\n\na  b\nc",
			wantMeta:  map[string]string{"published": "someday"},
		},
		{
			name:      "time element gives date",
			data:      `<article><h1>T</h1><time datetime="2017-05-12T08:00:00Z">May 12</time><p>Body text.</p></article>`,
			wantDate:  time.Date(2017, 5, 12, 8, 0, 0, 0, time.UTC),
			contains:  []string{"May 12", "Body text."},
			wantTitle: "T",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, probs := parseOne(t, "x.html", []byte(tt.data), "")
			if len(probs) != 0 {
				t.Errorf("problems: %v", probs)
			}
			if a.Format != "html" {
				t.Errorf("Format = %q", a.Format)
			}
			if a.Title != tt.wantTitle || a.Author != tt.wantAuthor || a.URL != tt.wantURL || !a.Published.Equal(tt.wantDate) {
				t.Errorf("got title %q author %q url %q published %v", a.Title, a.Author, a.URL, a.Published)
			}
			if tt.wantText != "" && a.Text != tt.wantText {
				t.Errorf("Text = %q\nwant   %q", a.Text, tt.wantText)
			}
			for _, s := range tt.contains {
				if !strings.Contains(a.Text, s) {
					t.Errorf("Text lacks %q: %q", s, a.Text)
				}
			}
			for _, s := range append(tt.notContains, "tracking", "do not index", "color: red", "World", "Sport", "Facebook", "Subscribe", "Hidden text", "Most read", "Privacy", "Tags:") {
				if strings.Contains(a.Text, s) {
					t.Errorf("Text holds %q: %q", s, a.Text)
				}
			}
			if len(tt.wantMeta) != len(a.Meta) {
				t.Errorf("Meta = %v, want %v", a.Meta, tt.wantMeta)
			}
			for k, v := range tt.wantMeta {
				if a.Meta[k] != v {
					t.Errorf("Meta[%q] = %q, want %q", k, a.Meta[k], v)
				}
			}
			checkSkipPartition(t, a, func(l string) bool { return slices.Contains(tt.wantSkip, l) })
		})
	}
}

func TestParse_JSON(t *testing.T) {
	type want struct {
		id, title, text, author, url string
		published                    time.Time
		meta                         map[string]string
	}
	tests := []struct {
		name      string
		file      string
		format    string
		want      []want
		wantProbs []Problem
	}{
		{
			name: "array",
			file: "json/array.json",
			want: []want{
				{id: "a1", title: "First", text: "First article text.", published: date(2021, 3, 3),
					meta: map[string]string{"tags": `["x","y"]`, "score": "3", "draft": "false"}},
				{id: "doc#1", title: "No id", text: "Second article body.", author: "Jane Doe, John Roe",
					meta: map[string]string{"published": "sometime in spring"}},
				{id: "42", text: "Numeric id.", url: "https://example.com/42", published: date(2017, 5, 12)},
			},
			wantProbs: []Problem{{Source: "src", Line: 4, Kind: KindSkipped, Reason: "line 4: object has no text, body or content"}},
		},
		{
			name: "single object keeps the file ID",
			file: "json/single.json",
			want: []want{{id: "doc", title: "Single object", text: "Only one object in this file.",
				meta: map[string]string{"source": `{"name":"wire"}`}}},
		},
		{
			name: "syntax error keeps objects before it",
			file: "json/broken.json",
			want: []want{{id: "ok1", text: "Loaded before the error."}},
			wantProbs: []Problem{{Source: "src", Line: 3, Kind: KindError,
				Reason: `line 3: invalid JSON, rest of file not loaded: invalid character '\n' in string literal`}},
		},
		{
			name: "JSON lines with a bad line in the middle",
			file: "jsonl/lines.jsonl",
			want: []want{
				{id: "4983", title: "First", text: "First line object."},
				{id: "doc#2", title: "No id", text: "Second line object."},
				{id: "5000", text: "After the bad line.", meta: map[string]string{"metadata": `{"split":"test"}`}},
			},
			wantProbs: []Problem{
				{Source: "src", Line: 3, Kind: KindError, Reason: "line 3: invalid JSON: invalid character 'o' looking for beginning of value"},
				{Source: "src", Line: 5, Kind: KindSkipped, Reason: "line 5: object has no text, body or content"},
			},
		},
		{
			name:   "pretty-printed JSON named .jsonl",
			file:   "json/array.json",
			format: "jsonl",
			want: []want{
				{id: "a1"}, {id: "doc#1"}, {id: "42"},
			},
			wantProbs: []Problem{{Source: "src", Line: 4, Kind: KindSkipped, Reason: "line 4: object has no text, body or content"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format := tt.format
			if format == "" {
				format = "json"
				if strings.HasSuffix(tt.file, ".jsonl") {
					format = "jsonl"
				}
			}
			arts, probs, err := Parse("src", "doc", readTestdata(t, tt.file), format)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(probs, tt.wantProbs) {
				t.Errorf("problems:\n got %+v\nwant %+v", probs, tt.wantProbs)
			}
			if len(arts) != len(tt.want) {
				t.Fatalf("got %d articles %v, want %d", len(arts), articleIDs(arts), len(tt.want))
			}
			for i, w := range tt.want {
				a := arts[i]
				checkArticle(t, a)
				if a.ID != w.id || a.Format != "json" || a.Source != "src" {
					t.Errorf("article %d: id %q format %q source %q, want id %q", i, a.ID, a.Format, a.Source, w.id)
				}
				if tt.format != "" {
					continue // only the IDs matter
				}
				if a.Title != w.title || a.Text != w.text || a.Author != w.author || a.URL != w.url || !a.Published.Equal(w.published) {
					t.Errorf("article %d: got %+v", i, a)
				}
				if len(a.Meta) != len(w.meta) {
					t.Errorf("article %d: Meta = %v, want %v", i, a.Meta, w.meta)
				}
				for k, v := range w.meta {
					if a.Meta[k] != v {
						t.Errorf("article %d: Meta[%q] = %q, want %q", i, k, a.Meta[k], v)
					}
				}
			}
		})
	}
}

func TestParse_Encoding(t *testing.T) {
	tests := []struct {
		name       string
		data       []byte
		format     string
		wantText   string
		wantProbs  []Problem // Source "src"
		wantNoArts bool
	}{
		{
			name:      "Latin-1 pound sign",
			data:      readTestdata(t, "text/latin1.txt"),
			wantText:  "Café prices rise\n\nA coffee now costs £3.50 in the city centre.\n",
			wantProbs: []Problem{{Source: "src", Kind: KindRepaired, Reason: "invalid UTF-8: decoded as Windows-1252 (Latin-1)"}},
		},
		{
			name:      "invalid byte among UTF-8",
			data:      readTestdata(t, "text/invalid-utf8.txt"),
			wantText:  "Mixed bytes\n\nThe “quote” is fine but this \uFFFD byte is not.\n",
			wantProbs: []Problem{{Source: "src", Kind: KindRepaired, Reason: "invalid UTF-8: replaced 1 invalid bytes with U+FFFD"}},
		},
		{
			name:     "UTF-8 BOM stripped silently",
			data:     readTestdata(t, "text/bom.txt"),
			wantText: "BOM title\n\nText after a byte order mark.\n",
		},
		{
			name:      "UTF-16LE with BOM",
			data:      []byte{0xFF, 0xFE, 'H', 0, 'i', 0, '\n', 0, 0xE9, 0},
			wantText:  "Hi\né",
			wantProbs: []Problem{{Source: "src", Kind: KindRepaired, Reason: "converted from UTF-16LE"}},
		},
		{
			name:      "HTML with declared charset",
			data:      readTestdata(t, "html/latin1.html"),
			format:    "html",
			wantText:  "Prices in the café rose to £3.",
			wantProbs: []Problem{{Source: "src", Kind: KindRepaired, Reason: "invalid UTF-8: decoded as declared charset windows-1252"}},
		},
		{
			name:       "binary with NUL",
			data:       readTestdata(t, "bad/binary.txt"),
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "binary file"}},
			wantNoArts: true,
		},
		{
			name:       "mostly control characters",
			data:       []byte("ab\x01\x02\x03\x04\x05\x06\x07\x08cd\x0e\x0f"),
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "binary file"}},
			wantNoArts: true,
		},
		{
			name:       "empty",
			data:       readTestdata(t, "bad/empty.txt"),
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "empty file"}},
			wantNoArts: true,
		},
		{
			name:       "white space only",
			data:       readTestdata(t, "bad/blank.txt"),
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "file holds only white space"}},
			wantNoArts: true,
		},
		{
			name:       "only noise",
			data:       []byte("Advertisement\nShare\n"),
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "no article text"}},
			wantNoArts: true,
		},
		{
			name:       "HTML without text",
			data:       []byte("<html><body><nav>Menu</nav><script>x()</script></body></html>"),
			format:     "html",
			wantProbs:  []Problem{{Source: "src", Kind: KindSkipped, Reason: "no article text"}},
			wantNoArts: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format := tt.format
			if format == "" {
				format = "text"
			}
			arts, probs, err := Parse("src", "doc", tt.data, format)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(probs, tt.wantProbs) {
				t.Errorf("problems:\n got %+v\nwant %+v", probs, tt.wantProbs)
			}
			if tt.wantNoArts {
				if len(arts) != 0 {
					t.Errorf("got %d articles, want none", len(arts))
				}
				return
			}
			if len(arts) != 1 {
				t.Fatalf("got %d articles, want 1", len(arts))
			}
			checkArticle(t, arts[0])
			if arts[0].Text != tt.wantText {
				t.Errorf("Text = %q, want %q", arts[0].Text, tt.wantText)
			}
		})
	}
}

func TestParse_Format(t *testing.T) {
	tests := []struct {
		name       string
		source     string
		data       string
		format     string
		wantFormat string
		wantIDs    []string
	}{
		{name: "extension wins over content", source: "a.txt", data: `{"text":"x"}`, wantFormat: "text", wantIDs: []string{"id"}},
		{name: "upper-case extension", source: "A.MD", data: "# T\n", wantFormat: "markdown", wantIDs: []string{"id"}},
		{name: "explicit format wins", source: "a.txt", data: `{"text":"x"}`, format: "JSON", wantFormat: "json", wantIDs: []string{"id"}},
		{name: "sniff JSON", source: "-", data: ` [{"text":"x"},{"text":"y"}]`, wantFormat: "json", wantIDs: []string{"id#0", "id#1"}},
		{name: "sniff JSON lines", source: "-", data: "{\"text\":\"x\"}\n{\"text\":\"y\"}\n", wantFormat: "json", wantIDs: []string{"id#1", "id#2"}},
		{name: "sniff HTML", source: "-", data: "<!DOCTYPE html><title>T</title><p>x</p>", wantFormat: "html", wantIDs: []string{"id"}},
		{name: "sniff Markdown front matter", source: "-", data: "---\na: b\n---\ntext\n", wantFormat: "markdown", wantIDs: []string{"id"}},
		{name: "sniff Markdown heading", source: "-", data: "# Title\n\ntext\n", wantFormat: "markdown", wantIDs: []string{"id"}},
		{name: "brackets but not JSON", source: "-", data: "[1] First note\n", wantFormat: "text", wantIDs: []string{"id"}},
		{name: "unknown extension sniffs", source: "notes.org", data: "* Heading\n", wantFormat: "text", wantIDs: []string{"id"}},
		{name: "BOM before JSON", source: "-", data: "\ufeff{\"text\":\"x\"}", wantFormat: "json", wantIDs: []string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arts, probs, err := Parse(tt.source, "id", []byte(tt.data), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != 0 {
				t.Errorf("problems: %v", probs)
			}
			if got := articleIDs(arts); !slices.Equal(got, tt.wantIDs) {
				t.Fatalf("IDs = %v, want %v", got, tt.wantIDs)
			}
			for _, a := range arts {
				checkArticle(t, a)
				if a.Format != tt.wantFormat {
					t.Errorf("Format = %q, want %q", a.Format, tt.wantFormat)
				}
			}
		})
	}

	t.Run("unknown format is an error", func(t *testing.T) {
		if _, _, err := Parse("src", "id", []byte("x"), "odt"); err == nil || !strings.Contains(err.Error(), `unknown format "odt"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestArticle_HashDeterministic(t *testing.T) {
	data := readTestdata(t, "markdown/front-matter.md")
	a1, _ := parseOne(t, "x.md", data, "")
	a2, _ := parseOne(t, "x.md", data, "")
	if a1.Hash() != a2.Hash() {
		t.Errorf("hash differs between parses: %s %s", a1.Hash(), a2.Hash())
	}
	a2.Skip = nil
	if a1.Hash() == a2.Hash() {
		t.Error("hash ignores Skip")
	}
}

func TestProblem_String(t *testing.T) {
	p := Problem{Source: "a.jsonl", Line: 3, Kind: KindError, Reason: "line 3: invalid JSON"}
	if got, want := p.String(), "a.jsonl: error: line 3: invalid JSON"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestParseDocument_skipSaysWhatToDo: a PDF, Word file or EPUB that is
// skipped says what went wrong and what to do about it, so that a user
// with a folder of documents knows which ones to fix and how.
func TestParseDocument_skipSaysWhatToDo(t *testing.T) {
	for _, c := range []struct {
		name, file string
		data       []byte
		todo       string
	}{
		{"truncated PDF", "cut.pdf", minimalPDF(2, "")[:60], "save or export it again"},
		{"not a PDF", "x.pdf", []byte("hello, I am text"), "save or export it again"},
		{"scanned PDF", "scan.pdf", minimalPDF(3, "q 100 0 0 100 0 0 cm Q"), "ocrmypdf"},
		{"Word file not a zip", "memo.docx", []byte("PK\x03\x04 and then nothing"), "save or export it again"},
		{"Word file without its body", "memo.docx", zipFiles(t, "docProps/core.xml", "<x/>"), "save or export it again"},
		{"EPUB not a zip", "book.epub", []byte("PK\x03\x04 nothing"), "save or export it again"},
	} {
		t.Run(c.name, func(t *testing.T) {
			arts, probs, err := Parse(c.file, c.file, c.data, "")
			if err != nil || len(arts) != 0 || len(probs) != 1 {
				t.Fatalf("got %d articles, %v, %v; want one skip", len(arts), probs, err)
			}
			if !strings.Contains(probs[0].Reason, c.todo) {
				t.Errorf("reason %q does not say what to do (%q)", probs[0].Reason, c.todo)
			}
		})
	}
}
