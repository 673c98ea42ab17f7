package weaviatestore

import (
	"context"
	"fmt"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// RecordSettings replaces a collection's recorded settings (all but its
// dimension, which its vectors fix) in its metadata object. The engine uses
// it to complete what a collection made by an older semsearch did not
// record (how it was embedded).
func (s *Store) RecordSettings(ctx context.Context, name string, set vectorstore.Settings) error {
	m, err := s.readMeta(ctx, name)
	if err != nil {
		return err
	}
	set.Dimensions = m.Settings.Dimensions
	m.Settings = set
	if err := s.writeMeta(ctx, m); err != nil {
		return fmt.Errorf("record the settings of collection %q: %w", name, err)
	}
	return nil
}
