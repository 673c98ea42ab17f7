package glovemodel_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/gguf/ggufread"
	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

func tiny(t testing.TB) *wordvec.Vectors {
	t.Helper()
	v, err := wordvec.ReadFile(t.Context(), "testdata/tiny.txt", wordvec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tinyTokens are the word tokens testdata/tiny.txt yields, with the input
// row of each: "e-mail", "n't", "--" and "日本" cannot be produced by the
// tokenizer, "cafe" and "apple" come after "café" and "Apple", which
// normalise to them, and "x<ZWJ>y" is looked up as "xy".
var tinyTokens = []struct {
	text string
	row  int
}{
	{"▁the", 0}, {"▁,", 1}, {"▁.", 2}, {"▁of", 3}, {"▁fbi", 4}, {"▁director", 5},
	{"▁fired", 6}, {"▁cafe", 9}, {"▁apple", 11}, {"▁naive", 13}, {"▁€", 14},
	{"▁!", 15}, {"▁中", 18}, {"▁$", 19}, {"▁2014", 20}, {"▁xy", 21},
	{"▁bureau", 22}, {"▁dismissed", 23}, {"▁president", 24},
}

func controlTokens() []string {
	toks := []string{"[PAD]"}
	for i := range 99 {
		toks = append(toks, fmt.Sprintf("[unused%d]", i))
	}
	return append(toks, "[UNK]", "[CLS]", "[SEP]", "[MASK]")
}

// writeAndParse writes m and parses it back with the independent reader.
func writeAndParse(t *testing.T, m *glovemodel.Model) *ggufread.File {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := ggufread.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBuild(t *testing.T) {
	v := tiny(t)
	for _, f16 := range []bool{false, true} {
		t.Run(fmt.Sprintf("f16=%v", f16), func(t *testing.T) {
			m, err := glovemodel.Build(v, glovemodel.Options{Name: "tiny", F16: f16, ZeroPunct: true})
			if err != nil {
				t.Fatal(err)
			}
			wantStats := glovemodel.Stats{Words: len(tinyTokens), Dim: 4, Zeroed: 3, Unreachable: 4, Merged: 2}
			if m.Stats != wantStats {
				t.Errorf("Stats = %+v, want %+v", m.Stats, wantStats)
			}
			f := writeAndParse(t, m)
			checkModelFile(t, f, v, f16, map[string]bool{"▁,": true, "▁.": true, "▁!": true})
		})
	}
}

// checkModelFile checks every metadata value and every tensor of a model
// built from testdata/tiny.txt with an 8192-token context.
func checkModelFile(t *testing.T, f *ggufread.File, v *wordvec.Vectors, f16 bool, zeroed map[string]bool) {
	t.Helper()
	wantTokens := controlTokens()
	wantTypes := slices.Repeat([]int32{3}, 104)
	for _, tok := range tinyTokens {
		wantTokens = append(wantTokens, tok.text)
		wantTypes = append(wantTypes, 1)
	}
	nVocab := uint64(len(wantTokens))
	fileType := uint32(0)
	if f16 {
		fileType = 1
	}
	wantKV := map[string]any{
		"general.architecture":              "bert",
		"general.name":                      "tiny",
		"general.file_type":                 fileType,
		"bert.context_length":               uint32(8192),
		"bert.embedding_length":             uint32(4),
		"bert.feed_forward_length":          uint32(4),
		"bert.block_count":                  uint32(1),
		"bert.attention.head_count":         uint32(1),
		"bert.attention.layer_norm_epsilon": float32(1e-12),
		"bert.attention.causal":             false,
		"bert.pooling_type":                 uint32(1),
		"tokenizer.ggml.model":              "bert",
		"tokenizer.ggml.tokens":             wantTokens,
		"tokenizer.ggml.token_type":         wantTypes,
		"tokenizer.ggml.token_type_count":   uint32(2),
		"tokenizer.ggml.bos_token_id":       uint32(101),
		"tokenizer.ggml.cls_token_id":       uint32(101),
		"tokenizer.ggml.seperator_token_id": uint32(102),
		"tokenizer.ggml.unknown_token_id":   uint32(100),
		"tokenizer.ggml.padding_token_id":   uint32(0),
		"tokenizer.ggml.mask_token_id":      uint32(103),
	}
	for key, want := range wantKV {
		got, ok := f.Get(key)
		if !ok {
			t.Errorf("missing metadata %s", key)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}
	if _, ok := f.Get("general.description"); !ok {
		t.Error("missing general.description")
	}
	if len(f.KV) != len(wantKV)+1 {
		t.Errorf("%d metadata entries, want %d", len(f.KV), len(wantKV)+1)
	}

	matrix := uint32(0)
	if f16 {
		matrix = 1
	}
	type want struct {
		shape []uint64
		typ   uint32
		fill  float32 // every element, unless check is set
		check func(data []float32)
	}
	const d = 4
	wantTensors := map[string]want{
		"token_embd.weight": {shape: []uint64{d, nVocab}, typ: matrix, check: func(data []float32) {
			for id := range 104 {
				if row := data[id*d : (id+1)*d]; !allEqual(row, 0) {
					t.Errorf("control token %d has vector %v, want zeros", id, row)
				}
			}
			for k, tok := range tinyTokens {
				got := data[(104+k)*d : (105+k)*d]
				wantRow := v.Row(tok.row)
				if zeroed[tok.text] {
					wantRow = make([]float32, d)
				}
				for i := range wantRow {
					if math.Abs(float64(got[i]-wantRow[i])) > math.Abs(float64(wantRow[i]))/2048 || (!f16 && got[i] != wantRow[i]) {
						t.Errorf("%s: vector %v, want %v", tok.text, got, wantRow)
						break
					}
				}
			}
		}},
		"token_types.weight":             {shape: []uint64{d, 2}}, // F32 always: see model.go
		"position_embd.weight":           {shape: []uint64{d, 8192}, typ: matrix},
		"token_embd_norm.weight":         {shape: []uint64{d}, fill: 1},
		"token_embd_norm.bias":           {shape: []uint64{d}},
		"blk.0.attn_q.weight":            {shape: []uint64{d, d}, typ: matrix},
		"blk.0.attn_q.bias":              {shape: []uint64{d}},
		"blk.0.attn_k.weight":            {shape: []uint64{d, d}, typ: matrix},
		"blk.0.attn_k.bias":              {shape: []uint64{d}},
		"blk.0.attn_v.weight":            {shape: []uint64{d, d}, typ: matrix},
		"blk.0.attn_v.bias":              {shape: []uint64{d}},
		"blk.0.attn_output.weight":       {shape: []uint64{d, d}, typ: matrix},
		"blk.0.attn_output.bias":         {shape: []uint64{d}},
		"blk.0.attn_output_norm.weight":  {shape: []uint64{d}, fill: 1},
		"blk.0.attn_output_norm.bias":    {shape: []uint64{d}},
		"blk.0.ffn_up.weight":            {shape: []uint64{d, d}, typ: matrix},
		"blk.0.ffn_up.bias":              {shape: []uint64{d}},
		"blk.0.ffn_down.weight":          {shape: []uint64{d, d}, typ: matrix},
		"blk.0.ffn_down.bias":            {shape: []uint64{d}},
		"blk.0.layer_output_norm.weight": {shape: []uint64{d}, fill: 1},
		"blk.0.layer_output_norm.bias":   {shape: []uint64{d}},
	}
	if len(f.Tensors) != len(wantTensors) {
		t.Errorf("%d tensors, want %d", len(f.Tensors), len(wantTensors))
	}
	for _, ti := range f.Tensors {
		w, ok := wantTensors[ti.Name]
		if !ok {
			t.Errorf("unexpected tensor %s", ti.Name)
			continue
		}
		if !reflect.DeepEqual(ti.Shape, w.shape) || ti.Type != w.typ {
			t.Errorf("%s: shape %v type %d, want %v type %d", ti.Name, ti.Shape, ti.Type, w.shape, w.typ)
		}
		if ti.Offset%f.Alignment != 0 {
			t.Errorf("%s: offset %d not aligned to %d", ti.Name, ti.Offset, f.Alignment)
		}
		data, err := f.Float32s(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if w.check != nil {
			w.check(data)
		} else if !allEqual(data, w.fill) {
			t.Errorf("%s: not all %v", ti.Name, w.fill)
		}
	}
}

func allEqual(xs []float32, x float32) bool {
	for _, y := range xs {
		if y != x {
			return false
		}
	}
	return true
}

func TestBuild_options(t *testing.T) {
	v := tiny(t)
	stop, err := os.ReadFile("testdata/stopwords.txt")
	if err != nil {
		t.Fatal(err)
	}
	stopwords, err := glovemodel.ReadWordList(bytes.NewReader(stop))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		opt        glovemodel.Options
		words      int
		zeroed     []string
		unusedStop int
		ctx        int
	}{
		{"defaults", glovemodel.Options{}, 19, nil, 0, 8192},
		{"vocabulary counts usable words", glovemodel.Options{VocabSize: 8}, 8, nil, 0, 8192},
		{"zero top", glovemodel.Options{ZeroTop: 2}, 19, []string{"▁the", "▁,"}, 0, 8192},
		{"zero top beyond vocabulary", glovemodel.Options{VocabSize: 3, ZeroTop: 10}, 3, []string{"▁the", "▁,", "▁."}, 0, 8192},
		{"stopwords", glovemodel.Options{ZeroWords: stopwords}, 19, []string{"▁the", "▁of"}, 3, 8192},
		{"punctuation", glovemodel.Options{ZeroPunct: true}, 19, []string{"▁,", "▁.", "▁!"}, 0, 8192},
		{"all combined", glovemodel.Options{ZeroTop: 1, ZeroWords: []string{"The", "Naïve"}, ZeroPunct: true}, 19, []string{"▁the", "▁,", "▁.", "▁!", "▁naive"}, 0, 8192},
		{"context length", glovemodel.Options{ContextLength: 2048}, 19, nil, 0, 2048},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := glovemodel.Build(v, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if m.Stats.Words != tt.words || len(m.Tokens) != 104+tt.words {
				t.Errorf("%d words, %d tokens; want %d words", m.Stats.Words, len(m.Tokens), tt.words)
			}
			if m.Stats.Zeroed != len(tt.zeroed) {
				t.Errorf("Zeroed = %d, want %d", m.Stats.Zeroed, len(tt.zeroed))
			}
			if m.Stats.UnusedZeroWords != tt.unusedStop {
				t.Errorf("UnusedZeroWords = %d, want %d", m.Stats.UnusedZeroWords, tt.unusedStop)
			}
			if m.Name != "glove" || m.ContextLength != tt.ctx {
				t.Errorf("name %q, context %d", m.Name, m.ContextLength)
			}
			for id := 104; id < len(m.Tokens); id++ {
				row := m.Embeddings[id*m.Dim : (id+1)*m.Dim]
				if got, want := allEqual(row, 0), slices.Contains(tt.zeroed, m.Tokens[id]); got != want {
					t.Errorf("%s: zero vector %v, want %v", m.Tokens[id], got, want)
				}
			}
			f := writeAndParse(t, m)
			if got, _ := f.Get("bert.context_length"); got != uint32(tt.ctx) {
				t.Errorf("bert.context_length = %v", got)
			}
			if pe, _ := f.Tensor("position_embd.weight"); pe.Shape[1] != uint64(tt.ctx) {
				t.Errorf("position_embd rows %d, want %d", pe.Shape[1], tt.ctx)
			}
		})
	}
}

func TestBuild_pieces(t *testing.T) {
	v := tiny(t)
	m, err := glovemodel.Build(v, glovemodel.Options{Pieces: true, ZeroWords: []string{"fired"}})
	if err != nil {
		t.Fatal(err)
	}
	// Words of at least 3 characters, in word order, without the prefix.
	wantPieces := []string{"the", "fbi", "director", "fired", "cafe", "apple", "naive", "2014", "bureau", "dismissed", "president"}
	if m.Stats.Pieces != len(wantPieces) || m.Stats.Words != len(tinyTokens) || m.Stats.Zeroed != 1 {
		t.Errorf("Stats = %+v, want %d pieces, %d words, 1 zeroed", m.Stats, len(wantPieces), len(tinyTokens))
	}
	first := 104 + len(tinyTokens)
	if got := m.Tokens[first:]; !slices.Equal(got, wantPieces) {
		t.Fatalf("pieces %q, want %q", got, wantPieces)
	}
	row := func(id int) []float32 { return m.Embeddings[id*m.Dim : (id+1)*m.Dim] }
	for j, piece := range wantPieces {
		id := first + j
		if m.TokenTypes[id] != glovemodel.TokenTypeNormal {
			t.Errorf("%s: type %d", piece, m.TokenTypes[id])
		}
		word := slices.Index(m.Tokens, glovemodel.WordPrefix+piece)
		if !slices.Equal(row(id), row(word)) {
			t.Errorf("piece %s has vector %v, its word %v", piece, row(id), row(word))
		}
		if piece == "fired" && !allEqual(row(id), 0) {
			t.Errorf("piece of a zeroed word is not zero")
		}
	}
	if len(m.Embeddings) != len(m.Tokens)*m.Dim {
		t.Errorf("%d embedding values for %d tokens", len(m.Embeddings), len(m.Tokens))
	}
	tests := []struct {
		text string
		want []string
	}{
		{"directorfbi", []string{"▁director", "fbi"}},
		{"bureaupresident, fired", []string{"▁bureau", "president", "▁,", "▁fired"}},
		{"thethe", []string{"▁the", "the"}},
		{"firedx", []string{"[UNK]"}},
		{"xfired", []string{"[UNK]"}}, // a word must start with a ▁ token
		{"ofof", []string{"[UNK]"}},   // "of" is too short to be a piece
	}
	for _, tt := range tests {
		var got []string
		ids := m.Tokenize(tt.text)
		for _, id := range ids[1 : len(ids)-1] {
			got = append(got, m.Tokens[id])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	f := writeAndParse(t, m)
	if toks, _ := f.Get("tokenizer.ggml.tokens"); !slices.Equal(toks.([]string), m.Tokens) {
		t.Error("tokens in the file differ from the model's")
	}
	if te, _ := f.Tensor("token_embd.weight"); te.Shape[1] != uint64(len(m.Tokens)) {
		t.Errorf("token_embd has %d rows, want %d", te.Shape[1], len(m.Tokens))
	}
}

func TestBuild_errors(t *testing.T) {
	v := tiny(t)
	tests := []struct {
		name string
		v    *wordvec.Vectors
		opt  glovemodel.Options
		want string
	}{
		{"short context", v, glovemodel.Options{ContextLength: 512}, "context length 512 is below 2048: Ollama runs models with a 2048-token context"},
		{"huge context", v, glovemodel.Options{ContextLength: 1 << 20}, "above"},
		{"negative vocabulary", v, glovemodel.Options{VocabSize: -1}, "negative"},
		{"negative zero-top", v, glovemodel.Options{ZeroTop: -1}, "negative"},
		{"no vectors", nil, glovemodel.Options{}, "no word vectors"},
		{"inconsistent vectors", &wordvec.Vectors{Dim: 2, Words: []string{"a"}, Data: []float32{1}}, glovemodel.Options{}, "need 2 values, have 1"},
		{"nothing reachable", &wordvec.Vectors{Dim: 1, Words: []string{"a b", "n't"}, Data: []float32{1, 2}}, glovemodel.Options{}, "none of the 2 words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := glovemodel.Build(tt.v, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestModel_Tokenize(t *testing.T) {
	m, err := glovemodel.Build(tiny(t), glovemodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const unk = "[UNK]"
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"  \t\n ", nil},
		{"The FBI director fired", []string{"▁the", "▁fbi", "▁director", "▁fired"}},
		{"Café, NAÏVE apple!", []string{"▁cafe", "▁,", "▁naive", "▁apple", "▁!"}},
		{"e-mail", []string{unk, unk, unk}}, // "e" "-" "mail"
		{"U.S.", []string{unk, "▁.", unk, "▁."}},
		{"don't", []string{unk, unk, unk}},
		{"firedx", []string{unk}},                                                // "▁fired" matches, "x" does not: all discarded
		{"x\u200dy x\u00ady", []string{"▁xy", "▁xy"}},                            // ZWJ and soft hyphen are dropped
		{"中文", []string{"▁中", unk}},                                              // CJK ideographs are words of their own
		{"$2014", []string{"▁$", "▁2014"}},                                       // ASCII symbols split
		{"€2014", []string{unk}},                                                 // other symbols do not
		{"fired[SEP]x [unused5]", []string{"▁fired", "[SEP]", unk, "[unused5]"}}, // control token texts are parsed
		{"[cls] [unused99] [SEP", []string{unk, unk, unk, unk, unk, unk, unk, unk}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			ids := m.Tokenize(tt.text)
			if ids[0] != glovemodel.IDCls || ids[len(ids)-1] != glovemodel.IDSep {
				t.Fatalf("Tokenize(%q) = %v, want [CLS] ... [SEP]", tt.text, ids)
			}
			for _, id := range ids[1 : len(ids)-1] {
				got = append(got, m.Tokens[id])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestModel_Tokenize_vocabulary checks that every word kept in the model is
// found by the tokenizer as its own token when it appears in text.
func TestModel_Tokenize_vocabulary(t *testing.T) {
	v := tiny(t)
	m, err := glovemodel.Build(v, glovemodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, tok := range tinyTokens {
		word := v.Words[tok.row]
		ids := m.Tokenize("  " + word + " ")
		if want := []int{101, 104 + k, 102}; !slices.Equal(ids, want) {
			t.Errorf("Tokenize(%q) = %v, want %v (%s)", word, ids, want, tok.text)
		}
	}
}

func TestReadWordList(t *testing.T) {
	got, err := glovemodel.ReadWordList(strings.NewReader("# header\nthe of\n\n  and # trailing\n#all comment\nüber\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"the", "of", "and", "über"}; !slices.Equal(got, want) {
		t.Errorf("ReadWordList = %q, want %q", got, want)
	}
}
