package wordvec_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/wordvec"
)

// smallWords and smallData are the content of testdata/small.txt and
// testdata/small.json.
func smallWords() []string { return []string{"the", ",", ".", "fbi", "fired"} }

func smallData() []float32 {
	return []float32{
		0.418, 0.24968, -0.41242, 0.1217,
		0.013441, 0.23682, -0.16899, 0.40951,
		0.15164, 0.30177, -0.16763, 0.17684,
		-0.51337, 0.4071, 0.61652, -0.1478,
		0.33553, -0.42406, 0.32207, 0.33181,
	}
}

func read(t *testing.T, in string, opt wordvec.Options) (*wordvec.Vectors, error) {
	t.Helper()
	return wordvec.Read(t.Context(), strings.NewReader(in), opt)
}

func checkVectors(t *testing.T, v *wordvec.Vectors, dim int, words []string, data []float32) {
	t.Helper()
	if v.Dim != dim {
		t.Errorf("Dim = %d, want %d", v.Dim, dim)
	}
	if !reflect.DeepEqual(v.Words, words) {
		t.Errorf("Words = %q, want %q", v.Words, words)
	}
	if !reflect.DeepEqual(v.Data, data) {
		t.Errorf("Data = %v, want %v", v.Data, data)
	}
	if v.Len() != len(words) {
		t.Errorf("Len = %d, want %d", v.Len(), len(words))
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    wordvec.Format
		wantErr bool
	}{
		{"", wordvec.FormatAuto, false},
		{"auto", wordvec.FormatAuto, false},
		{"glove", wordvec.FormatGloVe, false},
		{"wink", wordvec.FormatWink, false},
		{"word2vec", "", true},
	}
	for _, tt := range tests {
		got, err := wordvec.ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestRead_glove(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		opt   wordvec.Options
		dim   int
		words []string
		data  []float32
	}{
		{"plain", "a 1 2\nb 3 4\n", wordvec.Options{}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"no final newline", "a 1 2\nb 3 4", wordvec.Options{}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"crlf, tabs, extra spaces", "a 1  2 \r\n\r\nb\t3 4\r\n", wordvec.Options{}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"byte order mark", "\ufeffa 1 2\n", wordvec.Options{}, 2, []string{"a"}, []float32{1, 2}},
		{"max words", "a 1 2\nb 3 4\nc 5 6\n", wordvec.Options{MaxWords: 2}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"max words stops before bad rows", "a 1 2\nb 3\n", wordvec.Options{MaxWords: 1}, 2, []string{"a"}, []float32{1, 2}},
		{"word with spaces given dim", "new york 1 2\na 3 4\n", wordvec.Options{Dim: 2}, 2, []string{"new york", "a"}, []float32{1, 2, 3, 4}},
		{"brace word is not JSON", "{ 1 2\n} 3 4\n", wordvec.Options{}, 2, []string{"{", "}"}, []float32{1, 2, 3, 4}},
		{"exponents and underflow", "a 1e-3 -2.5E+2 1e-50\n", wordvec.Options{}, 3, []string{"a"}, []float32{0.001, -250, 0}},
		{"forced format", "a 1\n", wordvec.Options{Format: wordvec.FormatGloVe}, 1, []string{"a"}, []float32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := read(t, tt.in, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, v, tt.dim, tt.words, tt.data)
		})
	}
}

func TestRead_gloveErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  wordvec.Options
		want string
	}{
		{"empty file", "", wordvec.Options{}, "no word vectors"},
		{"blank lines only", "\n \n\t\n", wordvec.Options{}, "no word vectors"},
		{"empty forced", "", wordvec.Options{Format: wordvec.FormatGloVe}, "no word vectors"},
		{"word without vector", "a 1 2\nlonely\n", wordvec.Options{}, `line 2: word "lonely" has no vector components`},
		{"ragged row", "a 1 2\nb 1 2\n\nc 1 2 3\n", wordvec.Options{}, `line 4: word "c" has 3 components, want 2 as on line 1 (ragged rows)`},
		{"short row", "a 1 2 3\nb 1 2\n", wordvec.Options{}, `line 2: word "b" has 2 components, want 3`},
		{"not a number", "a 1 2\nb 1 x\n", wordvec.Options{}, `line 2: word "b" component 2: parse "x"`},
		{"NaN", "a 1 NaN\n", wordvec.Options{}, `line 1: word "a" component 2: value "NaN" is not finite`},
		{"infinity", "a inf 2\n", wordvec.Options{}, `line 1: word "a" component 1: value "inf" is not finite`},
		{"float32 overflow", "a 1 -1e39\n", wordvec.Options{}, `component 2: value "-1e39" is out of float32 range`},
		{"duplicate word", "a 1 2\nb 3 4\na 5 6\n", wordvec.Options{}, `line 3: duplicate word "a" (first on line 1)`},
		{"dimension mismatch", "a 1 2\n", wordvec.Options{Dim: 3}, `line 1: word "a" has 2 components, want dimension 3`},
		{"negative max words", "a 1\n", wordvec.Options{MaxWords: -1}, "negative"},
		{"unknown format", "a 1\n", wordvec.Options{Format: "csv"}, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(t, tt.in, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := read(t, "", wordvec.Options{}); !errors.Is(err, wordvec.ErrEmpty) {
		t.Errorf("empty input: err = %v, want ErrEmpty", err)
	}
}

func TestRead_wink(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		opt   wordvec.Options
		dim   int
		words []string
		data  []float32
	}{
		{"plain", `{"dimensions":2,"words":["a","b"],"vectors":{"b":[3,4,5,1],"a":[1,2,2.2,0]}}`, wordvec.Options{}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"vectors before words", `{"vectors":{"b":[3,4,5,1],"a":[1,2,2.2,0]},"words":["a","b"],"dimensions":2}`, wordvec.Options{}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"no dimensions key", `{"words":["a"],"vectors":{"a":[1,2,3,2.2,0]}}`, wordvec.Options{}, 3, []string{"a"}, []float32{1, 2, 3}},
		{"unknown keys skipped", ` { "meta" : {"x":[1,{"y":null}]}, "words":["a"], "size":1, "vectors":{"a":[ 1 , -2e-1 ,0, 0 ]}, "unkVector":[0,0,-1] } `, wordvec.Options{}, 2, []string{"a"}, []float32{1, -0.2}},
		{"max words", `{"words":["a","b","c"],"vectors":{"c":[5,6,0,2],"b":[3,4,5,1],"a":[1,2,2.2,0]}}`, wordvec.Options{MaxWords: 2}, 2, []string{"a", "b"}, []float32{1, 2, 3, 4}},
		{"max words before words", `{"vectors":{"c":[5,6,0,2],"b":[3,4,5,1],"a":[1,2,2.2,0]},"words":["a","b","c"]}`, wordvec.Options{MaxWords: 1}, 2, []string{"a"}, []float32{1, 2}},
		{"unicode and escapes", `{"words":["caf\u00e9","\"q\""],"vectors":{"\"q\"":[2,2,1],"café":[1,1,0]}}`, wordvec.Options{}, 1, []string{"café", `"q"`}, []float32{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := read(t, tt.in, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, v, tt.dim, tt.words, tt.data)
		})
	}
}

func TestRead_winkErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  wordvec.Options
		want string
	}{
		{"empty forced", "", wordvec.Options{Format: wordvec.FormatWink}, "no word vectors"},
		{"empty object", `{}`, wordvec.Options{}, `missing key "words"`},
		{"no vectors", `{"words":["a"]}`, wordvec.Options{}, `missing key "vectors"`},
		{"no words", `{"words":[],"vectors":{}}`, wordvec.Options{}, "no word vectors"},
		{"not an object", `[1,2]`, wordvec.Options{Format: wordvec.FormatWink}, "top level"},
		{"malformed", `{"words":["a",}`, wordvec.Options{}, "malformed JSON at byte"},
		{"truncated", `{"words":["a","b"],"vectors":{"a":[1,2,`, wordvec.Options{}, "unexpected end of input"},
		{"trailing data", `{"words":["a"],"vectors":{"a":[1,1,0]}} {}`, wordvec.Options{}, "trailing data"},
		{"duplicate key", `{"words":["a"],"words":["a"]}`, wordvec.Options{}, `duplicate key "words"`},
		{"words not an array", `{"words":{"a":1}}`, wordvec.Options{}, `"words": got "{", want "["`},
		{"word not a string", `{"words":["a",7]}`, wordvec.Options{}, "words[1] is float64 7, want a string"},
		{"duplicate word", `{"words":["a","b","a"]}`, wordvec.Options{}, `duplicate word "a" in words (positions 0 and 2)`},
		{"duplicate vector", `{"words":["a"],"vectors":{"a":[1,1,0],"a":[1,1,0]}}`, wordvec.Options{}, `duplicate word "a" in vectors`},
		{"vector not an array", `{"words":["a"],"vectors":{"a":{"x":1}}}`, wordvec.Options{}, `vector of word "a": got "{\"x\":1}", want an array of numbers`},
		{"null component", `{"words":["a"],"vectors":{"a":[1,null,1,0]}}`, wordvec.Options{}, `vector of word "a": element 1 is "null", want a number`},
		{"string component", `{"words":["a"],"vectors":{"a":["1",1,0]}}`, wordvec.Options{}, `element 0 is "\"1\"", want a number`},
		{"too few numbers", `{"words":["a"],"vectors":{"a":[1,0]}}`, wordvec.Options{}, `vector of word "a" has 2 numbers, want components, L2 norm and index`},
		{"ragged vectors", `{"words":["a","b"],"vectors":{"a":[1,2,2,0],"b":[1,2,3,3,1]}}`, wordvec.Options{}, `vector of word "b" has 5 numbers, want 4 (2 components, L2 norm, index)`},
		{"dimensions disagree with vectors", `{"dimensions":3,"words":["a"],"vectors":{"a":[1,2,2,0]}}`, wordvec.Options{}, `vector of word "a" has 4 numbers, want 5`},
		{"dimensions after vectors disagree", `{"words":["a"],"vectors":{"a":[1,2,2,0]},"dimensions":3}`, wordvec.Options{}, `dimension mismatch: "dimensions" is 3 but vectors have 2 components`},
		{"bad dimensions", `{"dimensions":-1}`, wordvec.Options{}, `"dimensions" is -1, want a positive integer`},
		{"option dimension mismatch", `{"words":["a"],"vectors":{"a":[1,2,2,0]}}`, wordvec.Options{Dim: 3}, "dimension mismatch: want 3, vectors have 2 components"},
		{"size mismatch", `{"size":3,"words":["a"],"vectors":{"a":[1,1,0]}}`, wordvec.Options{}, `"size" is 3 but "words" has 1 entries`},
		{"float32 overflow", `{"words":["a"],"vectors":{"a":[1e39,1,0]}}`, wordvec.Options{}, `vector of word "a" component 1: value 1e+39 is out of float32 range`},
		{"overflow in skipped word", `{"words":["a","b"],"vectors":{"a":[1,1,0],"b":[-1e39,1,1]}}`, wordvec.Options{MaxWords: 1}, `vector of word "b" component 1`},
		{"wrong index", `{"words":["a","b"],"vectors":{"a":[1,1,1],"b":[1,1,1]}}`, wordvec.Options{}, `vector of word "a" gives index 1, but the word is at position 0 of words`},
		{"wrong index before words", `{"vectors":{"a":[1,1,1]},"words":["a"]}`, wordvec.Options{}, `gives index 1, but the word is at position 0`},
		{"unknown word", `{"words":["a"],"vectors":{"a":[1,1,0],"zz":[1,1,1]}}`, wordvec.Options{}, `vectors has word "zz", which is not in words`},
		{"missing vector", `{"words":["a","b"],"vectors":{"a":[1,1,0]}}`, wordvec.Options{}, `word "b" (position 1) has no vector`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(t, tt.in, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRead_cancelled(t *testing.T) {
	var glove, words, vecs strings.Builder
	for i := range 2 * 4096 {
		fmt.Fprintf(&glove, "w%d 1 2\n", i)
		fmt.Fprintf(&words, `"w%d",`, i)
		fmt.Fprintf(&vecs, `"w%d":[1,2,2,%d],`, i, i)
	}
	wink := `{"words":[` + strings.TrimSuffix(words.String(), ",") + `],"vectors":{` + strings.TrimSuffix(vecs.String(), ",") + `}}`
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, in := range []string{glove.String(), wink} {
		if _, err := wordvec.Read(context.Background(), strings.NewReader(in), wordvec.Options{}); err != nil {
			t.Fatalf("input is not valid: %v", err)
		}
		_, err := wordvec.Read(ctx, strings.NewReader(in), wordvec.Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%.10s...: err = %v, want context.Canceled", in, err)
		}
	}
}

func TestVectors_Row(t *testing.T) {
	v := &wordvec.Vectors{Dim: 2, Words: []string{"a", "b"}, Data: []float32{1, 2, 3, 4}}
	row := v.Row(1)
	if !reflect.DeepEqual(row, []float32{3, 4}) {
		t.Errorf("Row(1) = %v", row)
	}
	if cap(row) != 2 {
		t.Errorf("Row(1) has capacity %d; appending to it would overwrite the next row", cap(row))
	}
}

// FuzzRead_glove checks that no input makes the GloVe reader panic, and
// that what it accepts is consistent.
func FuzzRead_glove(f *testing.F) {
	f.Add("the 0.1 0.2\n, -1e3 4\n")
	f.Add("a 1 2\nb 1 2 3\n")
	f.Add("\ufeffnew york 1 2\r\n\r\n")
	f.Add("a NaN 1\na 1 1")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := wordvec.Read(t.Context(), strings.NewReader(in), wordvec.Options{Format: wordvec.FormatGloVe})
		if err != nil {
			return
		}
		if v.Dim < 1 || len(v.Data) != len(v.Words)*v.Dim || len(v.Words) == 0 {
			t.Fatalf("inconsistent result: dim %d, %d words, %d values", v.Dim, len(v.Words), len(v.Data))
		}
		seen := make(map[string]bool)
		for _, w := range v.Words {
			if seen[w] || w == "" {
				t.Fatalf("word %q empty or repeated", w)
			}
			seen[w] = true
		}
		for _, x := range v.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("accepted non-finite %v", x)
			}
		}
	})
}
