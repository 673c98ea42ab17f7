package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// readsBeforeListing is how many documents a docLookup reads one at a
// time before it lists the collection instead.
const readsBeforeListing = 64

// docLookup reads stored documents by id, without their text, for a caller
// that needs a few of many: the first readsBeforeListing one at a time,
// and past that every document listed once, which costs a remote store one
// request, not thousands. It is not safe for concurrent use.
type docLookup struct {
	e          *Engine
	collection string
	docs       map[string]vectorstore.Document // read or listed
	absent     map[string]bool                 // read and not stored
	listed     bool
	reads      int
}

func (e *Engine) lookup(collection string) *docLookup {
	return &docLookup{e: e, collection: collection, docs: map[string]vectorstore.Document{}, absent: map[string]bool{}}
}

// get returns id's stored document, and false when the collection does not
// hold it (or no longer does).
func (l *docLookup) get(ctx context.Context, id string) (vectorstore.Document, bool, error) {
	if d, ok := l.docs[id]; ok {
		return d, true, nil
	}
	if l.listed || l.absent[id] {
		return vectorstore.Document{}, false, nil
	}
	if l.reads < readsBeforeListing {
		l.reads++
		d, err := l.e.store.Document(ctx, l.collection, id)
		if errors.Is(err, ErrNotFound) {
			l.absent[id] = true
			return vectorstore.Document{}, false, nil
		}
		if err != nil {
			return vectorstore.Document{}, false, fmt.Errorf("read %s: %w", id, err)
		}
		d.Text = ""
		l.docs[id] = d
		return d, true, nil
	}
	docs, _, err := l.e.store.Documents(ctx, l.collection, 0, 0)
	if err != nil {
		return vectorstore.Document{}, false, fmt.Errorf("list documents: %w", err)
	}
	for _, d := range docs {
		l.docs[d.ID] = d
	}
	l.listed = true
	d, ok := l.docs[id]
	return d, ok, nil
}

// DocumentsOf returns those of ids that the collection holds, without their
// text, by id: a few are read one by one, and for many the collection is
// listed once.
func (e *Engine) DocumentsOf(ctx context.Context, collection string, ids []string) (map[string]vectorstore.Document, error) {
	if _, err := e.Collection(ctx, collection); err != nil {
		return nil, err
	}
	l := e.lookup(collection)
	out := make(map[string]vectorstore.Document, len(ids))
	for _, id := range ids {
		d, ok, err := l.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = d
		}
	}
	return out, nil
}
