package storetest

import (
	"context"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// settingsRecorder is a store that records a collection's settings again
// (the engine completes old collections' settings with it).
type settingsRecorder interface {
	RecordSettings(ctx context.Context, collection string, s vectorstore.Settings) error
}

// testRecordSettings: a collection's settings, all of them, are stored and
// survive a reopen; RecordSettings replaces all but the dimension (which
// the vectors fix), keeps the documents, and reports an unknown collection.
func testRecordSettings(t *testing.T, h *harness) {
	ctx := t.Context()
	s, closeFirst := h.store()
	rec, ok := s.(settingsRecorder)
	if !ok {
		t.Fatalf("%T cannot record settings", s)
	}
	first := testSettings
	first.ModelDigest, first.DocumentPrefix = "digest1", "title: {title} | text: "
	if _, err := s.CreateCollection(ctx, "c", first); err != nil {
		t.Fatal(err)
	}
	m := newModel()
	d, ps := h.doc("doc", "v1", 3)
	put(t, s, m, "c", d, ps)
	next := first
	next.QueryPrefix, next.Embedder, next.EmbedURL, next.EmbedDimensions = "Instruct: x\nQuery: ", "openai", "http://127.0.0.1:8080/v1", 256
	next.Dimensions = dims + 1 // not recorded: the vectors fix it
	if err := rec.RecordSettings(ctx, "c", next); err != nil {
		t.Fatal(err)
	}
	next.Dimensions = dims
	if c, err := s.Collection(ctx, "c"); err != nil || c.Settings != next || c.Documents != 1 {
		t.Fatalf("after RecordSettings: %+v, %v; want settings %+v and 1 document", c, err, next)
	}
	if err := rec.RecordSettings(ctx, "missing", next); err == nil {
		t.Error("RecordSettings of a missing collection succeeded")
	}
	closeFirst()
	s2, _ := h.store()
	if c, err := s2.Collection(ctx, "c"); err != nil || c.Settings != next {
		t.Fatalf("after a reopen: %+v, %v; want settings %+v", c, err, next)
	}
	checkDocuments(t, s2, "c", m)
}
