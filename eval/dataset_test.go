package eval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadQueries(t *testing.T) {
	// good.jsonl starts with a UTF-8 byte order mark, ends its first line
	// with CRLF, has blank lines and no newline at the end.
	ds, err := LoadQueries(t.Context(), filepath.Join("testdata", "queries", "good.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{
		Name: "good",
		Queries: []Query{
			{
				ID:       "q1",
				Text:     "Who met Lavrov in the Oval Office?",
				Relevant: map[string]int{"russia-oval-office-photos.txt": 1},
				Answers:  []string{"Sergey Kislyak", "Oval Office"},
			},
			{
				ID:       "q2",
				Text:     "Why was Comey fired?",
				Relevant: map[string]int{"lavrov-quip-comey-firing.txt": 2, "russia-oval-office-photos.txt": 1},
			},
			{ID: "q3", Text: "no answers, default grade", Relevant: map[string]int{"a": 1}},
		},
	}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("LoadQueries:\n got %+v\nwant %+v", ds, want)
	}
	qrels := ds.Qrels()
	if len(qrels) != 3 || qrels["q2"]["lavrov-quip-comey-firing.txt"] != 2 {
		t.Errorf("Qrels() = %v", qrels)
	}
}

func TestLoadQueries_malformed(t *testing.T) {
	path := filepath.Join("testdata", "queries", "bad.jsonl")
	_, err := LoadQueries(t.Context(), path)
	if err == nil {
		t.Fatal("LoadQueries(bad.jsonl) succeeded, want errors")
	}
	msg := err.Error()
	wantLines := []string{
		path + `:2: missing id`,
		path + `:3: query "q3": missing query`,
		path + `:4: duplicate id "ok1" (first on line 1)`,
		path + `:5: query "q5": no relevant documents`,
		path + `:6: query "q6": grade for doc "d2", which is not in relevant`,
		path + `:7: query "q7": grade 0 for doc "d1", want >= 1`,
		path + `:8: invalid JSON: json: unknown field "answer"`,
		path + `:9: query "q9": empty answer`,
		path + `:10: invalid JSON: unexpected EOF`,
		path + `:11: query "q11": doc "d1" listed twice in relevant`,
		path + `:12: invalid JSON: data after the object`,
		path + `:13: invalid JSON: json: cannot unmarshal array`,
		path + `:14: invalid JSON: json: cannot unmarshal number`,
		path + `:15: query "q15": empty doc id in relevant`,
	}
	for _, w := range wantLines {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	for _, good := range []string{path + ":1:", path + ":16:"} {
		if strings.Contains(msg, good) {
			t.Errorf("error blames valid line %s", good)
		}
	}
	if t.Failed() {
		t.Logf("error was:\n%s", msg)
	}
}

func TestLoadQueries_errors(t *testing.T) {
	dir := t.TempDir()
	many := filepath.Join(dir, "many.jsonl")
	if err := os.WriteFile(many, []byte(strings.Repeat("{}\n", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadQueries(t.Context(), many)
	if err == nil || !strings.Contains(err.Error(), "too many errors, stopped at line 20") {
		t.Errorf("50 bad lines: err = %v, want it to stop after 20", err)
	}

	if _, err := LoadQueries(t.Context(), filepath.Join(dir, "absent.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = LoadQueries(ctx, filepath.Join("testdata", "queries", "good.jsonl"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v, want context.Canceled", err)
	}
}

func TestLoadBEIR(t *testing.T) {
	dir := filepath.Join("testdata", "beir")
	tests := []struct {
		split string
		want  *Dataset
	}{
		{
			// Order of first appearance in the qrels; q3 is judged only
			// with score 0 and is dropped; q4 and q5 are not in this split.
			split: "test",
			want: &Dataset{Name: "beir/test", Queries: []Query{
				{ID: "q2", Text: "What lowers cholesterol?", Relevant: map[string]int{"d2": 1}},
				{ID: "q1", Text: "Does aspirin prevent heart attacks?", Relevant: map[string]int{"d1": 2, "d3": 1}},
			}},
		},
		{
			// train.tsv has no header line and ends its line with CRLF.
			split: "train",
			want: &Dataset{Name: "beir/train", Queries: []Query{
				{ID: "q4", Text: "Does sleep help memory?", Relevant: map[string]int{"d4": 1}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.split, func(t *testing.T) {
			ds, err := LoadBEIR(t.Context(), dir, tt.split)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ds, tt.want) {
				t.Errorf("LoadBEIR(%s):\n got %+v\nwant %+v", tt.split, ds, tt.want)
			}
		})
	}
}

func TestLoadBEIR_malformed(t *testing.T) {
	bad := filepath.Join("testdata", "beir_bad")
	qrels := func(name string) string { return filepath.Join(bad, "qrels", name+".tsv") }
	tests := []struct {
		name, dir, split string
		want             string
	}{
		{"bad score", bad, "badscore", qrels("badscore") + `:3: score "high" is not an integer`},
		{"short row", bad, "short", qrels("short") + `:2: want 3 tab-separated fields (query-id, corpus-id, score), got 1`},
		{"unknown query", bad, "unknown", qrels("unknown") + `:3: query "q9" is not in ` + filepath.Join(bad, "queries.jsonl")},
		{"duplicate pair", bad, "dup", qrels("dup") + `:3: query "q1", doc "d1" judged twice (first on line 2)`},
		{"empty id", bad, "emptyid", qrels("emptyid") + `:2: empty query-id or corpus-id`},
		{"missing split", bad, "absent", "no such file"},
		{"split with a path", bad, "../test", `invalid split "../test"`},
		{
			"bad queries file", filepath.Join("testdata", "beir_badqueries"), "test",
			filepath.Join("testdata", "beir_badqueries", "queries.jsonl") + ":3: missing _id",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBEIR(t.Context(), tt.dir, tt.split)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadBEIR(%s, %s) error = %v, want it to contain %q", tt.dir, tt.split, err, tt.want)
			}
		})
	}
}

func TestLoadBEIR_badQueryLines(t *testing.T) {
	tests := []struct {
		name, queries, want string
	}{
		{"duplicate id", `{"_id": "q1", "text": "a"}` + "\n" + `{"_id": "q1", "text": "b"}`, `:2: duplicate _id "q1" (first on line 1)`},
		{"invalid json", `{"_id": "q1", "text": "a"}` + "\n" + `{"_id": `, `:2: invalid JSON`},
		{"empty text", `{"_id": "q1", "text": "  "}`, `:1: query "q1" has no text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "queries.jsonl"), tt.queries)
			writeFile(t, filepath.Join(dir, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n")
			_, err := LoadBEIR(t.Context(), dir, "test")
			want := filepath.Join(dir, "queries.jsonl") + tt.want
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestWalkBEIRCorpus(t *testing.T) {
	var got []Doc
	err := WalkBEIRCorpus(t.Context(), filepath.Join("testdata", "beir"), func(d Doc) error {
		got = append(got, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{
		{ID: "d1", Title: "Aspirin", Text: "Aspirin reduces the risk of a first heart attack."},
		{ID: "d2", Title: "", Text: "Statins lower LDL cholesterol."},
		{ID: "d3", Title: "Aspirin and bleeding", Text: "Daily aspirin raises the risk of bleeding."},
		{ID: "d4", Title: "Sleep", Text: "Sleep consolidates memory."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WalkBEIRCorpus:\n got %+v\nwant %+v", got, want)
	}
}

func TestWalkBEIRCorpus_errors(t *testing.T) {
	bad := filepath.Join("testdata", "beir_bad")
	corpus := filepath.Join(bad, "corpus.jsonl")
	errStop := errors.New("stop")
	tests := []struct {
		name string
		fn   func(Doc) error
		want string
		is   error
	}{
		{"malformed line", func(Doc) error { return nil }, corpus + ":2: invalid JSON", nil},
		{"callback error", func(Doc) error { return errStop }, corpus + `:1: doc "d1": stop`, errStop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WalkBEIRCorpus(t.Context(), bad, tt.fn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
		})
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "corpus.jsonl"), `{"_id": "d1", "text": "x"}`+"\n"+`{"title": "No id", "text": "y"}`+"\n")
	err := WalkBEIRCorpus(t.Context(), dir, func(Doc) error { return nil })
	if want := filepath.Join(dir, "corpus.jsonl") + ":2: missing _id"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("missing _id: err = %v, want %q", err, want)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := WalkBEIRCorpus(ctx, filepath.Join("testdata", "beir"), func(Doc) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v, want context.Canceled", err)
	}
}

func TestLoadBBC(t *testing.T) {
	// testdata/bbc is an invented corpus in the BBC layout:
	//   business/001  "Shares rise on upbeat forecast"  body A
	//   business/002  same headline (trailing space)    body A re-wrapped
	//   business/003  "Markets close mixed"              body B
	//   sport/001     "Markets close mixed"              body C (differs)
	//   sport/002     "Club pays £15m for striker"       Latin-1 file
	//   tech/001      "Gadget sales soar"                body A on one line
	ds, stats, err := LoadBBC(t.Context(), filepath.Join("testdata", "bbc"))
	if err != nil {
		t.Fatal(err)
	}
	wantStats := BBCStats{
		Files:              6,
		Latin1:             []string{"sport/002.txt"},
		DuplicateBodies:    2, // business/002, tech/001
		Docs:               4,
		RepeatedHeadlines:  2, // business/002, sport/001
		AmbiguousHeadlines: 1, // "Markets close mixed": bodies B and C
		DroppedFiles:       2,
		Queries:            3,
	}
	if !reflect.DeepEqual(stats, wantStats) {
		t.Errorf("stats:\n got %+v\nwant %+v", stats, wantStats)
	}
	wantDocs := []Doc{
		{ID: "business/001.txt", Text: "Shares in Acme rose 5% on Monday after the firm raised its forecast.\n\nAnalysts had expected less."},
		{ID: "business/003.txt", Text: "Stocks ended the day mixed as oil prices fell."},
		{ID: "sport/001.txt", Text: "Stocks ended the day mixed as oil prices fell and the dollar rose."},
		{ID: "sport/002.txt", Text: "The club paid £15m for the striker on Friday."},
	}
	if !reflect.DeepEqual(ds.Docs, wantDocs) {
		t.Errorf("docs:\n got %+v\nwant %+v", ds.Docs, wantDocs)
	}
	wantQueries := []Query{
		{ID: "business/001.txt", Text: "Shares rise on upbeat forecast", Relevant: map[string]int{"business/001.txt": 1}},
		{ID: "sport/002.txt", Text: "Club pays £15m for striker", Relevant: map[string]int{"sport/002.txt": 1}},
		{ID: "tech/001.txt", Text: "Gadget sales soar", Relevant: map[string]int{"business/001.txt": 1}},
	}
	if !reflect.DeepEqual(ds.Queries, wantQueries) {
		t.Errorf("queries:\n got %+v\nwant %+v", ds.Queries, wantQueries)
	}
	if ds.Name != "bbc-headlines" {
		t.Errorf("Name = %q", ds.Name)
	}
}

func TestLoadBBC_errors(t *testing.T) {
	empty := t.TempDir()
	if _, _, err := LoadBBC(t.Context(), empty); err == nil || !strings.Contains(err.Error(), "no topic/*.txt files") {
		t.Errorf("empty dir: err = %v", err)
	}
	noBody := t.TempDir()
	writeFile(t, filepath.Join(noBody, "tech", "001.txt"), "Headline only\n\n")
	if _, _, err := LoadBBC(t.Context(), noBody); err == nil || !strings.Contains(err.Error(), filepath.Join("tech", "001.txt")+": empty body") {
		t.Errorf("headline only: err = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := LoadBBC(ctx, filepath.Join("testdata", "bbc")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v, want context.Canceled", err)
	}
}

// sharedData returns the shared data folder (../../shared/data from this
// package, i.e. ../shared/data from the project root), or skips the test
// when it is absent.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data set %s not found at %s (%v); it lives in ../shared/data beside the project", name, dir, err)
	}
	return dir
}

func TestLoadBEIR_SciFact(t *testing.T) {
	dir := sharedData(t, "scifact")
	tests := []struct {
		split           string
		queries, judged int
	}{
		{"test", 300, 339},
		{"train", 809, 919},
	}
	for _, tt := range tests {
		t.Run(tt.split, func(t *testing.T) {
			ds, err := LoadBEIR(t.Context(), dir, tt.split)
			if err != nil {
				t.Fatal(err)
			}
			judged := 0
			for _, q := range ds.Queries {
				judged += len(q.Relevant)
			}
			if len(ds.Queries) != tt.queries || judged != tt.judged {
				t.Errorf("%s: %d queries, %d relevant pairs; want %d, %d", tt.split, len(ds.Queries), judged, tt.queries, tt.judged)
			}
		})
	}

	ds, err := LoadBEIR(t.Context(), dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if q := ds.Queries[0]; q.ID != "1" || q.Text != "0-dimensional biomaterials show inductive properties." ||
		!reflect.DeepEqual(q.Relevant, map[string]int{"31715818": 1}) {
		t.Errorf("first test query = %+v", q)
	}

	docs := 0
	ids := map[string]bool{}
	err = WalkBEIRCorpus(t.Context(), dir, func(d Doc) error {
		docs++
		ids[d.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs != 5183 || len(ids) != 5183 {
		t.Errorf("corpus: %d docs, %d distinct ids; want 5183", docs, len(ids))
	}
	for _, q := range ds.Queries {
		for id := range q.Relevant {
			if !ids[id] {
				t.Errorf("query %s: relevant doc %s not in corpus", q.ID, id)
			}
		}
	}

	// An oracle ranking (the relevant docs first) scores 1 on ndcg, recall
	// and mrr, and its report recomputes to the same numbers.
	oracle := map[string][]RankedDoc{}
	for _, q := range ds.Queries {
		for id, grade := range q.Relevant {
			oracle[q.ID] = append(oracle[q.ID], RankedDoc{DocID: id, Score: float64(grade)})
		}
		SortDocs(oracle[q.ID])
	}
	r, err := EvaluateDocs(ds.Queries, oracle, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"ndcg@10", "recall@100", "mrr@10", "map@100"} {
		if r.Metrics[key] != 1 {
			t.Errorf("oracle %s = %v, want 1", key, r.Metrics[key])
		}
	}
	got, err := Recompute(roundTrip(t, r), ds.Qrels())
	if err != nil || !reflect.DeepEqual(got, r.Metrics) {
		t.Errorf("Recompute(oracle) = %v, %v; want the reported metrics", got, err)
	}
}

func TestLoadBBC_real(t *testing.T) {
	dir := sharedData(t, "bbc")
	ds, stats, err := LoadBBC(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BBC: %s", stats)
	// The data README counts 133 duplicated bodies: files whose body is
	// byte-identical to an earlier one. Whitespace normalisation finds 3 more.
	// Of the 129 repeated headlines, 29 name bodies that differ (mostly
	// revised versions of the same story) and are dropped with their 58
	// files; the other 100 repeat a headline over the same (normalised) body
	// and stay as one query.
	want := BBCStats{
		Files:              2225,
		Latin1:             []string{"sport/199.txt"},
		DuplicateBodies:    136,
		Docs:               2089,
		RepeatedHeadlines:  129,
		AmbiguousHeadlines: 29,
		DroppedFiles:       58,
		Queries:            2067,
	}
	if !reflect.DeepEqual(stats, want) {
		t.Errorf("stats:\n got %+v\nwant %+v", stats, want)
	}
	if len(ds.Docs) != want.Docs || len(ds.Queries) != want.Queries {
		t.Errorf("%d docs, %d queries; want %d, %d", len(ds.Docs), len(ds.Queries), want.Docs, want.Queries)
	}
	docs := map[string]string{}
	for _, d := range ds.Docs {
		docs[d.ID] = d.Text
	}
	if !strings.Contains(docs["sport/199.txt"], "a £15.8m signing from Parma") {
		t.Errorf("sport/199.txt not decoded as Latin-1: %.120q", docs["sport/199.txt"])
	}
	for _, q := range ds.Queries {
		for id := range q.Relevant {
			if _, ok := docs[id]; !ok {
				t.Errorf("query %s: relevant doc %s not in corpus", q.ID, id)
			}
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
