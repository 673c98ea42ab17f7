package main

import (
	"os"

	"github.com/urfave/cli/v2"
)

// The flags, environment variables and eval sweep keys of experiments that
// were measured, did not help, and were removed. They stay known so that a
// script or shell profile that still sets one is told, in one line, what
// happened to it instead of "unknown flag"; the measurements and the commit
// that reproduces them are in docs/research/paraphrase.md.

// removedIn is when the experiments left the product.
const removedIn = "2026-12"

// retired is one removed flag and the environment variable that set it.
type retired struct {
	flag, env string
	why       string
}

const (
	whyExpand    = "query expansion from word neighbours measured no gain (docs/research/paraphrase.md)"
	whyThesaurus = "WordNet thesaurus expansion measured no gain (docs/research/paraphrase.md)"
)

// retiredFlags are the global flags that were removed.
func retiredFlags() []retired {
	return []retired{
		{"expand", "SEMSEARCH_EXPAND", whyExpand},
		{"word-vectors", "SEMSEARCH_WORD_VECTORS", whyExpand},
		{"thesaurus", "SEMSEARCH_THESAURUS", whyThesaurus},
		{"thesaurus-relations", "", whyThesaurus},
	}
}

// retiredSweeps are the eval --sweep keys that were removed, with why.
func retiredSweeps() map[string]string {
	return map[string]string{
		"expand":     whyExpand,
		"feedback":   "pseudo-relevance feedback measured no gain (docs/research/paraphrase.md)",
		"doc-weight": "document-score mixing measured no gain (docs/research/paraphrase.md)",
	}
}

// removedFlags keeps the retired flags parseable, hidden from help, so that
// [checkRemoved] can say what became of them.
func removedFlags() []cli.Flag {
	var flags []cli.Flag
	for _, r := range retiredFlags() {
		flags = append(flags, &cli.StringFlag{Name: r.flag, Hidden: true})
	}
	return flags
}

// checkRemoved fails, as a usage error, when a retired flag is given or its
// environment variable is set.
func checkRemoved(c *cli.Context) error {
	for _, r := range retiredFlags() {
		if c.IsSet(r.flag) {
			return usagef("--%s was removed in %s: %s", r.flag, removedIn, r.why)
		}
		if v, ok := os.LookupEnv(r.env); ok && r.env != "" && v != "" {
			return usagef("%s was removed in %s: %s; unset it", r.env, removedIn, r.why)
		}
	}
	return nil
}

// removedSweep explains a retired eval --sweep key; nil for any other.
func removedSweep(name string) error {
	if why, ok := retiredSweeps()[name]; ok {
		return usagef("--sweep %s was removed in %s: %s", name, removedIn, why)
	}
	return nil
}
