// Package chunk splits article text into passages for embedding. It is pure:
// no I/O, no dependencies beyond the standard library and article.Span.
package chunk

// Unit says how passage size is measured.
type Unit string

const (
	// Words counts whitespace-separated words.
	Words Unit = "words"
	// Tokens estimates model tokens the way a BERT-style pre-tokenizer splits
	// text: every run of letters/digits and every punctuation mark counts one.
	Tokens Unit = "tokens"
)

// Options control passage size. Size and Overlap are in Unit.
type Options struct {
	Unit    Unit
	Size    int // target passage size
	Overlap int // how much of the previous passage a passage repeats, in whole sentences up to this size
	Max     int // hard limit: a passage never exceeds this; longer sentences are split at word boundaries
}

// Chunk is one passage: Text[Start:End] of the article it came from.
type Chunk struct {
	Index     int `json:"chunk"`      // 0-based position in the article
	Start     int `json:"start"`      // byte offset into the article text, inclusive
	End       int `json:"end"`        // byte offset, exclusive
	LineStart int `json:"line_start"` // 1-based line of Start
	LineEnd   int `json:"line_end"`   // 1-based line of the last byte of the passage
	Size      int `json:"size"`       // passage size in Options.Unit
}
