package chaos_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// rebuildTrials is how many times the rebuild is killed.
var rebuildTrials = trials{10, 2}

// rebuildArgs re-chunk the collection (the reference runs use the default
// passage size), so a rebuilt article differs from its old version.
var rebuildArgs = []string{"--rebuild", "--chunk-size", "40", "--chunk-overlap", "0"}

// killRebuild returns the fault "SIGKILL index --rebuild": a collection
// holding v1 of the corpus and a note read from stdin (which the rebuild's
// command line does not name) is rebuilt with smaller passages, and the
// rebuild is SIGKILLed at a random time. Afterwards every article, the note
// included, is there whole, and the collection is either all old or all
// rebuilt (the switch is atomic); searches answer or say why; and the next
// rebuild completes with every article, rebuilt, and BM25 finding them.
func (s *suite) killRebuild() func(trial int) error {
	var base, refData string
	var before, after map[string]docInfo
	var took time.Duration
	prepare := func() error {
		base = filepath.Join(s.work, "rebuild-base")
		copyDir(s.t, s.ref1Data, base)
		note := "Harbour note\n\nRenew the " + uniqueWord("zq", 1) + " permit before the storm season, and call the engineers about the wall.\n"
		if r := s.runStdin(base, note, "index", "--id", "note1", "-"); r.code != 0 {
			return fmt.Errorf("index the note: %s", r)
		}
		before = s.listDocs(base)
		if _, ok := before["note1"]; !ok || len(before) != articles+1 {
			return fmt.Errorf("base holds %d articles, want %d and note1", len(before), articles+1)
		}
		refData = filepath.Join(s.work, "rebuild-ref")
		copyDir(s.t, base, refData)
		start := time.Now()
		if r := s.run(refData, "index", append(rebuildArgs, s.use(s.v1))...); r.code != 0 {
			return fmt.Errorf("reference rebuild: %s", r)
		}
		took = time.Since(start)
		after = s.listDocs(refData)
		if len(after) != len(before) || fmt.Sprint(after) == fmt.Sprint(before) {
			return fmt.Errorf("the reference rebuild holds %d articles (before: %d), re-chunked: %t", len(after), len(before), fmt.Sprint(after) != fmt.Sprint(before))
		}
		return nil
	}
	prepared, errPrepare := false, error(nil)
	return func(trial int) error {
		if !prepared { // once; every trial fails if it did
			prepared, errPrepare = true, prepare()
		}
		if errPrepare != nil {
			return errPrepare
		}
		data := s.tempData()
		copyDir(s.t, base, data)
		c, _, _ := s.start(s.ollama, data, "index", append(rebuildArgs, s.use(s.v1))...)
		killAfter(c, s.randDur(0, took*6/5))
		got, err := s.tryListDocs(data)
		if err != nil {
			return err
		}
		old, rebuilt := fmt.Sprint(got) == fmt.Sprint(before), fmt.Sprint(got) == fmt.Sprint(after)
		if !old && !rebuilt {
			return fmt.Errorf("LOST OR MIXED: after the kill the collection holds %d articles (want %d), %d differ from before the rebuild and %d from after it",
				len(got), len(before), diffCount(got, before), diffCount(got, after))
		}
		for _, i := range s.sample(4) {
			if err := s.checkSearch(s.ollama, data, "bm25", i, s.words1[i], false); err != nil {
				return err
			}
		}
		if r := s.run(data, "index", append(rebuildArgs, s.use(s.v1))...); r.code != 0 {
			return fmt.Errorf("the next rebuild: %s", r)
		}
		return s.checkConverged(data, after, s.words1)
	}
}

// runStdin runs a command to completion with stdin.
func (s *suite) runStdin(data, stdin, cmd string, rest ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args := s.args(data, s.ollama, cmd, rest...)
	c := exec.CommandContext(ctx, s.bin, args...)
	var out, errOut bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &errOut
	start := time.Now()
	err := c.Run()
	r := result{args: args, out: out.String(), err: errOut.String(), took: time.Since(start), timedOut: ctx.Err() != nil}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.code = -1
		r.err += "\n(start: " + err.Error() + ")"
	}
	return r
}
