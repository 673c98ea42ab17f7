package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

func repairCommand() *cli.Command {
	return &cli.Command{
		Name:  "repair",
		Usage: "rebuild a collection's BM25 index from its stored passages (no embedding, no Ollama needed)",
		Description: "Brings the BM25 index in line with the stored passages: a damaged or missing index is rebuilt,\n" +
			"documents an interrupted run left in another version are re-sent, and documents no longer stored are removed.\n" +
			"Needs the data directory's write lock (stop `semsearch serve` first, or let it repair on its own).",
		Action: runRepair,
	}
}

func runRepair(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("repair: takes no arguments (choose the collection with --collection)")
	}
	a, err := open(c, true)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := requireCollection(c, a); err != nil {
		return err
	}
	st, err := a.engine.RepairKeywords(c.Context, a.cfg.collection)
	if err != nil {
		return fmt.Errorf("repair: %w", err)
	}
	what := "in line"
	if st.Rebuilt {
		what = "rebuilt (it was damaged or missing)"
	}
	fmt.Fprintf(c.App.Writer, "BM25 index of %q %s: %d documents stored, %d re-sent, %d removed, in %s\n",
		a.cfg.collection, what, st.Documents, st.Replaced, st.Removed, st.Duration.Round(time.Millisecond))
	return nil
}
