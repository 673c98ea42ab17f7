// Package glovemodel turns static word vectors into a GGUF "bert" model that
// Ollama v0.6.5 serves through /api/embed as the (weighted) mean of the
// vectors of the words of a text.
//
// The model has one transformer block whose feed-forward output is zero and
// whose query and key weights are zero; all position and token-type
// embeddings are zero. By default every LayerNorm has weight 1 and bias 0,
// and the attention's value and output weights are zero, so what Ollama
// returns is, up to its final L2 normalisation,
//
//	mean over tokens t of LayerNorm(v_t)
//
// where LayerNorm(v) = (v - mean(v)) / std(v) per token: every word counts the
// same. With [Options.SIF] or [Options.RemoveCommon] the
// model is linear ([Model.Linear]): LayerNorm's epsilon is so large that it
// only centres each vector, the rows of token_embd carry per-word weights that survive to the mean, and the attention (uniform, as queries and keys are zero) subtracts the
// mean's component along a common direction from every token. [Model.Embed]
// computes what Ollama returns. In every case a zero vector stays zero, so
// [PAD], [UNK], [CLS], [SEP], [MASK] and any word chosen with
// [Options.ZeroTop], [Options.ZeroWords] or [Options.ZeroPunct] drop out of
// the sum (they still count in the mean's denominator, which the final
// normalisation cancels; with RemoveCommon they get the same subtraction as
// every other token, which is what removes the component from the mean).
//
// The vocabulary follows BERT's layout: [PAD] at id 0, [unused0]..[unused98]
// at ids 1-99, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103 (all control
// tokens), then one normal token "▁word" per word, most frequent first, then
// the optional continuation pieces ([Options.Pieces]). See tokenize.go for
// how llama.cpp's tokenizer finds those tokens.
package glovemodel

import (
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/semsearch/semsearch/internal/gguf"
	"github.com/semsearch/semsearch/internal/wordvec"
)

// Ids of the BERT control tokens.
const (
	IDPad  = 0
	IDUnk  = 100
	IDCls  = 101
	IDSep  = 102
	IDMask = 103
	// FirstWordID is the id of the most frequent word.
	FirstWordID = 104
)

// Token types, as llama.cpp numbers them.
const (
	TokenTypeNormal  = 1
	TokenTypeControl = 3
)

// Context lengths.
const (
	// DefaultContextLength is used when [Options.ContextLength] is 0.
	DefaultContextLength = 8192
	// MinContextLength is the smallest context length accepted: Ollama runs
	// every model with num_ctx 2048 unless told otherwise, truncates inputs
	// to that many tokens, and an input longer than the model's
	// context_length aborts the runner.
	MinContextLength = 2048
	// MaxContextLength bounds the all-zero position table (n_ctx rows).
	MaxContextLength = 1 << 17
)

// Fixed hyper-parameters of the pass-through network.
const (
	blockCount   = 1
	headCount    = 1
	layerNormEps = 1e-12
	// LinearEps is the LayerNorm epsilon of a linear model: far above the
	// variance of any stored row (at most 1), so LayerNorm(x) = (x -
	// mean(x)) · w / sqrt(var(x) + eps) divides by sqrt(eps) up to 0.005%,
	// which the LayerNorm weight sqrt(eps) cancels.
	LinearEps      = 1e4
	poolingMean    = 1
	tokenTypeCount = 2
	fileTypeF32    = 0 // LLAMA_FTYPE_ALL_F32
	fileTypeF16    = 1 // LLAMA_FTYPE_MOSTLY_F16
)

// Options control [Build]. The zero value builds an F32 model of every
// usable word with an 8192-token context and zeroes nothing.
type Options struct {
	// Name is stored as general.name; "" means "glove".
	Name string
	// VocabSize keeps at most this many word tokens, the most frequent
	// usable ones; 0 keeps all.
	VocabSize int
	// F16 stores the matrices as F16, halving the file. 1-D tensors and
	// token_types.weight stay F32, as llama.cpp's converters keep them.
	F16 bool
	// ContextLength is bert.context_length and the number of rows of
	// position_embd.weight; 0 means [DefaultContextLength]. Values below
	// [MinContextLength] are refused.
	ContextLength int
	// ZeroTop gives the ZeroTop most frequent word tokens zero vectors.
	// As LayerNorm erases per-word weights, dropping frequent words is the
	// only weighting this model can do, and it matters: on SciFact (809
	// train queries, with ZeroPunct) nDCG@10 went from 0.17 with nothing
	// zeroed to 0.27 with ZeroTop 300, 0.31 with 2000 and 0.32 with 5000.
	// But the GloVe corpus is news: with 2000, "who was fired from the
	// bureau" and "the team won the championship" consist of zeroed words
	// only, so such a query embeds as an all-zero vector (Ollama returns
	// zeros; its cosine with anything is undefined). 100 to 1000 kept those
	// sanity queries working and ranked as expected.
	ZeroTop int
	// ZeroWords lists words (stopwords) to give zero vectors. They are
	// normalised as the tokenizer normalises text; entries the tokenizer
	// would split (such as "don't") or that are not in the vocabulary are
	// counted in [Stats.UnusedZeroWords].
	ZeroWords []string
	// ZeroPunct gives zero vectors to tokens made only of punctuation
	// (\p{P}: , . " ( ) - ' ! ? and so on). Symbols such as $ % + keep
	// their vectors.
	ZeroPunct bool
	// SIF, when positive, weights each word by smooth inverse frequency,
	// SIF / (SIF + p(w)) (Arora et al., 2017), where p(w) is the word's
	// probability estimated from its frequency rank r in the input by
	// Zipf's law, 1 / (r·H) with H the harmonic number of the input's size.
	// Typical values are 1e-3 to 1e-5; smaller values weigh frequent words
	// down harder. It makes the model linear (see [Model.Linear]).
	SIF float64
	// RemoveCommon subtracts from every text's embedding its component
	// along the common direction of all texts (SIF's second step), which
	// the model estimates as the Zipf-weighted mean of its word rows. It is
	// done inside the transformer block: with zero query and key weights
	// attention is uniform, so the attention output is the mean of the
	// value projections, and value and output weights whose product is
	// -u·uᵀ subtract the mean's component along u from every token. It
	// makes the model linear (see [Model.Linear]).
	RemoveCommon bool
	// Pieces also adds each word token of at least MinPieceLen characters
	// as a WordPiece continuation piece (the word without the ▁ prefix,
	// same vector), so that unknown compounds of known words are not
	// [UNK]. See the notes in tokenize.go for what it buys and costs.
	Pieces bool
}

// MinPieceLen is the shortest word, in characters, added as a continuation
// piece by [Options.Pieces].
const MinPieceLen = 3

// Validate reports whether the options can build a model that Ollama serves
// safely. Build calls it; a command line can call it before reading input.
func (o Options) Validate() error {
	ctx := o.ContextLength
	if ctx == 0 {
		ctx = DefaultContextLength
	}
	if ctx < MinContextLength {
		return fmt.Errorf("context length %d is below %d: Ollama runs models with a %d-token context by default, and an input longer than the model's context length makes the runner abort (GGML_ASSERT in get_rows), so /api/embed would answer HTTP 500 for long inputs", ctx, MinContextLength, MinContextLength)
	}
	if ctx > MaxContextLength {
		return fmt.Errorf("context length %d is above %d", ctx, MaxContextLength)
	}
	if o.VocabSize < 0 {
		return fmt.Errorf("vocabulary size %d is negative", o.VocabSize)
	}
	if o.ZeroTop < 0 {
		return fmt.Errorf("zero-top %d is negative", o.ZeroTop)
	}
	if o.SIF < 0 || o.SIF >= 1 || o.SIF != o.SIF {
		return fmt.Errorf("sif weight parameter %g is out of range (want 0 to switch it off, or a small positive value such as 1e-4)", o.SIF)
	}
	return nil
}

// Stats describes a built model.
type Stats struct {
	// Words is the number of word tokens; the vocabulary also holds 104
	// control tokens and Pieces continuation pieces.
	Words int
	// Dim is the embedding length.
	Dim int
	// Zeroed is the number of word tokens with zero vectors.
	Zeroed int
	// Unreachable counts input words skipped because the tokenizer can
	// never look them up ("n't", "e-mail", words with spaces).
	Unreachable int
	// Merged counts input words skipped because they normalise to a more
	// frequent word ("Café" after "cafe").
	Merged int
	// UnusedZeroWords counts [Options.ZeroWords] entries that matched no
	// word token.
	UnusedZeroWords int
	// Pieces is the number of continuation pieces ([Options.Pieces]); they
	// follow the word tokens.
	Pieces int
}

// Model is a built embedding model, ready to be written as GGUF.
type Model struct {
	// Name is general.name.
	Name string
	// Dim is the embedding length.
	Dim int
	// ContextLength is bert.context_length.
	ContextLength int
	// Type is the storage type of the matrices.
	Type gguf.TensorType
	// Tokens holds the token texts by id.
	Tokens []string
	// TokenTypes holds the token types by id.
	TokenTypes []int32
	// Embeddings is token_embd.weight: row id (Dim values) per token.
	Embeddings []float32
	// Linear says that every LayerNorm is made nearly linear (epsilon
	// [LinearEps] and weight sqrt(LinearEps)), so per-word weights folded
	// into the rows of Embeddings survive to the mean. Each word row is
	// then stored already centred and scaled to unit standard deviation
	// (what LayerNorm would have done to it) times its weight.
	Linear bool
	// Common is the unit direction removed from every embedding
	// ([Options.RemoveCommon]); nil when nothing is removed.
	Common []float32
	// Stats describes how the model was built.
	Stats Stats

	ids         map[string]int // token text -> id
	maxTokenLen int            // longest token in bytes
	foldState                  // Embed's cache
}

// Build builds a model from word vectors, most frequent first. It does not
// keep v.
func Build(v *wordvec.Vectors, opt Options) (*Model, error) {
	if v == nil || v.Len() == 0 || v.Dim < 1 {
		return nil, fmt.Errorf("build model: %w", wordvec.ErrEmpty)
	}
	if len(v.Data) != v.Len()*v.Dim {
		return nil, fmt.Errorf("build model: %d words of dimension %d need %d values, have %d", v.Len(), v.Dim, v.Len()*v.Dim, len(v.Data))
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	ctx := opt.ContextLength
	if ctx == 0 {
		ctx = DefaultContextLength
	}
	m := &Model{
		Name:          opt.Name,
		Dim:           v.Dim,
		ContextLength: ctx,
		Type:          gguf.F32,
		Stats:         Stats{Dim: v.Dim},
	}
	if m.Name == "" {
		m.Name = "glove"
	}
	if opt.F16 {
		m.Type = gguf.F16
	}
	m.addControlTokens()

	// Pick the words: the tokenizer's normal form of each, first
	// (most frequent) occurrence wins.
	var rows []int // input row of each word token
	for i, w := range v.Words {
		if opt.VocabSize > 0 && len(rows) == opt.VocabSize {
			break
		}
		nw, ok := normalizeWord(w)
		if !ok {
			m.Stats.Unreachable++
			continue
		}
		tok := WordPrefix + nw
		if _, dup := m.ids[tok]; dup {
			m.Stats.Merged++
			continue
		}
		m.addToken(tok, TokenTypeNormal)
		rows = append(rows, i)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("build model: none of the %d words can be produced by the tokenizer", v.Len())
	}
	m.Stats.Words = len(rows)

	zero := m.zeroSet(opt, len(rows))
	if opt.Pieces {
		// A piece copies its word's final vector, zero or not.
		for k := range len(rows) {
			piece := m.Tokens[FirstWordID+k][len(WordPrefix):]
			if _, dup := m.ids[piece]; dup || utf8.RuneCountInString(piece) < MinPieceLen {
				continue
			}
			m.addToken(piece, TokenTypeNormal)
			rows = append(rows, rows[k])
			if zero[FirstWordID+k] {
				zero[len(m.Tokens)-1] = true
			}
			m.Stats.Pieces++
		}
	}
	m.Linear = opt.SIF > 0 || opt.RemoveCommon
	var weight func(row int) float64
	if opt.SIF > 0 {
		h := harmonic(v.Len())
		weight = func(row int) float64 {
			p := 1 / (float64(row+1) * h)
			return opt.SIF / (opt.SIF + p)
		}
	}
	m.Embeddings = make([]float32, len(m.Tokens)*m.Dim) // control rows stay zero
	for k, row := range rows {
		id := FirstWordID + k
		if zero[id] {
			if k < m.Stats.Words {
				m.Stats.Zeroed++
			}
			continue
		}
		dst := m.Embeddings[id*m.Dim : (id+1)*m.Dim]
		copy(dst, v.Row(row))
		if m.Linear {
			w := 1.0
			if weight != nil {
				w = weight(row)
			}
			standardize(dst, w)
		}
	}
	if opt.RemoveCommon {
		m.Common = m.commonDirection(rows[:m.Stats.Words], v.Len())
	}
	return m, nil
}

// harmonic returns the n-th harmonic number, about ln n + 0.5772.
func harmonic(n int) float64 {
	var h float64
	for i := n; i >= 1; i-- {
		h += 1 / float64(i)
	}
	return h
}

// standardize centres x, scales it to unit standard deviation and
// multiplies it by w: what LayerNorm does to a row, times a weight. A
// constant row becomes zero.
func standardize(x []float32, w float64) {
	var mean, sq float64
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	std := math.Sqrt(sq / float64(len(x)))
	for i, v := range x {
		if std == 0 {
			x[i] = 0
			continue
		}
		x[i] = float32((float64(v) - mean) / std * w)
	}
}

// commonDirection estimates the direction all texts share: the mean of the
// word rows weighted by the words' Zipf probabilities, centred and scaled to
// unit length. rows maps word tokens to input rows (frequency ranks).
func (m *Model) commonDirection(rows []int, inputWords int) []float32 {
	h := harmonic(inputWords)
	sum := make([]float64, m.Dim)
	for k, row := range rows {
		p := 1 / (float64(row+1) * h)
		id := FirstWordID + k
		for i, x := range m.Embeddings[id*m.Dim : (id+1)*m.Dim] {
			sum[i] += p * float64(x)
		}
	}
	var mean float64
	for _, x := range sum {
		mean += x
	}
	mean /= float64(m.Dim)
	for i := range sum {
		sum[i] -= mean
	}
	return unit(sum)
}

// addControlTokens lays out ids 0-103 as BERT does.
func (m *Model) addControlTokens() {
	m.ids = make(map[string]int)
	for id := 0; id < FirstWordID; id++ {
		var text string
		switch id {
		case IDPad:
			text = "[PAD]"
		case IDUnk:
			text = "[UNK]"
		case IDCls:
			text = "[CLS]"
		case IDSep:
			text = "[SEP]"
		case IDMask:
			text = "[MASK]"
		default:
			text = fmt.Sprintf("[unused%d]", id-1)
		}
		m.addToken(text, TokenTypeControl)
	}
}

func (m *Model) addToken(text string, typ int32) {
	m.ids[text] = len(m.Tokens)
	m.Tokens = append(m.Tokens, text)
	m.TokenTypes = append(m.TokenTypes, typ)
	m.maxTokenLen = max(m.maxTokenLen, len(text))
}

// zeroSet returns the ids of the word tokens that get zero vectors.
func (m *Model) zeroSet(opt Options, words int) map[int]bool {
	zero := make(map[int]bool)
	for k := range min(opt.ZeroTop, words) {
		zero[FirstWordID+k] = true
	}
	for _, w := range opt.ZeroWords {
		nw, ok := normalizeWord(w)
		id, found := m.ids[WordPrefix+nw]
		if !ok || !found {
			m.Stats.UnusedZeroWords++
			continue
		}
		zero[id] = true
	}
	if opt.ZeroPunct {
		for id := FirstWordID; id < len(m.Tokens); id++ {
			if isPunctuation(m.Tokens[id][len(WordPrefix):]) {
				zero[id] = true
			}
		}
	}
	return zero
}

// GGUF returns the model as a GGUF file of architecture "bert". The file
// shares the model's slices.
func (m *Model) GGUF() *gguf.File {
	d := uint64(m.Dim)
	nFF := d // width of the (all-zero) feed-forward layer
	eps, lnWeight := float32(layerNormEps), float32(1)
	if m.Linear {
		eps, lnWeight = LinearEps, float32(math.Sqrt(LinearEps))
	}
	fileType := uint32(fileTypeF32)
	if m.Type == gguf.F16 {
		fileType = fileTypeF16
	}
	f := &gguf.File{KV: []gguf.KV{
		{Key: "general.architecture", Value: gguf.String("bert")},
		{Key: "general.name", Value: gguf.String(m.Name)},
		{Key: "general.description", Value: gguf.String("Mean of LayerNorm-ed static word vectors, packed as a pass-through bert model by glove2gguf")},
		{Key: "general.file_type", Value: gguf.Uint32(fileType)},
		{Key: "bert.context_length", Value: gguf.Uint32(uint32(m.ContextLength))},
		{Key: "bert.embedding_length", Value: gguf.Uint32(uint32(d))},
		{Key: "bert.feed_forward_length", Value: gguf.Uint32(uint32(nFF))},
		{Key: "bert.block_count", Value: gguf.Uint32(blockCount)},
		{Key: "bert.attention.head_count", Value: gguf.Uint32(headCount)},
		{Key: "bert.attention.layer_norm_epsilon", Value: gguf.Float32(eps)},
		{Key: "bert.attention.causal", Value: gguf.Bool(false)},
		{Key: "bert.pooling_type", Value: gguf.Uint32(poolingMean)},
		{Key: "tokenizer.ggml.model", Value: gguf.String("bert")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Strings(m.Tokens)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Int32s(m.TokenTypes)},
		{Key: "tokenizer.ggml.token_type_count", Value: gguf.Uint32(tokenTypeCount)},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(IDCls)},
		{Key: "tokenizer.ggml.cls_token_id", Value: gguf.Uint32(IDCls)},
		{Key: "tokenizer.ggml.seperator_token_id", Value: gguf.Uint32(IDSep)}, // sic: llama.cpp's spelling
		{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Uint32(IDUnk)},
		{Key: "tokenizer.ggml.padding_token_id", Value: gguf.Uint32(IDPad)},
		{Key: "tokenizer.ggml.mask_token_id", Value: gguf.Uint32(IDMask)},
	}}

	matrix := func(name string, shape []uint64, data []float32) gguf.Tensor {
		return gguf.Tensor{Name: name, Type: m.Type, Shape: shape, Data: data}
	}
	vector := func(name string, n uint64, value float32) gguf.Tensor {
		return gguf.Tensor{Name: name, Type: gguf.F32, Shape: []uint64{n}, Data: filled(n, value)}
	}
	zeros := func(rows, cols uint64) []float32 { return make([]float32, rows*cols) }

	f.Tensors = []gguf.Tensor{
		matrix("token_embd.weight", []uint64{d, uint64(len(m.Tokens))}, m.Embeddings),
		// token_types stays F32 even in an F16 model: llama.cpp adds its
		// row 0 to the F32 input embeddings with ggml_add, which aborts
		// on an F16 operand ("ggml-cpu.c: fatal error" in
		// ggml_compute_forward_add).
		{Name: "token_types.weight", Type: gguf.F32, Shape: []uint64{d, tokenTypeCount}, Data: zeros(d, tokenTypeCount)},
		matrix("position_embd.weight", []uint64{d, uint64(m.ContextLength)}, zeros(d, uint64(m.ContextLength))),
		vector("token_embd_norm.weight", d, lnWeight),
		vector("token_embd_norm.bias", d, 0),
	}
	// Value weights I and output weights -u·uᵀ: with uniform attention every
	// token gets minus the component of the mean along u added.
	value, output := zeros(d, d), zeros(d, d)
	if m.Common != nil {
		for i := range d {
			value[i*d+i] = 1
			for j := range d {
				output[i*d+j] = -m.Common[i] * m.Common[j]
			}
		}
	}
	for b := range blockCount {
		p := fmt.Sprintf("blk.%d.", b)
		f.Tensors = append(f.Tensors,
			matrix(p+"attn_q.weight", []uint64{d, d}, zeros(d, d)),
			vector(p+"attn_q.bias", d, 0),
			matrix(p+"attn_k.weight", []uint64{d, d}, zeros(d, d)),
			vector(p+"attn_k.bias", d, 0),
			matrix(p+"attn_v.weight", []uint64{d, d}, value),
			vector(p+"attn_v.bias", d, 0),
			matrix(p+"attn_output.weight", []uint64{d, d}, output),
			vector(p+"attn_output.bias", d, 0),
			vector(p+"attn_output_norm.weight", d, lnWeight),
			vector(p+"attn_output_norm.bias", d, 0),
			matrix(p+"ffn_up.weight", []uint64{d, nFF}, zeros(d, nFF)),
			vector(p+"ffn_up.bias", nFF, 0),
			matrix(p+"ffn_down.weight", []uint64{nFF, d}, zeros(nFF, d)),
			vector(p+"ffn_down.bias", d, 0),
			vector(p+"layer_output_norm.weight", d, lnWeight),
			vector(p+"layer_output_norm.bias", d, 0),
		)
	}
	return f
}

// WriteTo writes the model as GGUF v3 to w.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	return m.GGUF().WriteTo(w)
}

func filled(n uint64, x float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = x
	}
	return s
}
