package bm25

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/blevesearch/bleve/v2"
	bolterrors "go.etcd.io/bbolt/errors"
)

// A write that bleve fails part way can leave its in-memory segments
// half-made: on a full disk a failed batch (ENOSPC while persisting a
// segment) is followed by a panic ("assignment to entry in nil map" in
// zapx's inverted index cache) in every later read. Its files still hold
// the last batch that succeeded, so the index is marked broken and read
// again from them before its next use (see [Index.acquire]), and a panic
// inside bleve becomes an error instead of ending the process.

// recoverBleve is deferred by every exported method that calls into bleve.
// A panic becomes an error matching [ErrDamaged] and marks the index for
// reopening; an error that says the disk is full but lost the errno on the
// way (bleve formats it with %v) is made to match syscall.ENOSPC, so that
// callers can tell a full disk from damage.
func (ix *Index) recoverBleve(op string, err *error) {
	if r := recover(); r != nil {
		ix.broken.Store(true)
		if e, ok := r.(error); ok {
			*err = fmt.Errorf("bm25 %s: %w: bleve failed: %w", op, ErrDamaged, e)
		} else {
			*err = fmt.Errorf("bm25 %s: %w: bleve failed: %v", op, ErrDamaged, r)
		}
	}
	*err = withSpace(*err)
}

// withSpace returns err matching syscall.ENOSPC when its text says the disk
// is full; err unchanged otherwise.
func withSpace(err error) error {
	if err == nil || errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		return err
	}
	return &spaceError{err}
}

// spaceError is an error whose text says the disk is full: it matches both
// the error and syscall.ENOSPC.
type spaceError struct{ err error }

func (e *spaceError) Error() string   { return e.err.Error() }
func (e *spaceError) Unwrap() []error { return []error{e.err, syscall.ENOSPC} }

// reopen replaces a broken bleve index by the index its files hold. A
// failure leaves it broken, to be tried again by the next call.
func (ix *Index) reopen() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed || !ix.broken.Load() {
		return nil
	}
	if ix.bix != nil {
		// What failed is its memory; its files are what count.
		_ = closeBleve(ix.bix)
		ix.bix = nil
	}
	if err := verifyFiles(ix.dir); err != nil {
		return fmt.Errorf("reopen bm25 index %s after a failed write: %w: %w", ix.dir, ErrDamaged, err)
	}
	bix, err := openBleve(ix.dir, ix.cfg)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("reopen bm25 index %s after a failed write: %w", ix.dir, ErrLocked)
	}
	if err != nil {
		return withSpace(fmt.Errorf("reopen bm25 index %s after a failed write: %w: %w", ix.dir, ErrDamaged, err))
	}
	ix.bix = bix
	ix.broken.Store(false)
	return nil
}

// closeBleve closes bix, turning a panic inside bleve into an error.
func closeBleve(bix bleve.Index) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bleve failed closing it: %v", r)
		}
	}()
	return bix.Close()
}
