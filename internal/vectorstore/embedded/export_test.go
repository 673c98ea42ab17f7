package embedded

import (
	"context"
	"maps"
	"slices"
)

// compactNow compacts a collection and waits for it (tests, benchmarks).
func (s *Store) compactNow(name string) error {
	c, unlock, err := s.use(context.Background(), name, true)
	if err != nil {
		return err
	}
	if c.compacting {
		unlock()
		return nil
	}
	c.compacting = true
	unlock()
	return s.compact(name, c)
}

// loaded lists the loaded collections.
func (s *Store) loaded() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.cols))
}
