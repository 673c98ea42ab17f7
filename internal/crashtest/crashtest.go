// Package crashtest kills a writer process at a chosen moment, for the
// crash tests of semsearch's stores: the writer prints "ack N" once its
// op N is durable, and what the store holds after the kill is checked
// against the last op acknowledged.
package crashtest

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Kill starts cmd, SIGKILLs it after delay and returns the last op it
// acknowledged (-1: none) once it has exited.
func Kill(t testing.TB, cmd *exec.Cmd, delay time.Duration) int {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := make(chan int, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack ")); err == nil {
				acked <- n
			}
		}
		close(acked)
	}()
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL)
	last := -1
	for n := range acked {
		last = n
	}
	cmd.Wait()
	return last
}
