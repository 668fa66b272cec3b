//go:build !unix

package cpuref

import "time"

// cpuTime is not measured here; benchmarks then report no CPU-time rate.
func cpuTime() time.Duration { return 0 }
