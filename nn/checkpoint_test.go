package nn

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// checkpointModel has every piece of state a resume must carry: Adam's step
// count and slots, BatchNormalization's moving statistics, and dropout
// masks that depend on the seed and step.
func checkpointModel(t *testing.T) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(Dense(16, WithInputShape(2), WithActivation("relu")), BatchNormalization(),
		Dropout(0.3), Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

func weightsOf(t *testing.T, m *Model) []*tensor.Tensor {
	t.Helper()
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func sameWeights(a, b []*tensor.Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}

func TestResumeFromCheckpointIsBitIdentical(t *testing.T) {
	const epochs, stopAfter, seed = 4, 2, 11
	x, y := spiral(64)
	opts := FitOptions{Epochs: epochs, BatchSize: 10, Seed: seed}

	whole := checkpointModel(t)
	if _, err := whole.Fit(context.Background(), x, y, opts); err != nil {
		t.Fatal(err)
	}
	want := weightsOf(t, whole)

	dir := filepath.Join(t.TempDir(), "ckpt")
	stop := errors.New("stopped on purpose")
	first := checkpointModel(t)
	seen := newHistory()
	stopping := opts
	stopping.OnEpochEnd = func(e EpochEnd) error {
		epoch := e.Epoch
		seen.add(epoch, e.Logs, 0)
		if epoch+1 < stopAfter {
			return nil
		}
		if err := first.SaveCheckpoint(dir, Checkpoint{Epoch: epoch + 1, Seed: seed, History: seen,
			Meta: map[string]string{"data": "spiral"}}); err != nil {
			return err
		}
		return stop
	}
	if _, err := first.Fit(context.Background(), x, y, stopping); !errors.Is(err, stop) {
		t.Fatalf("Fit = %v, want the stop error", err)
	}

	resumed, c, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Epoch != stopAfter || c.Seed != seed || len(c.History.Epoch) != stopAfter || c.Meta["data"] != "spiral" {
		t.Fatalf("checkpoint %+v", c)
	}
	if !reflect.DeepEqual(c.History.Metrics["loss"], seen.Metrics["loss"]) {
		t.Errorf("history loss %v, saved %v", c.History.Metrics["loss"], seen.Metrics["loss"])
	}
	// A control: the same resume without the optimizer's step count must
	// differ, or this test could not notice lost state.
	careless, _, _ := LoadCheckpoint(dir)
	careless.compiled.step = 0

	resume := opts
	resume.InitialEpoch, resume.Seed = c.Epoch, c.Seed
	for _, m := range []*Model{resumed, careless} {
		if _, err := m.Fit(context.Background(), x, y, resume); err != nil {
			t.Fatal(err)
		}
	}
	if !sameWeights(want, weightsOf(t, resumed)) {
		t.Error("resumed training did not reproduce the uninterrupted run's weights bit for bit")
	}
	if sameWeights(want, weightsOf(t, careless)) {
		t.Error("resuming without the optimizer step gave the same weights: the test is not sensitive")
	}
}

func TestCheckpointRestoresOptimizerSettings(t *testing.T) {
	for _, opt := range []Optimizer{&SGDOptimizer{LR: 0.05, Momentum: 0.9, Nesterov: true},
		&RMSpropOptimizer{LR: 0.002, Rho: 0.8, Momentum: 0.5, Epsilon: 1e-6}, Adam(0.0005)} {
		ClearSession()
		m, _ := NewSequential(Dense(3, WithInputShape(2)), Dense(1))
		if err := m.Compile(opt, "mse", "mae"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := m.SaveCheckpoint(dir, Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		back, _, err := LoadCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		got := back.compiled
		if got.opt.Name() != opt.Name() || !reflect.DeepEqual(got.opt.Config(), opt.Config()) ||
			got.loss.name != "mse" || len(got.metrics) != 1 || got.metrics[0].name != "mae" {
			t.Errorf("%s: restored %s %v, loss %q", opt.Name(), got.opt.Name(), got.opt.Config(), got.loss.name)
		}
	}
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	wantErr(t, m.SaveCheckpoint(t.TempDir(), Checkpoint{}), "not compiled")
}

func TestHistoryWithNonFiniteValuesSurvives(t *testing.T) {
	m := checkpointModel(t)
	h := newHistory()
	h.add(0, map[string]float64{"loss": 1.5, "val_loss": math.Inf(1)}, 2)
	h.add(1, map[string]float64{"loss": 1.25, "val_loss": math.NaN()}, 2)
	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: 2, History: h, Sums: []float64{3, 4}}); err != nil {
		t.Fatal(err)
	}
	_, c, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	v := c.History.Metrics["val_loss"]
	if len(v) != 2 || !math.IsInf(v[0], 1) || !math.IsNaN(v[1]) || c.History.Metrics["loss"][1] != 1.25 || c.Sums[1] != 4 {
		t.Errorf("history %v, sums %v", c.History.Metrics, c.Sums)
	}
	more := newHistory()
	more.add(2, map[string]float64{"loss": 1, "val_loss": 2}, 1)
	c.History.Append(more)
	if len(c.History.Epoch) != 3 || c.History.Metrics["loss"][2] != 1 {
		t.Errorf("appended history %v", c.History)
	}
}

func TestResumeInsideAnEpochFromCheckpoint(t *testing.T) {
	x, y := spiral(64)
	opts := FitOptions{Epochs: 3, BatchSize: 10, Seed: 4}
	whole := checkpointModel(t)
	hWhole, err := whole.Fit(context.Background(), x, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	m := checkpointModel(t)
	// 7 steps per epoch: stop after 7 + 2 steps, inside the second epoch.
	stop := fitUntilStopped(t, m, x, y, opts, 9)
	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir, Checkpoint{Epoch: stop.Epoch, Step: stop.Step, Sums: stop.Sums, Seed: opts.Seed}); err != nil {
		t.Fatal(err)
	}
	resumed, c, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	resume := opts
	resume.InitialEpoch, resume.InitialStep, resume.InitialSums, resume.Seed = c.Epoch, c.Step, c.Sums, c.Seed
	hRest, err := resumed.Fit(context.Background(), x, y, resume)
	if err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, resumed)) {
		t.Error("resuming inside an epoch from a checkpoint did not reproduce the unbroken run bit for bit")
	}
	// The interrupted epoch's loss counts the steps before the stop too.
	if a, b := hWhole.Metrics["loss"][1], hRest.Metrics["loss"][0]; a != b {
		t.Errorf("loss of the interrupted epoch: %v unbroken, %v resumed", a, b)
	}
}
