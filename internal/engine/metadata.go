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
	m := DocumentMetadata(vectorstore.Document{ID: h.DocID, Source: h.Source, Title: h.Title, Author: h.Author,
		URL: h.URL, Published: h.Published, Meta: h.Meta})
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
	return m
}

// DocumentMetadata is the part of [Metadata] that comes from the document:
// its own metadata, then doc_id, source, and title, author, url and
// published where set. Filters over documents (Dify's conditions) read the
// same keys that hits carry.
func DocumentMetadata(d vectorstore.Document) map[string]any {
	m := make(map[string]any, len(d.Meta)+14)
	for k, v := range d.Meta {
		m[k] = v
	}
	m["doc_id"] = d.ID
	m["source"] = d.Source
	for k, v := range map[string]string{"title": d.Title, "author": d.Author, "url": d.URL} {
		if v != "" {
			m[k] = v
		}
	}
	if !d.Published.IsZero() {
		m["published"] = d.Published.UTC().Format(time.RFC3339)
	}
	return m
}
