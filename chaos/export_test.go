package chaos_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// importDamagedExport imports an export cut short into a collection that
// differs from it: at a line end on even trials, mid-line on odd ones. The
// import must fail saying what is wrong and leave the collection exactly
// as it was, with searches answering as before.
func (s *suite) importDamagedExport(trial int) error {
	cut := trial%2 == 1
	whole := filepath.Join(s.work, fmt.Sprintf("export-%d.jsonl", trial))
	if r := s.run(s.ref1Data, "export", "-o", whole); r.code != 0 {
		return fmt.Errorf("export: %s", r)
	}
	b, err := os.ReadFile(whole)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n") // header, documents (sorted by id), end, ""
	if len(lines) < articles+2 {
		return fmt.Errorf("the export of %d articles has %d lines", articles, len(lines)-1)
	}
	// The target lacks the even articles, so importing any part of the
	// export (which starts with a00) changes it.
	target := s.tempData()
	copyDir(s.t, s.ref1Data, target)
	var gone []string
	for i := 0; i < articles; i += 2 {
		gone = append(gone, s.ids[i])
	}
	if r := s.run(target, "delete", gone...); r.code != 0 {
		return fmt.Errorf("delete: %s", r)
	}
	before, err := s.tryListDocs(target)
	if err != nil {
		return err
	}
	keep := 2 + s.rng.IntN(articles-2) // document lines kept whole: 2 .. articles-1
	damaged := strings.Join(lines[:1+keep], "")
	want := []string{"the export is truncated", "no end line"}
	if cut {
		next := lines[1+keep]
		damaged += next[:1+s.rng.IntN(len(next)-3)] // never a whole JSON value
		want = []string{"the export is cut mid-line", fmt.Sprintf("line %d", keep+2)}
	}
	file := filepath.Join(s.work, fmt.Sprintf("damaged-%d.jsonl", trial))
	if err := os.WriteFile(file, []byte(damaged), 0o644); err != nil {
		return err
	}
	r := s.run(target, "import", file)
	if err := healthy(r); err != nil {
		return err
	}
	if r.code == 0 {
		return fmt.Errorf("WRONG ANSWER: an export cut after %d of %d documents imported with exit 0: %s", keep, articles, r)
	}
	for _, w := range append(want, "re-export", "nothing was imported") {
		if !strings.Contains(r.err, w) {
			return fmt.Errorf("the failure does not say %q: %s", w, r)
		}
	}
	after, err := s.tryListDocs(target)
	if err != nil {
		return err
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		return fmt.Errorf("the failed import changed the collection: %d articles differ (%d before, %d after)", diffCount(after, before)+diffCount(before, after), len(before), len(after))
	}
	// Searches answer as before: kept articles are found by every mode, a
	// deleted one that was in the cut export is not brought back.
	for _, i := range []int{1, 1 + 2*s.rng.IntN(articles/2)} {
		for _, mode := range []string{"bm25", "hybrid"} {
			if err := s.checkSearch(s.ollama, target, mode, i, s.words1[i], true); err != nil {
				return fmt.Errorf("after the failed import: %w", err)
			}
		}
	}
	out, r, err := s.search(s.ollama, target, "bm25", s.words1[0])
	if err != nil {
		return err
	}
	for _, res := range out.Results {
		if res.DocID == s.ids[0] {
			return fmt.Errorf("after the failed import, bm25 finds the deleted %s: %s", s.ids[0], r)
		}
	}
	return nil
}
