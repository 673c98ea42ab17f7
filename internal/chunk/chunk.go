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
	// More precisely, every maximal run of letters, digits and combining
	// marks counts one token, and every other non-space rune (punctuation,
	// symbols, CJK ideographs, invalid bytes) counts one. WordPiece then cuts
	// rare and long words into several pieces, so this underestimates the
	// real count (by roughly 10 to 20% on news text, more on names, numbers
	// and non-English words), so Options.Max needs a margin below the
	// model's limit.
	Tokens Unit = "tokens"
)

// Options control passage size. Size, Overlap and Max are in Unit. Start
// from [DefaultOptions]; [Options.Validate] says which values are allowed.
type Options struct {
	Unit    Unit
	Size    int // target passage size
	Overlap int // how much of the previous passage a passage repeats, in whole sentences up to this size
	Max     int // hard limit: a passage never exceeds this; longer sentences are split at word boundaries

	// MaxTokens, when positive, caps every passage's [EstimateTokens] too,
	// whatever the Unit: a text dense in tokens (CJK or Thai without
	// spaces, long numbers) is split where its Words count alone would
	// let a passage overflow the model's context. Passages of ordinary
	// English text stay far below it. It is not part of the recorded
	// chunking: it only splits what a model would otherwise cut or refuse.
	MaxTokens int
}

// Chunk is one passage: Text[Start:End] of the article it came from, as
// made by [Split].
type Chunk struct {
	Index     int `json:"chunk"`      // 0-based position in the article
	Start     int `json:"start"`      // byte offset into the article text, inclusive
	End       int `json:"end"`        // byte offset, exclusive
	LineStart int `json:"line_start"` // 1-based line of Start
	LineEnd   int `json:"line_end"`   // 1-based line of the last byte of the passage
	Size      int `json:"size"`       // passage size in Options.Unit
	// HeaderStart and HeaderEnd, when HeaderEnd > 0, are the byte span of
	// the header row of the table whose rows the passage holds without
	// it: context to repeat before the passage (in what is embedded and
	// shown), never part of its own span, so citations stay exact.
	HeaderStart int `json:"header_start,omitempty"`
	HeaderEnd   int `json:"header_end,omitempty"`
}
