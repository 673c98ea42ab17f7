package embed

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
)

// checkLikeJSON fails t unless decodeEmbedResponse, when it takes body,
// leaves resp as json.Unmarshal does, and takes the plain answers Ollama
// sends (want).
func checkLikeJSON(t *testing.T, body string, want bool) {
	t.Helper()
	start := api.EmbedResponse{Model: "before", Embeddings: [][]float32{{9, 9}}, PromptEvalCount: 7}
	viaJSON, fast := start, start
	jerr := json.Unmarshal([]byte(body), &viaJSON)
	took := decodeEmbedResponse([]byte(body), &fast)
	switch {
	case took && jerr != nil:
		t.Errorf("%q: taken, but encoding/json fails: %v", body, jerr)
	case took && !reflect.DeepEqual(fast, viaJSON):
		t.Errorf("%q: decoded %+v, encoding/json %+v", body, fast, viaJSON)
	case !took && !reflect.DeepEqual(fast, start):
		t.Errorf("%q: not taken, but changed resp to %+v", body, fast)
	case want && !took:
		t.Errorf("%q: not taken", body)
	}
}

func TestDecodeEmbedResponse_likeEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool // an answer of the shape Ollama sends: must be taken
	}{
		{`{"model":"glove-100d","embeddings":[[0.1,-0.25,3e-5],[1,0,-0]],"total_duration":1234,"load_duration":5,"prompt_eval_count":12}`, true},
		{" {\n \"embeddings\" : [ [ 1.5E+2 , -2e-3 ] , [ ] ] ,\t\"model\":\"m:latest\" }\r\n", true},
		{`{"model":"nomic-embed-text","embeddings":[]}`, true},
		{`{}`, true},
		{`{"embeddings":[[0.0000000000000000000000000000000000000000000001]]}`, true}, // underflows to 0 without error
		{`{"embeddings":[[1e39]]}`, false},                                            // overflows float32: json's error
		{`{"embeddings":[[01]]}`, false}, {`{"embeddings":[[1.]]}`, false}, {`{"embeddings":[[.5]]}`, false},
		{`{"embeddings":[[-]]}`, false}, {`{"embeddings":[[+1]]}`, false}, {`{"embeddings":[[inf]]}`, false},
		{`{"embeddings":[[0x10]]}`, false}, {`{"embeddings":[[1_0]]}`, false}, {`{"embeddings":[[1,]]}`, false},
		{`{"embeddings":[[1],]}`, false}, {`{"embeddings":[[1]]`, false}, {`{"embeddings":[[1]]} x`, false},
		{`{"embeddings":null}`, false}, {`{"embeddings":[null]}`, false}, {`{"embeddings":[["1"]]}`, false},
		{`{"Embeddings":[[1]]}`, false}, {`{"model":"a\"b"}`, false}, {`{"model":"café"}`, false},
		{`{"model":"a\u00e9"}`, false}, {`{"model":1}`, false}, {`{"other":1}`, false},
		{`{"total_duration":1.5}`, false}, {`{"total_duration":1e3}`, false}, {`{"total_duration":99999999999999999999}`, false},
		{`{"prompt_eval_count":-3}`, true}, {`{"embeddings":[[1]],"embeddings":[[2,3]]}`, true},
		{`[]`, false}, {``, false}, {`{"embeddings":[[1]]}{}`, false}, {`{,}`, false}, {`{"model":"x",}`, false},
	} {
		checkLikeJSON(t, tc.body, tc.want)
	}
	// Vectors as Go writes them, which is how Ollama writes them.
	rng := rand.New(rand.NewSource(1))
	for range 50 {
		vecs := make([][]float32, 1+rng.Intn(8))
		for i := range vecs {
			vecs[i] = make([]float32, 1+rng.Intn(300))
			for j := range vecs[i] {
				vecs[i][j] = float32(rng.NormFloat64() * []float64{1e-30, 1e-3, 1, 1e30}[rng.Intn(4)])
			}
		}
		b, err := json.Marshal(api.EmbedResponse{Model: "m", Embeddings: vecs, TotalDuration: 42})
		if err != nil {
			t.Fatal(err)
		}
		checkLikeJSON(t, string(b), true)
	}
}

// FuzzDecodeEmbedResponse: on any answer, the fast decoder either declines
// or agrees with encoding/json.
func FuzzDecodeEmbedResponse(f *testing.F) {
	for _, s := range []string{`{"model":"m","embeddings":[[0.1,-2e-3],[]],"total_duration":5}`, `{"embeddings":[[1e39]]}`, `{}`, ` { } `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkLikeJSON(t, body, false)
	})
}

// BenchmarkDecodeEmbedResponse decodes an answer of 32 vectors of 100
// dimensions (a call of glovesim's) with encoding/json and with the fast
// decoder.
func BenchmarkDecodeEmbedResponse(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	var sb strings.Builder
	sb.WriteString(`{"model":"glove-100d","embeddings":[`)
	for i := range 32 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('[')
		for j := range 100 {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprint(&sb, float32(rng.NormFloat64()/10))
		}
		sb.WriteByte(']')
	}
	sb.WriteString(`],"total_duration":1000,"load_duration":10,"prompt_eval_count":640}`)
	body := []byte(sb.String())
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var r api.EmbedResponse
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var r api.EmbedResponse
			if !decodeEmbedResponse(body, &r) {
				b.Fatal("not taken")
			}
		}
	})
}
