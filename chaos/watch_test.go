package chaos_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// watchTrials is how many times a watch is killed during a burst.
var watchTrials = trials{10, 2}

// killWatch returns the fault "SIGKILL watch during a burst": a collection
// indexed from a folder holding v1 of the corpus is watched, every file of
// the folder is rewritten to v2 at once (a `git checkout`), and the watch
// is SIGKILLed at a random time while it indexes the burst. Afterwards
// every article is one whole version, searches answer or say why, and a
// restarted watch catches up: the collection converges to v2, and BM25
// finds the v2 words.
func (s *suite) killWatch() func(trial int) error {
	folder := filepath.Join(s.work, "watched")
	base := filepath.Join(s.work, "watch-base")
	reset := func() {
		os.RemoveAll(folder)
		copyDir(s.t, s.v1, folder)
	}
	prepare := func() error {
		reset()
		if r := s.run(base, "index", folder); r.code != 0 {
			return fmt.Errorf("index the folder: %s", r)
		}
		if got := s.listDocs(base); fmt.Sprint(got) != fmt.Sprint(s.ref1) {
			return fmt.Errorf("the folder's collection differs from the reference v1 in %d articles", diffCount(got, s.ref1))
		}
		return nil
	}
	prepared, errPrepare := false, error(nil)
	// startWatch starts a watch and waits until its first sync is done.
	startWatch := func(data string) (func() error, func() bool, error) {
		c, out, errOut := s.start(s.ollama, data, "watch")
		for start := time.Now(); !strings.Contains(out.String(), "watching "); time.Sleep(20 * time.Millisecond) {
			if time.Since(start) > commandTimeout || c.ProcessState != nil {
				c.Process.Kill()
				c.Wait()
				return nil, nil, fmt.Errorf("watch did not start: %s %s", out.String(), errOut.String())
			}
		}
		stop := func() error {
			c.Process.Signal(syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					return fmt.Errorf("watch ended with %v: %s %s", err, out.String(), errOut.String())
				}
				return nil
			case <-time.After(commandTimeout):
				c.Process.Kill()
				return fmt.Errorf("watch hung on SIGINT: %s %s", out.String(), errOut.String())
			}
		}
		kill := func() bool { return killAfter(c, 0) }
		return stop, kill, nil
	}
	return func(trial int) error {
		if !prepared {
			prepared, errPrepare = true, prepare()
		}
		if errPrepare != nil {
			return errPrepare
		}
		reset()
		data := s.tempData()
		copyDir(s.t, base, data)
		_, kill, err := startWatch(data)
		if err != nil {
			return err
		}
		copyDir(s.t, s.v2, folder) // the burst: every file rewritten
		time.Sleep(s.randDur(0, 300*time.Millisecond+s.t2*6/5))
		kill()
		if err := s.checkVersions(data, s.ref1, s.ref2); err != nil {
			return err
		}
		for _, i := range s.sample(4) {
			if err := s.checkSearch(s.ollama, data, "bm25", i, s.words2[i], false); err != nil {
				return err
			}
		}
		// A restart catches up by content hash.
		stop, _, err := startWatch(data)
		if err != nil {
			return fmt.Errorf("restart: %w", err)
		}
		if err := stop(); err != nil {
			return err
		}
		return s.checkConverged(data, s.ref2, s.words2)
	}
}
