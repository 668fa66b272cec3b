package nn

import "testing"

// TestMonitorBetter: an improvement must beat the reference by more than
// min_delta in the monitored direction, as Keras's monitor_op(current -
// min_delta, best) with the delta's sign set by the mode; an equal value
// is not an improvement.
func TestMonitorBetter(t *testing.T) {
	minMon, err := newMonitor("test", "val_loss", "auto")
	if err != nil {
		t.Fatal(err)
	}
	maxMon, err := newMonitor("test", "val_accuracy", "auto")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mon                       watched
		current, reference, delta float64
		want                      bool
	}{
		{minMon, 0.9, 1, 0, true},
		{minMon, 1, 1, 0, false},
		{minMon, 0.95, 1, 0.1, false},
		{minMon, 0.85, 1, 0.1, true},
		{maxMon, 0.6, 0.5, 0, true},
		{maxMon, 0.5, 0.5, 0, false},
		{maxMon, 0.55, 0.5, 0.1, false},
		{maxMon, 0.65, 0.5, 0.1, true},
	}
	for _, c := range cases {
		if got := c.mon.better(c.current, c.reference, c.delta); got != c.want {
			t.Errorf("max %v: better(%v, %v, delta %v) = %v, want %v", c.mon.max, c.current, c.reference, c.delta, got, c.want)
		}
	}
}
