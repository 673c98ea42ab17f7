package engine

import "strings"

// EvalCollectionPrefix starts the name of every collection semsearch eval
// creates for a dataset's corpus (eval-<dataset>-<hash>).
const EvalCollectionPrefix = "eval-"

// IsEvalCollection reports whether a collection is one eval made: the
// search page's picker and the MCP instructions leave such collections out
// (they are a harness's, not the user's), unless one is the default.
func IsEvalCollection(name string) bool { return strings.HasPrefix(name, EvalCollectionPrefix) }
