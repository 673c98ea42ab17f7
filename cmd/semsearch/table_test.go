package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 22 item 3: a passage of table rows is printed after its table's
// header row, which --json gives as table_header beside the cited span.
func TestSearch_TableRowsShowHeader(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("# Harbour costs\n\nThe council published the costs of the harbour works.\n\n| Item | Contractor | Cost in pounds |\n|---|---|---:|\n")
	for i := 1; i <= 40; i++ {
		b.WriteString(fmt.Sprintf("| Section %d | outer wall section %d repaired with concrete | %d000 |\n", i, i, i))
	}
	writeFile(t, filepath.Join(dir, "costs.md"), b.String())
	f := newFakeOllama(t, "fake")
	g := f.flags(t.TempDir())
	if _, errOut, code := runExit(t, "", append([]string{"index", dir}, g...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	out, errOut, code := runExit(t, "", append([]string{"search", "--mode", "bm25", "-k", "1", "Section 38 cost"}, g...)...)
	if code != 0 || !strings.Contains(out, "    | Item | Contractor | Cost in pounds |\n    |---|---|---:|\n    | Section ") {
		t.Errorf("search: exit %d, rows shown without their header:\n%s%s", code, out, errOut)
	}
	out, _, _ = runExit(t, "", append([]string{"search", "--json", "--mode", "bm25", "-k", "1", "Section 38 cost"}, g...)...)
	if !strings.Contains(out, `"table_header": "| Item | Contractor | Cost in pounds |\n|---|---|---:|"`) {
		t.Errorf("search --json has no table_header:\n%s", out)
	}
}
