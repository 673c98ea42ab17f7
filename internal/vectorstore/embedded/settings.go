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
