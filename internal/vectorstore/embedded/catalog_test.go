package embedded

import (
	"reflect"
	"testing"
	"time"

	"github.com/semsearch/semsearch/internal/vectorstore"
)

// fillFields sets every field of the struct v points to a non-zero value,
// recursively (one item per list), and fails on a kind it does not know:
// a new field of a document or passage then needs the catalog codec's
// attention. skip names fields left zero.
func fillFields(t *testing.T, v reflect.Value, skip map[string]bool) {
	t.Helper()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if skip[sf.Name] {
			continue
		}
		fillValue(t, f, sf.Name, skip)
	}
}

func fillValue(t *testing.T, f reflect.Value, name string, skip map[string]bool) {
	t.Helper()
	switch {
	case f.Type() == reflect.TypeFor[time.Time]():
		f.Set(reflect.ValueOf(time.Date(2021, 3, 4, 5, 6, 7, 8, time.FixedZone("", -7200))))
		return
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(name + " é\x00")
	case reflect.Int:
		f.SetInt(int64(len(name)) + 1000)
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Map:
		if f.Type() != reflect.TypeFor[map[string]string]() {
			t.Fatalf("field %s: a map of %s, which the catalog codec does not carry", name, f.Type())
		}
		f.Set(reflect.ValueOf(map[string]string{name: "v", "k2": ""}))
	case reflect.Slice:
		s := reflect.MakeSlice(f.Type(), 2, 2)
		for j := range 2 {
			fillValue(t, s.Index(j), name, skip)
		}
		f.Set(s)
	case reflect.Struct:
		fillFields(t, f, skip)
	default:
		t.Fatalf("field %s of kind %s: the catalog codec does not carry it", name, f.Kind())
	}
}

// TestCatalogCodecFields: a document and its passages with every field set
// come back from the version 10 catalog codec equal, so a field added to
// vectorstore.Document or vectorstore.Passage without the codec fails here.
func TestCatalogCodecFields(t *testing.T) {
	var e docEntry
	fillFields(t, reflect.ValueOf(&e.Doc).Elem(), nil)
	e.Passages = make([]vectorstore.Passage, 3)
	for i := range e.Passages {
		fillFields(t, reflect.ValueOf(&e.Passages[i]).Elem(), map[string]bool{"Vector": true})
		e.Passages[i].Chunk = i
	}
	e.Vectored = []bool{true, false, true}
	empty := &docEntry{Doc: vectorstore.Document{ID: "empty"}}
	b := appendDocs(nil, []*docEntry{&e, empty})
	docs, err := readDocs(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || !reflect.DeepEqual(*docs[0], e) || !reflect.DeepEqual(*docs[1], *empty) {
		t.Fatalf("decoded\n%+v\n%+v\nwant\n%+v\n%+v", docs[0], docs[1], e, *empty)
	}
	// Cut anywhere, the list is refused, never misread.
	for n := range len(b) {
		if _, err := readDocs(b[:n]); err == nil {
			t.Fatalf("a catalog cut to %d of %d bytes decoded", n, len(b))
		}
	}
}
