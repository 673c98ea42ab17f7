//go:build !unix

package bm25

// heldByWriter cannot tell on this system; bleve's own lock still applies.
func heldByWriter(string, bool) bool { return false }
