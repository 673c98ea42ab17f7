package chunk

import "fmt"

// The defaults live here, in one place, so that evals can tune them. See
// [DefaultOptions] for why they are what they are.
const (
	defaultUnit    = Words
	defaultSize    = 120
	defaultOverlap = 30
	defaultMax     = 200
	// defaultMaxTokens keeps a passage within a 512-token context (the
	// smallest of the common embedding models: all-minilm,
	// mxbai-embed-large, bge v1.5, snowflake-arctic-embed v1), with room
	// for a title, a prefix and the estimate's error.
	defaultMaxTokens = 400
)

// DefaultOptions returns the options semsearch uses for news articles:
// Unit [Words], Size 120, Overlap 30, Max 200, MaxTokens 400. Evals tune them; they are the
// constants at the top of options.go.
//
// Size 120 words is about six sentences or two news paragraphs (BBC News
// averages 19.5 words a sentence and 67 a paragraph): enough context for a
// passage to make sense as a search result on its own, short enough that
// one topic dominates its embedding. That matters most for the GloVe-mean
// embedder, which has no length limit but averages word vectors, so every
// extra sentence dilutes the passage. It suits nomic-embed-text too, which
// was trained on passages of about 512 tokens; its model card's 8192-token
// context does not apply under Ollama, which runs it with 2,048 (its
// num_ctx), still far more than needed.
//
// Overlap 30 words is one or two whole sentences, so a fact stated across a
// passage break is still found together with the sentence that leads to it.
// [Split] only repeats sentences when a passage ends inside a paragraph.
//
// Max 200 words leaves [Split] room to end a passage at a paragraph end, or
// keep a long sentence whole, instead of cutting at exactly Size. On BBC
// News the defaults give passages of 108 words at the median, 142 at the
// 90th percentile and 172 at most. 200 words is about 260 WordPiece tokens,
// fine for GloVe and nomic-embed-text.
//
// all-minilm reads at most 256 WordPiece tokens, [CLS] and [SEP] included,
// and drops the rest, so 200 words can overflow it. For all-minilm use Unit
// [Tokens] with Max at most 200, for example Size 150, Overlap 40, Max 200:
// the Tokens estimate (1.19 a word on BBC News) runs roughly 10 to 20%
// under WordPiece, so 200 estimated tokens are 220 to 240 real ones plus
// [CLS] and [SEP], under 256.
func DefaultOptions() Options {
	return Options{
		Unit:      defaultUnit,
		Size:      defaultSize,
		Overlap:   defaultOverlap,
		Max:       defaultMax,
		MaxTokens: defaultMaxTokens,
	}
}

// Validate reports whether o can be used by [Split]: Unit must be [Words] or
// [Tokens], 0 <= Overlap < Size <= Max, and MaxTokens not negative.
func (o Options) Validate() error {
	switch {
	case o.Unit != Words && o.Unit != Tokens:
		return fmt.Errorf("chunk options: unknown unit %q (want %q or %q)", o.Unit, Words, Tokens)
	case o.Size <= 0:
		return fmt.Errorf("chunk options: size %d must be positive", o.Size)
	case o.Overlap < 0:
		return fmt.Errorf("chunk options: overlap %d must not be negative", o.Overlap)
	case o.Overlap >= o.Size:
		return fmt.Errorf("chunk options: overlap %d must be less than size %d", o.Overlap, o.Size)
	case o.Max < o.Size:
		return fmt.Errorf("chunk options: max %d must be at least size %d", o.Max, o.Size)
	case o.MaxTokens < 0:
		return fmt.Errorf("chunk options: token cap %d must not be negative", o.MaxTokens)
	}
	return nil
}
