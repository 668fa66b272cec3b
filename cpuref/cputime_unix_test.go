//go:build unix

package cpuref

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system. On a
// machine shared with other jobs, work per CPU second is a steadier figure
// than work per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
