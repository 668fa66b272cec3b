package nn

import (
	"math"
	"testing"
)

// TestParallelRegularizedClippedMatchesOneProcess: with kernel
// regularizers and global_clipnorm, 12 replicas (the last global batch of
// 203 samples has 11 rows, so one replica has none) take the steps one
// process takes and
// report its loss, penalties included: each replica adds its rows' share
// of the penalty and its gradient before the all-reduce, and clipping acts
// on the reduced gradient. Tolerances as in checkParallelMatches.
func TestParallelRegularizedClippedMatchesOneProcess(t *testing.T) {
	build := func(t *testing.T) *Model {
		t.Helper()
		m, err := NewSequential(
			Dense(24, WithActivation("relu"), WithInputShape(10), WithName("d1"), WithKernelRegularizer(L1L2(0.001, 0.01))),
			Dense(3, WithActivation("softmax"), WithName("out"), WithKernelRegularizer(L2(0.02))))
		if err != nil {
			t.Fatal(err)
		}
		opt := Nadam(0.01)
		opt.GlobalClipNorm = 0.5
		if err := m.Compile(opt, "categorical_crossentropy", "accuracy"); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ClearSession()
	x, y := blobs(203)
	vx, vy := blobs(37)
	o := FitOptions{BatchSize: 32, Epochs: 3, Seed: 11}
	h1, want, h2, ws := fitOneAndReplicas(t, build, 12, x, y, vx, vy, o)
	for i := range want {
		if d := maxAbsDiff(want[i].Data, ws[0][i].Data); d > 1e-5 {
			t.Errorf("weight %d: replicas differ from one process by %.3g", i, d)
		}
	}
	for _, key := range []string{"loss", "val_loss"} {
		for e := range h1.Metrics[key] {
			a, b := h1.Metrics[key][e], h2.Metrics[key][e]
			if math.Abs(a-b) > 1e-4*math.Max(1, math.Abs(a)) {
				t.Errorf("epoch %d %s: one process %.7f, replicas %.7f", e+1, key, a, b)
			}
		}
	}
}
