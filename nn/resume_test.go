package nn

import (
	"context"
	"errors"
	"testing"
)

// stepContext reports cancellation from its n-th Err call on: Fit checks
// the context once before each step, so it stops after exactly n-1 steps.
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
	opts := FitOptions{Epochs: 3, BatchSize: 16, Seed: 9}
	whole := resumeModel(t)
	hWhole, err := whole.Fit(context.Background(), x, y, opts)
	if err != nil {
		t.Fatal(err)
	}

	m := resumeModel(t)
	// 7 steps per epoch: stop after 7 + 3 steps, inside the second epoch.
	_, err = m.Fit(&stepContext{Context: context.Background(), n: 11}, x, y, opts)
	var stop *Interrupted
	if !errors.As(err, &stop) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want an Interrupted wrapping context.Canceled", err)
	}
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
	assertSameWeights(t, whole, m)
}

func assertSameWeights(t *testing.T, a, b *Model) {
	t.Helper()
	wa, err := a.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	wb, err := b.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	for i := range wa {
		for j := range wa[i].Data {
			if wa[i].Data[j] != wb[i].Data[j] {
				t.Fatalf("weight %d[%d]: %v vs %v", i, j, wa[i].Data[j], wb[i].Data[j])
			}
		}
	}
}
