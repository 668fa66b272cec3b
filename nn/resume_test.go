package nn

import (
	"context"
	"errors"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// stepContext reports cancellation from its n-th Err call on: Fit checks
// the context once before each chunk of steps, so with one-step chunks
// (StepsPerExecution 1) it stops after exactly n-1 steps.
type stepContext struct {
	context.Context
	calls, n int
}

func (c *stepContext) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

func resumeModel(t *testing.T) *Model {
	ClearSession()
	m, err := NewSequential(Dense(8, WithInputShape(2), WithActivation("relu")), BatchNormalization(),
		Dropout(0.3), Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInterruptedFitResumesExactly(t *testing.T) {
	x, y := spiral(100)
	opts := FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 16, Seed: 9}
	whole := resumeModel(t)
	hWhole, err := whole.Fit(context.Background(), x, y, opts)
	if err != nil {
		t.Fatal(err)
	}

	m := resumeModel(t)
	// 7 steps per epoch: stop after 7 + 3 steps, inside the second epoch.
	stop := fitUntilStopped(t, m, x, y, opts, 10)
	if stop.Epoch != 1 || stop.Step != 3 || stop.Steps != 7 {
		t.Fatalf("stopped at epoch %d step %d/%d, want epoch 1 step 3/7", stop.Epoch, stop.Step, stop.Steps)
	}
	resumed := opts
	resumed.InitialEpoch, resumed.InitialStep, resumed.InitialSums = stop.Epoch, stop.Step, stop.Sums
	hRest, err := m.Fit(context.Background(), x, y, resumed)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if a, b := hWhole.Metrics["loss"][i+1], hRest.Metrics["loss"][i]; a != b {
			t.Errorf("epoch %d loss %v after resume, %v without interruption", i+2, b, a)
		}
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
		t.Error("resuming inside an epoch did not reproduce the unbroken run bit for bit")
	}
}

// fitUntilStopped runs Fit and cancels it after steps steps, returning
// where it stopped.
func fitUntilStopped(t *testing.T, m *Model, x, y *tensor.Tensor, opts FitOptions, steps int) *Interrupted {
	t.Helper()
	opts.StepsPerExecution = 1
	_, err := m.Fit(&stepContext{Context: context.Background(), n: steps + 1}, x, y, opts)
	var stop *Interrupted
	if !errors.As(err, &stop) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit = %v, want an Interrupted wrapping context.Canceled", err)
	}
	return stop
}

// TestInterruptedChunkedFitResumesExactly: with the chunk sizes Fit picks
// itself, a cancelled Fit stops on a step boundary it reports exactly, and
// resuming there reproduces the unbroken run bit for bit.
func TestInterruptedChunkedFitResumesExactly(t *testing.T) {
	x, y := spiral(300)
	opts := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 4}
	whole := resumeModel(t)
	if _, err := whole.Fit(context.Background(), x, y, opts); err != nil {
		t.Fatal(err)
	}
	m := resumeModel(t)
	_, err := m.Fit(&stepContext{Context: context.Background(), n: 4}, x, y, opts)
	var stop *Interrupted
	if !errors.As(err, &stop) {
		t.Fatalf("Fit = %v, want an Interrupted", err)
	}
	if stop.Step >= stop.Steps {
		t.Fatalf("stopped at epoch %d step %d/%d: want inside the epoch", stop.Epoch, stop.Step, stop.Steps)
	}
	if ran := uint64(stop.Epoch*stop.Steps + stop.Step); m.compiled.step != ran {
		t.Fatalf("the model ran %d steps, Interrupted says %d", m.compiled.step, ran)
	}
	resumed := opts
	resumed.InitialEpoch, resumed.InitialStep, resumed.InitialSums = stop.Epoch, stop.Step, stop.Sums
	if _, err := m.Fit(context.Background(), x, y, resumed); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
		t.Error("resuming after a chunked run did not reproduce the unbroken run bit for bit")
	}
}
