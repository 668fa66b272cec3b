package nn

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// fitRanks trains size replicas of parallelModel from the same weights on
// blobs(101), each model and its options set up by perRank, and fails on
// any error. It returns the replicas.
func fitRanks(t *testing.T, size int, o FitOptions, perRank func(rank int, m *Model, o *FitOptions)) []*Model {
	t.Helper()
	ClearSession()
	init := weightsOf(t, parallelModel(t))
	x, y := blobs(101)
	models := make([]*Model, size)
	opts := make([]FitOptions, size)
	for r := range size {
		models[r] = parallelModel(t)
		if err := models[r].SetWeights(init); err != nil {
			t.Fatal(err)
		}
		opts[r] = o
		perRank(r, models[r], &opts[r])
	}
	fitTogether(t, models, x, y, opts)
	return models
}

// TestParallelProgressOnRankZeroOnly: in data-parallel training only
// replica 0 prints Keras's progress, each epoch numbered 1-based; the
// others print nothing.
func TestParallelProgressOnRankZeroOnly(t *testing.T) {
	outs := make([]bytes.Buffer, 2)
	fitRanks(t, 2, FitOptions{Verbose: 2, Epochs: 2, BatchSize: 16, Seed: 3}, func(r int, _ *Model, o *FitOptions) { o.Out = &outs[r] })
	got := outs[0].String()
	for _, want := range []string{"Epoch 1/2\n", "Epoch 2/2\n", "loss: "} {
		if !strings.Contains(got, want) {
			t.Errorf("replica 0 printed %q, want it to contain %q", got, want)
		}
	}
	if outs[1].Len() != 0 {
		t.Errorf("replica 1 printed %q, want nothing", outs[1].String())
	}
}

// TestParallelOnProgressMatchesOneProcess: one replica of data-parallel
// training covers every row, so its OnProgress report at the end of each
// epoch gives the epoch's running means, the same as the one-process Fit
// reports (to float32 rounding of the sums: 1e-6 relative).
func TestParallelOnProgressMatchesOneProcess(t *testing.T) {
	o := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16, Seed: 3}
	last := func(reports *[]Progress) func(Progress) error {
		return func(p Progress) error {
			if p.Step == p.Steps {
				*reports = append(*reports, p)
			}
			return nil
		}
	}
	var one, par []Progress
	ClearSession()
	m := parallelModel(t)
	x, y := blobs(101)
	oo := o
	oo.OnProgress = last(&one)
	if _, err := m.Fit(context.Background(), x, y, oo); err != nil {
		t.Fatal(err)
	}
	fitRanks(t, 1, o, func(_ int, _ *Model, o *FitOptions) { o.OnProgress = last(&par) })
	if len(one) != 2 || len(par) != 2 {
		t.Fatalf("%d and %d end-of-epoch reports, want 2 each", len(one), len(par))
	}
	for e := range one {
		for i, name := range one[e].Names {
			a, b := one[e].Values[i], par[e].Values[i]
			if math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)) {
				t.Errorf("epoch %d %s: one process reports %.7f, one replica %.7f", e+1, name, a, b)
			}
		}
	}
}

// TestParallelResumeKeepsTheEpochsMeans: a one-replica data-parallel run
// stopped after step 1 and resumed there ends the epoch with the same
// logs and the same end-of-epoch OnProgress means as the unbroken run:
// the resumed sums are counted once, on replica 0, together with the rows
// behind them.
func TestParallelResumeKeepsTheEpochsMeans(t *testing.T) {
	ClearSession()
	x, y := blobs(150)
	init := weightsOf(t, parallelModel(t))
	o := FitOptions{Verbose: Silent, BatchSize: 32, Epochs: 1, Seed: 4}
	fresh := func() *Model {
		m := parallelModel(t)
		if err := m.SetWeights(init); err != nil {
			t.Fatal(err)
		}
		return m
	}
	run := func(ctx context.Context, m *Model, o FitOptions) (*History, []Progress, error) {
		var ends []Progress
		o.Parallel = fakeComm{w: newFakeWorld(1), rank: 0}
		o.OnProgress = func(p Progress) error {
			if p.Step == p.Steps {
				ends = append(ends, p)
			}
			return nil
		}
		h, err := m.Fit(ctx, x, y, o)
		return h, ends, err
	}
	wantH, wantP, err := run(context.Background(), fresh(), o)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	m := fresh()
	_, _, err = run(cancelled, m, o)
	var stop *Interrupted
	if !errors.As(err, &stop) || stop.Step != 1 {
		t.Fatalf("Fit = %v, want an Interrupted after step 1", err)
	}
	o.InitialEpoch, o.InitialStep, o.InitialSums = stop.Epoch, stop.Step, stop.Sums
	gotH, gotP, err := run(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotP) != 1 || len(wantP) != 1 {
		t.Fatalf("%d and %d end-of-epoch reports, want 1 each", len(gotP), len(wantP))
	}
	for i, name := range wantP[0].Names {
		a, b := wantP[0].Values[i], gotP[0].Values[i]
		if math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)) {
			t.Errorf("%s: unbroken run reports %.7f at the epoch's end, resumed run %.7f", name, a, b)
		}
		a, b = wantH.Metrics[name][0], gotH.Metrics[name][0]
		if math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)) {
			t.Errorf("%s: unbroken run's epoch %.7f, resumed run's %.7f", name, a, b)
		}
	}
}

// TestParallelBroadcastsTheStep: replica 0's optimizer step count, as a
// checkpoint would restore it, reaches every replica, all 48 bits of it
// (sent as three 16-bit floats): after an epoch of 7 steps each replica
// is at replica 0's step plus 7.
func TestParallelBroadcastsTheStep(t *testing.T) {
	const start = 3<<32 | 2<<16 | 5
	models := fitRanks(t, 2, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 16, Seed: 3}, func(r int, m *Model, _ *FitOptions) {
		if r == 0 {
			m.compiled.step = start
		}
	})
	for r, m := range models {
		if m.compiled.step != start+7 {
			t.Errorf("replica %d ends at step %#x, want %#x", r, m.compiled.step, uint64(start+7))
		}
	}
}
