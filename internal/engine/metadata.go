package engine

import (
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Metadata returns the flat metadata object of a hit that generic retrievers
// (LangChain, Dify, LlamaIndex) pass through unchanged: the document's own
// metadata, then doc_id, title, source, author, url, published (RFC 3339),
// chunk, start and end (byte offsets in the document text), line_start,
// line_end and citation, which win over custom keys of the same name. Empty
// title, author, url and published are left out; the map is never nil. The caller owns it.
func Metadata(h vectorstore.Hit) map[string]any {
	m := make(map[string]any, len(h.Meta)+12)
	for k, v := range h.Meta {
		m[k] = v
	}
	m["doc_id"] = h.DocID
	m["source"] = h.Source
	m["chunk"] = h.Chunk
	m["start"] = h.Start
	m["end"] = h.End
	m["line_start"] = h.LineStart
	m["line_end"] = h.LineEnd
	m["citation"] = Citation(h)
	if h.PageStart > 0 {
		m["page_start"], m["page_end"] = h.PageStart, h.PageEnd
	}
	if h.Chapter != "" {
		m["chapter"] = h.Chapter
	}
	for k, v := range map[string]string{"title": h.Title, "author": h.Author, "url": h.URL} {
		if v != "" {
			m[k] = v
		}
	}
	if !h.Published.IsZero() {
		m["published"] = h.Published.UTC().Format(time.RFC3339)
	}
	return m
}
