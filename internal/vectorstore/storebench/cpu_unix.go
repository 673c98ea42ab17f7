//go:build unix

package storebench

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system) the process has used, or
// 0 where unknown: on a busy machine it tells the work done from the
// waiting for a core that wall time includes.
func CPUTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
