// Package faults injects device faults for tests: a Vulkan device that is
// lost, or runs out of memory, at a chosen queue submission. The device
// code asks Submit before each submission; only tests arm it (package gpu's
// tests and cmd/train's), so production code never sees a fault. It lives
// outside gpu/internal so that tests of the CLI, which cannot import the
// Vulkan toolkit, can arm it too.
package faults

import "sync/atomic"

// Kind is the fault a submission reports.
type Kind int32

// The faults.
const (
	None        Kind = iota
	DeviceLost       // VK_ERROR_DEVICE_LOST
	OutOfMemory      // VK_ERROR_OUT_OF_DEVICE_MEMORY
)

var (
	countdown atomic.Int64 // submissions until the fault; 0 when disarmed
	kind      atomic.Int32
	submits   atomic.Int64 // every submission Submit has seen
	// when, if set, arms the fault by a condition instead of a count.
	when atomic.Pointer[func() bool]
)

// FailSubmitAfter arms a fault: the n-th queue submission from now (1 is
// the next) fails with k. n ≤ 0 or k == None disarms it. The fault fires
// once; a lost device then refuses all work by itself.
func FailSubmitAfter(n int, k Kind) {
	when.Store(nil)
	if n <= 0 || k == None {
		countdown.Store(0)
		return
	}
	kind.Store(int32(k))
	countdown.Store(int64(n))
}

// FailSubmitWhen arms a fault by a condition: the first queue submission
// for which cond returns true fails with k. Tests use it to aim a fault at
// a point of a run (after the first checkpoint, say) that a count of
// submissions cannot pin, since a run's submissions vary with timing (the
// progress monitor reads the device every so often). FailSubmitAfter
// disarms it.
func FailSubmitWhen(cond func() bool, k Kind) {
	countdown.Store(0)
	if cond == nil || k == None {
		when.Store(nil)
		return
	}
	kind.Store(int32(k))
	when.Store(&cond)
}

// Submit counts one queue submission and returns the fault it must report,
// None almost always.
func Submit() Kind {
	submits.Add(1)
	if c := when.Load(); c != nil && (*c)() {
		if when.CompareAndSwap(c, nil) {
			return Kind(kind.Load())
		}
	}
	if countdown.Load() <= 0 {
		return None
	}
	if countdown.Add(-1) == 0 {
		return Kind(kind.Load())
	}
	return None
}

// Submissions is how many queue submissions the process has made: tests
// count the submissions a run makes to aim a fault at a later one.
func Submissions() int64 { return submits.Load() }
