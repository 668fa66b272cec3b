package nn

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestSchedulesMatchKerasFormulas: values written out by hand from the
// formulas in Keras's documentation of each schedule.
func TestSchedulesMatchKerasFormulas(t *testing.T) {
	cases := []struct {
		name string
		s    LearningRateSchedule
		step uint64
		want float64
	}{
		// initial * rate ^ (step / decay_steps)
		{"exp 0", ExponentialDecay(0.1, 10, 0.5, false), 0, 0.1},
		{"exp 5", ExponentialDecay(0.1, 10, 0.5, false), 5, 0.1 * 0.70710678118654752},
		{"exp 25", ExponentialDecay(0.1, 10, 0.5, false), 25, 0.1 * 0.17677669529663688},
		{"exp stair 15", ExponentialDecay(0.1, 10, 0.5, true), 15, 0.05},
		{"exp stair 20", ExponentialDecay(0.1, 10, 0.5, true), 20, 0.025},
		// initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay) / decay)) + alpha)
		{"cos 0", CosineDecay(0.1, 100, 0, 0, 0), 0, 0.1},
		{"cos 25", CosineDecay(0.1, 100, 0, 0, 0), 25, 0.1 * 0.85355339059327376},
		{"cos 50", CosineDecay(0.1, 100, 0, 0, 0), 50, 0.05},
		{"cos 100", CosineDecay(0.1, 100, 0, 0, 0), 100, 0},
		{"cos 150 held", CosineDecay(0.1, 100, 0, 0, 0), 150, 0},
		{"cos alpha 50", CosineDecay(0.1, 100, 0.1, 0, 0), 50, 0.055},
		{"cos alpha end", CosineDecay(0.1, 100, 0.1, 0, 0), 500, 0.01},
		// warmup: linear from initial to target over warmup_steps, then the
		// cosine from target over decay_steps.
		{"warm 0", CosineDecay(0, 100, 0, 0.1, 10), 0, 0},
		{"warm 5", CosineDecay(0, 100, 0, 0.1, 10), 5, 0.05},
		{"warm 10", CosineDecay(0, 100, 0, 0.1, 10), 10, 0.1},
		{"warm 60", CosineDecay(0, 100, 0, 0.1, 10), 60, 0.05},
		{"warm 110", CosineDecay(0, 100, 0, 0.1, 10), 110, 0},
		{"warm 999", CosineDecay(0.01, 100, 0, 0.1, 10), 999, 0},
		{"warm from 0.01", CosineDecay(0.01, 100, 0, 0.1, 10), 3, 0.01 + 0.09*0.3},
		// values[i] while step <= boundaries[i]
		{"pw 0", PiecewiseConstantDecay([]int{100, 200}, []float64{1, 0.5, 0.1}), 0, 1},
		{"pw 100", PiecewiseConstantDecay([]int{100, 200}, []float64{1, 0.5, 0.1}), 100, 1},
		{"pw 101", PiecewiseConstantDecay([]int{100, 200}, []float64{1, 0.5, 0.1}), 101, 0.5},
		{"pw 200", PiecewiseConstantDecay([]int{100, 200}, []float64{1, 0.5, 0.1}), 200, 0.5},
		{"pw 201", PiecewiseConstantDecay([]int{100, 200}, []float64{1, 0.5, 0.1}), 201, 0.1},
	}
	for _, c := range cases {
		if got := c.s.At(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: At(%d) = %.17g, want %.17g", c.name, c.step, got, c.want)
		}
	}
}

// TestScheduleDrivesEverySteps: Fit gives each step the schedule's rate at
// Keras's iteration count (0 for the first update), rounded to float32,
// and LearningRate reports it.
func TestScheduleDrivesEveryStep(t *testing.T) {
	sched := ExponentialDecay(0.01, 3, 0.5, true)
	m := tinyModel(t, &SGDOptimizer{Schedule: sched})
	rates := &rateLog{}
	x := mustTensor(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 8, 1)
	if _, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 2, Callbacks: []Callback{rates}}); err != nil {
		t.Fatal(err)
	}
	if len(rates.r) != 8 {
		t.Fatalf("%d steps, want 8", len(rates.r))
	}
	for i, got := range rates.r {
		want := float32(0.01 * math.Pow(0.5, float64(i/3)))
		if got != want {
			t.Errorf("step %d ran at %v, want %v", i, got, want)
		}
	}
	// ReduceLROnPlateau cannot fight a schedule.
	_, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Callbacks: []Callback{ReduceLROnPlateau()}})
	wantErr(t, err, "follows a schedule")
}

type rateLog struct {
	BaseCallback
	r []float32
}

func (l *rateLog) OnTrainBatchEnd(int, Logs) error {
	l.r = append(l.r, l.Model().Optimizer().LearningRate())
	return nil
}

// TestScheduleSurvivesCheckpoint: the schedule is saved in Keras's
// serialized form and comes back equal.
func TestScheduleSurvivesCheckpoint(t *testing.T) {
	for _, s := range []LearningRateSchedule{
		ExponentialDecay(0.01, 3, 0.5, true),
		CosineDecay(0.001, 1000, 0.1, 0.01, 50),
		CosineDecay(0.001, 1000, 0, 0, 0),
		PiecewiseConstantDecay([]int{10, 20}, []float64{0.1, 0.01, 0.001}),
	} {
		m := tinyModel(t, &AdamOptimizer{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, Schedule: s})
		dir := filepath.Join(t.TempDir(), "ckpt")
		if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: 1}); err != nil {
			t.Fatal(err)
		}
		back, _, err := LoadCheckpoint(dir)
		if err != nil {
			t.Fatalf("%s: %v", s.Name(), err)
		}
		got := back.Optimizer().(*AdamOptimizer).Schedule
		for _, step := range []uint64{0, 5, 15, 60, 2000} {
			if got == nil || got.At(step) != s.At(step) {
				t.Errorf("%s after load: %v, want the same rates", s.Name(), got)
				break
			}
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		s    LearningRateSchedule
		want string
	}{
		{ExponentialDecay(0.1, 0, 0.5, false), "decay_steps 0"},
		{CosineDecay(0.1, 10, 2, 0, 0), "alpha 2"},
		{PiecewiseConstantDecay([]int{5}, []float64{1}), "need 2 values"},
		{PiecewiseConstantDecay([]int{5, 3}, []float64{1, 2, 3}), "increasing"},
	} {
		ClearSession()
		m, _ := NewSequential(Dense(1, WithInputShape(1)))
		wantErr(t, m.Compile(&SGDOptimizer{Schedule: c.s}, "mse"), c.want)
	}
}

// TestScheduleInChunks: steps that share one submission each run at their
// own scheduled rate, so chunking changes no weight.
func TestScheduleInChunks(t *testing.T) {
	x := mustTensor(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 8, 1)
	var got [2][]*tensor.Tensor
	var init []*tensor.Tensor
	for i, chunk := range []int{1, 8} {
		m := tinyModel(t, &SGDOptimizer{Schedule: ExponentialDecay(0.05, 1, 0.5, false)})
		if init == nil {
			var err error
			if init, err = m.GetWeights(); err != nil {
				t.Fatal(err)
			}
		} else if err := m.SetWeights(init); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 1, NoShuffle: true, StepsPerExecution: chunk}); err != nil {
			t.Fatal(err)
		}
		w, err := m.GetWeights()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = w
	}
	for j := range got[0] {
		if !slices.Equal(got[0][j].Data, got[1][j].Data) {
			t.Errorf("weight %d: %v in single steps, %v in chunks", j, got[0][j].Data, got[1][j].Data)
		}
	}
}
