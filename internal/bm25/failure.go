package bm25

import "fmt"

// A write that fails part way (a full disk) leaves the log cut back to its
// last whole record when it can; when it cannot, or when a batch was logged
// but could not be applied, the index is marked broken and read again from
// its files before its next use: they hold every batch that was
// acknowledged, and a record cut short is dropped as a crash's would be.

// reopen reads a broken index again from its files.
func (ix *Index) reopen() error {
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	return ix.reopenLocked()
}

// reopenLocked is reopen for a caller holding wmu. A failure leaves the
// index broken, to be tried again by the next call.
func (ix *Index) reopenLocked() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return ErrClosed
	}
	if !ix.broken.Load() {
		return nil
	}
	if err := ix.load(); err != nil {
		return fmt.Errorf("reopen bm25 index %s after a failed write: %w", ix.dir, err)
	}
	ix.broken.Store(false)
	return nil
}
