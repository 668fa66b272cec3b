package nn

import (
	"context"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// After SetOptimizer the model trains with the new update rule from zero
// slots and keeps its weights and step count: one SGD step from the
// current weights moves them by exactly -lr * gradient.
func TestSetOptimizerSwitchesTheUpdateRule(t *testing.T) {
	m, err := NewSequential(Dense(1, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "mse"); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromData([]float32{1, 2}, 2, 1)
	y, _ := tensor.FromData([]float32{3, 5}, 2, 1)
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 2, NoShuffle: true}); err != nil {
		t.Fatal(err)
	}
	step := m.compiled.step
	if err := m.SetOptimizer(&SGDOptimizer{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	w0, _ := m.GetWeights()
	k, b := float64(w0[0].Data[0]), float64(w0[1].Data[0])
	// d/dk mean((k x + b - y)^2) = mean(2 (k x + b - y) x); likewise for b.
	var gk, gb float64
	for i, xi := range []float64{1, 2} {
		e := k*xi + b - []float64{3, 5}[i]
		gk += e * xi
		gb += e
	}
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 2, NoShuffle: true}); err != nil {
		t.Fatal(err)
	}
	w1, _ := m.GetWeights()
	if got, want := float64(w1[0].Data[0]), k-0.1*gk; math.Abs(got-want) > 1e-5 {
		t.Errorf("kernel after one SGD step: %v, want %v", got, want)
	}
	if got, want := float64(w1[1].Data[0]), b-0.1*gb; math.Abs(got-want) > 1e-5 {
		t.Errorf("bias after one SGD step: %v, want %v", got, want)
	}
	if m.compiled.step != step+1 || m.Optimizer().Name() != "SGD" {
		t.Errorf("step %d (want %d), optimizer %s", m.compiled.step, step+1, m.Optimizer().Name())
	}
	if err := m.SetOptimizer(&SGDOptimizer{LR: 0}); err == nil {
		t.Error("SetOptimizer accepted a zero learning rate")
	}
}
