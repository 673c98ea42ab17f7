package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// undo records what an import into an existing collection changes, so a
// failure while applying can take it back: the ids it added, and the
// earlier version of every document it replaced, spooled to a temporary
// file (TMPDIR) because a restore may replace the whole collection.
type undo struct {
	s          vectorstore.Store
	collection string
	dims       int
	had        map[string]string // id -> hash before the import
	added      []string
	file       *os.File
	w          *bufio.Writer
	saved      int
}

func newUndo(ctx context.Context, s vectorstore.Store, collection string, dims int) (*undo, error) {
	had, err := s.Hashes(ctx, collection)
	if err != nil {
		return nil, err
	}
	return &undo{s: s, collection: collection, dims: dims, had: had}, nil
}

// before records document id as it is before the import puts it.
func (u *undo) before(ctx context.Context, id string) error {
	if _, ok := u.had[id]; !ok {
		u.added = append(u.added, id)
		return nil
	}
	doc, hits, err := vectorstore.DocumentPassages(ctx, u.s, u.collection, id)
	if err != nil {
		return fmt.Errorf("keep the earlier version of %q: %w", id, err)
	}
	rec := Record{Type: "document", Document: doc, Passages: make([]Passage, len(hits))}
	for i, h := range hits {
		rec.Passages[i] = Passage{Chunk: h.Chunk, Start: h.Start, End: h.End, LineStart: h.LineStart, LineEnd: h.LineEnd, Vector: h.Vector}
	}
	if u.file == nil {
		if u.file, err = os.CreateTemp("", "semsearch-import-undo-*.jsonl"); err != nil {
			return fmt.Errorf("keep the earlier versions of replaced documents (set TMPDIR to choose where): %w", err)
		}
		u.w = bufio.NewWriterSize(u.file, 1<<20)
	}
	if err := json.NewEncoder(u.w).Encode(rec); err != nil {
		return fmt.Errorf("keep the earlier version of %q in %s: %w", id, u.file.Name(), err)
	}
	u.saved++
	return nil
}

// rollback removes the added documents and puts back the replaced ones.
func (u *undo) rollback(ctx context.Context) error {
	if len(u.added) > 0 {
		if _, err := u.s.Delete(ctx, u.collection, u.added...); err != nil {
			return fmt.Errorf("remove the %d added documents: %w", len(u.added), err)
		}
	}
	if u.file != nil {
		if err := u.w.Flush(); err != nil {
			return fmt.Errorf("read back the earlier versions: %w", err)
		}
		if _, err := u.file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read back the earlier versions: %w", err)
		}
		dec := json.NewDecoder(bufio.NewReaderSize(u.file, 1<<20))
		for {
			var rec Record
			err := dec.Decode(&rec)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read back the earlier versions: %w", err)
			}
			if err := u.s.Put(ctx, u.collection, rec.Document, passages(&rec, u.dims)); err != nil {
				return fmt.Errorf("put back the earlier version of %q: %w", rec.Document.ID, err)
			}
		}
	}
	return u.s.Flush(ctx)
}

// close removes the temporary file.
func (u *undo) close() {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}
