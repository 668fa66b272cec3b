package nn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/tensor"
)

// A layer whose weights cannot fit in memory is an error, not a fatal
// 3.1 TB allocation.
func TestHugeLayerIsAnError(t *testing.T) {
	_, err := NewSequential(Dense(1_000_000_000, WithInputShape(784)))
	var e *hostmem.Error
	if !errors.As(err, &e) || e.Need != 784*1_000_000_000*4 {
		t.Fatalf("Dense(1e9) on 784 inputs: %v", err)
	}
	for _, want := range []string{"kernel variable of shape (784, 1000000000) would need 2.9 TiB", "reduce the layer's size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	// The same check under a small explicit budget, and the layer stays
	// usable once it fits.
	t.Setenv(hostmem.EnvLimit, "1M")
	if _, err := NewSequential(Dense(1000, WithInputShape(784))); !errors.As(err, &e) {
		t.Errorf("a 3 MiB kernel under a 1 MiB budget: %v", err)
	}
	t.Setenv(hostmem.EnvLimit, "100M")
	if _, err := NewSequential(Dense(1000, WithInputShape(784))); err != nil {
		t.Errorf("a 3 MiB kernel under a 100 MiB budget: %v", err)
	}
}

// Fit, Evaluate and Predict cap the batch at the number of samples, as
// Keras does, so an absurd batch size costs nothing.
func TestBatchIsCappedAtTheData(t *testing.T) {
	m, err := NewSequential(Dense(1, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromData([]float32{-1, 0, 1, 2}, 4, 1)
	y, _ := tensor.FromData([]float32{-3, -1, 1, 3}, 4, 1)
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, BatchSize: 1 << 30, Epochs: 2}); err != nil {
		t.Fatal(err)
	}
	if m.run.batch != 4 {
		t.Errorf("Fit compiled a plan for batch %d, want 4", m.run.batch)
	}
	if _, err := m.Evaluate(x, y, 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(x, 1<<30); err != nil {
		t.Fatal(err)
	}
	if m.run.batch != 4 {
		t.Errorf("Evaluate or Predict compiled a plan for batch %d, want 4", m.run.batch)
	}
}
