package transfer_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
	"github.com/semsearch/semsearch/internal/vectorstore/storebench"
	"github.com/semsearch/semsearch/internal/vectorstore/transfer"
)

func open(t *testing.T) vectorstore.Store {
	t.Helper()
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestExportImport moves a collection (with a zero-vector passage) to a
// fresh store and checks documents and query results are identical, and
// that importing into a collection with other settings is refused.
func TestExportImport(t *testing.T) {
	ctx := t.Context()
	set := vectorstore.Settings{Model: "m", Dimensions: 4, Chunking: "lines"}
	src := open(t)
	if _, err := src.CreateCollection(ctx, "c", set); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for d := range 7 {
		var text strings.Builder
		ps := make([]vectorstore.Passage, 3)
		for i := range ps {
			st := text.Len()
			fmt.Fprintf(&text, "doc %d passage %d\n", d, i)
			v := storebench.UnitVector(rng, 4)
			if d == 2 && i == 1 {
				v = make([]float32, 4) // nothing the model knew
			}
			ps[i] = vectorstore.Passage{Chunk: i, Start: st, End: text.Len() - 1, LineStart: i + 1, LineEnd: i + 1, Vector: v}
		}
		doc := vectorstore.Document{ID: fmt.Sprintf("d%d", d), Source: "s", Title: "T", Hash: "h", Text: text.String(), Meta: map[string]string{"k": "v"}}
		if err := src.Put(ctx, "c", doc, ps); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	st, err := transfer.Export(ctx, src, "c", &buf)
	if err != nil || st.Documents != 7 || st.Passages != 21 {
		t.Fatalf("Export = %+v, %v", st, err)
	}
	dst := open(t)
	h, st2, err := transfer.Import(ctx, dst, bytes.NewReader(buf.Bytes()), "copy")
	if err != nil || st2 != st || h.Settings != set {
		t.Fatalf("Import = %+v %+v, %v", h, st2, err)
	}
	for range 5 {
		q := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		a, err1 := src.Query(ctx, "c", q, 100, vectorstore.Filter{})
		b, err2 := dst.Query(ctx, "copy", q, 100, vectorstore.Filter{})
		if err1 != nil || err2 != nil || len(a) != 20 || !reflect.DeepEqual(a, b) {
			t.Fatalf("queries differ after the round trip (%d vs %d hits; %v %v)", len(a), len(b), err1, err2)
		}
	}
	for _, id := range []string{"d0", "d2", "d6"} {
		a, _ := src.Document(ctx, "c", id)
		b, _ := dst.Document(ctx, "copy", id)
		a.Indexed, b.Indexed = a.Indexed.UTC(), b.Indexed.UTC()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Document(%s) differs: %+v vs %+v", id, a, b)
		}
	}
	other := set
	other.Model = "other"
	if _, err := dst.CreateCollection(ctx, "taken", other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := transfer.Import(ctx, dst, bytes.NewReader(buf.Bytes()), "taken"); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("import into a collection with other settings: err = %v", err)
	}
}
