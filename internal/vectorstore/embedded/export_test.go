package embedded

// compactNow compacts a collection and waits for it (tests, benchmarks).
func (s *Store) compactNow(name string) error {
	s.mu.Lock()
	c, err := s.get(name)
	if err != nil || c.compacting {
		s.mu.Unlock()
		return err
	}
	c.compacting = true
	s.mu.Unlock()
	return s.compact(name, c)
}
