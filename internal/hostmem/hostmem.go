// Package hostmem says how much host memory a process may still allocate,
// so that Anvil can refuse a plan or a layer that would not fit with an
// error instead of dying in the Go runtime's "fatal error: out of
// memory", which no caller can recover from.
//
// The budget is the smallest of: $ANVIL_MEMORY_LIMIT (bytes, or with a
// suffix: 512M, 2GiB; for tests and for sharing a machine), the Go memory
// limit (GOMEMLIMIT or debug.SetMemoryLimit) less the heap in use, the
// cgroup v2 limit less the cgroup's usage, and MemAvailable from
// /proc/meminfo. Where none of these exists (not Linux, no limit set),
// the budget is unknown and Check accepts everything.
package hostmem

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// EnvLimit is the environment variable that sets the budget explicitly.
const EnvLimit = "ANVIL_MEMORY_LIMIT"

// Budget is the host memory still available, and where that figure comes
// from; ok is false when nothing tells.
func Budget() (bytes int64, source string, ok bool, err error) {
	bytes = math.MaxInt64
	consider := func(n int64, from string) {
		if n < bytes {
			bytes, source, ok = max(n, 0), from, true
		}
	}
	if v := os.Getenv(EnvLimit); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			return 0, "", false, fmt.Errorf("$%s: %w", EnvLimit, err)
		}
		consider(n, "$"+EnvLimit)
	}
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		consider(limit-int64(ms.HeapAlloc), "the Go memory limit (GOMEMLIMIT)")
	}
	if n, found := cgroupAvailable(); found {
		consider(n, "the cgroup memory limit")
	}
	if n, found := memAvailable(); found {
		consider(n, "MemAvailable in /proc/meminfo")
	}
	return bytes, source, ok, nil
}

// Error says that something does not fit in the host memory budget.
type Error struct {
	What   string // what needed the memory, e.g. "the cpu backend's buffers for batch 4096"
	Need   int64  // bytes needed
	Budget int64  // bytes available
	Source string // where Budget comes from
	Reduce string // what to reduce, e.g. "the batch size or the model size"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s need %s, but only %s of host memory is available (%s): reduce %s",
		e.What, Format(e.Need), Format(e.Budget), e.Source, e.Reduce)
}

// Check returns an *Error when need bytes exceed the budget. what and
// reduce fill in the error's message.
func Check(need int64, what, reduce string) error {
	budget, source, ok, err := Budget()
	if err != nil {
		return err
	}
	if ok && need > budget {
		return &Error{What: what, Need: need, Budget: budget, Source: source, Reduce: reduce}
	}
	return nil
}

// memAvailable reads MemAvailable from /proc/meminfo (Linux only).
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, found := strings.CutPrefix(s.Text(), "MemAvailable:"); found {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}

// cgroupAvailable is the cgroup v2 memory limit less the cgroup's current
// usage, where the process runs under such a limit (a container).
func cgroupAvailable() (int64, bool) {
	limit, err1 := readInt("/sys/fs/cgroup/memory.max") // "max" when unlimited: an error here
	used, err2 := readInt("/sys/fs/cgroup/memory.current")
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return limit - used, true
}

func readInt(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

// ParseSize reads a byte count: a plain number, or one with a suffix K, M,
// G, T (powers of 1024, optionally written KiB, MiB, ...; a B alone is
// allowed).
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			shift, t = 10*(i+1), strings.TrimSpace(t[:n-1])
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is not a byte count (e.g. 1073741824, 512M or 2GiB)", s)
	}
	return n << shift, nil
}

// Format renders a byte count with a binary unit, e.g. "1.5 GiB".
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
