package vectorstore

import (
	"context"
	"time"
)

// Sources are what a collection was indexed from: the folders and files
// given to `index` with the options that selected their files, and what
// the last run that looked at each file did with it. `sync` and `watch`
// index the same roots again; `sources --files` reports the files. They
// are the collection's, kept with it (the embedded store's snapshot), but
// not exported: they name paths of the machine that indexed them, and a
// sync elsewhere would find them gone and prune everything.
type Sources struct {
	Roots []SourceRoot `json:"roots"`
	Files []FileReport `json:"files,omitempty"`
}

// SourceRoot is one path indexed (a directory walked, or a file), by its
// absolute path, with the options of the run that added it.
type SourceRoot struct {
	Path         string    `json:"path"`
	Include      []string  `json:"include,omitempty"`
	Exclude      []string  `json:"exclude,omitempty"`
	IDPrefix     string    `json:"id_prefix,omitempty"`
	MaxFileBytes int64     `json:"max_file_bytes,omitempty"`
	Added        time.Time `json:"added"`
}

// What the last run that looked at a file did with it: see [FileReport].
const (
	FileIndexed   = "indexed"   // embedded and stored by that run (or moved: Reason says)
	FileUnchanged = "unchanged" // stored before, found the same
	FileSkipped   = "skipped"   // left out on purpose (too large, empty, not text): Reason says why
	FileFailed    = "failed"    // could not be read or parsed, or not stored: Reason says why
)

// FileReport is one file of a collection's sources: its status in the last
// run that looked at it, the articles, passages and pages it holds in the
// collection, and when its stored content was indexed (for unchanged
// files, when it was last embedded).
type FileReport struct {
	Path   string `json:"path"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// IDs are the articles the file holds in the collection: what a
	// sync removes when the file is gone.
	IDs      []string  `json:"ids,omitempty"`
	Articles int       `json:"articles"`
	Passages int       `json:"passages"`
	Pages    int       `json:"pages,omitempty"`
	When     time.Time `json:"when,omitzero"`
}

// SourcesStore is a [Store] that keeps a collection's [Sources] (the
// embedded store does; Weaviate does not).
type SourcesStore interface {
	// RecordSources replaces the sources of an existing collection,
	// durably when it returns.
	RecordSources(ctx context.Context, collection string, s Sources) error
	// Sources returns the sources recorded for a collection, the zero
	// value when none were, or ErrNotFound.
	Sources(ctx context.Context, collection string) (Sources, error)
}
