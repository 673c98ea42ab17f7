package main

import (
	"strings"
	"testing"
)

// TestIdleCloseFlag: serve and mcp take --idle-close (SEMSEARCH_IDLE_CLOSE)
// and refuse a negative one, saying what to give.
func TestIdleCloseFlag(t *testing.T) {
	for _, args := range [][]string{{"serve", "--idle-close", "-1s"}, {"mcp", "--idle-close", "-5m"}} {
		_, _, err := run(t, "", append([]string{"--data", t.TempDir()}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "--idle-close") || !strings.Contains(err.Error(), "or 0 to keep collections open") {
			t.Errorf("%v: %v", args, err)
		}
	}
	t.Setenv("SEMSEARCH_IDLE_CLOSE", "-2h")
	if _, _, err := run(t, "", "--data", t.TempDir(), "serve"); err == nil || !strings.Contains(err.Error(), "--idle-close -2h0m0s") {
		t.Errorf("SEMSEARCH_IDLE_CLOSE=-2h: %v", err)
	}
}
