package main

import (
	"slices"
	"time"
)

// timing says how long to keep repeating a measurement.
type timing struct {
	Warmup  int           // untimed runs first (one is always made)
	MinReps int           // timed runs at least...
	MinTime time.Duration // ...and at least this long in all
	MaxReps int           // never more runs than this
	// MaxTime stops early for slow ops: three runs are enough once they
	// took MaxTime, and one is once it alone did.
	MaxTime time.Duration
}

// kernelTiming derives the kernel section's timing from the target
// seconds per measurement.
func kernelTiming(seconds float64, quick bool) timing {
	t := timing{Warmup: 2, MinReps: 5, MinTime: time.Duration(seconds * 0.5 * float64(time.Second)), MaxReps: 2000}
	if quick {
		t.MinReps = 3
	}
	t.MaxTime = 10 * t.MinTime
	return t
}

// samples are the durations of the timed runs.
type samples struct {
	Wall   []time.Duration
	Device []time.Duration // empty unless the program reports device time
}

// measure calls run after warm-up until t is satisfied. dev, when not nil,
// returns the device time of the last run.
func measure(run func() error, dev func() (time.Duration, bool), t timing) (samples, error) {
	var s samples
	for i := 0; i < max(1, t.Warmup); i++ {
		start := time.Now()
		if err := run(); err != nil {
			return s, err
		}
		if time.Since(start) > t.MinTime {
			break // a slow op needs no more warming
		}
	}
	var total time.Duration
	for !t.done(len(s.Wall), total) {
		start := time.Now()
		if err := run(); err != nil {
			return s, err
		}
		d := time.Since(start)
		total += d
		s.Wall = append(s.Wall, d)
		if dev != nil {
			if dd, ok := dev(); ok {
				s.Device = append(s.Device, dd)
			}
		}
	}
	return s, nil
}

func (t timing) done(reps int, total time.Duration) bool {
	switch {
	case reps >= max(1, t.MaxReps):
		return true
	case reps >= t.MinReps && total >= t.MinTime:
		return true
	case t.MaxTime > 0 && total >= t.MaxTime && (reps >= 3 || total/time.Duration(reps) >= t.MaxTime):
		return true
	}
	return false
}

// median returns the middle value (the mean of the two middle values for
// an even count), or 0 for none.
func median[T time.Duration | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
