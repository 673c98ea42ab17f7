package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// RecordSettings replaces a collection's recorded settings (all but its
// dimension, which its vectors fix) and writes a new snapshot, so that they
// are durable when it returns. The engine uses it to complete what a
// collection made by an older semsearch did not record (how it was
// embedded); the snapshot is then of the current version.
func (s *Store) RecordSettings(ctx context.Context, name string, set vectorstore.Settings) error {
	if err := s.writable(); err != nil {
		return err
	}
	for {
		c, unlock, err := s.use(ctx, name, true)
		if err != nil {
			return err
		}
		set.Dimensions = c.info.Settings.Dimensions
		c.info.Settings = set
		if !c.compacting {
			// A compaction writes the snapshot from c.info, now holding set.
			c.compacting = true
			unlock()
			if err := s.compact(name, c); err != nil {
				return fmt.Errorf("record the settings of collection %q: %w", name, err)
			}
			return nil
		}
		// A compaction under way took its copy of the settings before
		// they changed: wait for it, then write another.
		unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("record the settings of collection %q: %w", name, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// RecordSources implements vectorstore.SourcesStore: it appends the new
// sources to the collection's change log (a compaction puts them in the
// snapshot) and syncs it, so that they are durable when it returns
// without costing a snapshot of the collection.
func (s *Store) RecordSources(ctx context.Context, name string, src vectorstore.Sources) error {
	if err := s.writable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record the sources of collection %q: %w", name, err)
	}
	c, unlock, err := s.use(ctx, name, true)
	if err == nil {
		var rec []byte
		cnt := counts{Counted: true, Documents: len(c.docs), Passages: c.passages}
		ch, ok := sourcesChange{}, false
		if c.sources != nil {
			ch, ok = diffSources(*c.sources, src)
		}
		// A change record when it is the smaller: a watch batch looked at
		// a few files of thousands.
		if ok && 2*(len(ch.Upsert)+len(ch.Remove)) < len(src.Files) {
			ch.Updated, ch.Counts = c.info.Updated, cnt
			rec, err = record(opSourcesChange, ch, nil)
		} else {
			rec, err = record(opSources, sourcesRecord{Sources: src, Updated: c.info.Updated, Counts: cnt}, nil)
		}
		if err == nil {
			err = s.append(name, c, rec)
		}
		if err == nil {
			c.sources = &src
		}
		unlock()
	}
	if err != nil {
		return fmt.Errorf("record the sources of collection %q: %w", name, err)
	}
	return s.Flush(ctx)
}

// Sources implements vectorstore.SourcesStore.
func (s *Store) Sources(ctx context.Context, name string) (vectorstore.Sources, error) {
	if err := ctx.Err(); err != nil {
		return vectorstore.Sources{}, fmt.Errorf("sources of collection %q: %w", name, err)
	}
	c, unlock, err := s.use(ctx, name, false)
	if err != nil {
		return vectorstore.Sources{}, err
	}
	defer unlock()
	if c.sources == nil {
		return vectorstore.Sources{}, nil
	}
	return *c.sources, nil
}
