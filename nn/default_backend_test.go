package nn

import (
	"errors"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// nn's tests (and examples) run on the CPU reference backend, registered
// here as package backend registers it for programs: nn itself imports no
// backend.
func init() { SetDefaultBackend(openCPU) }

func openCPU() tensor.Backend { return cpuref.New() }

// TestNoDefaultBackend: without SetBackend or a registered default, a model
// that must run says how to get a backend instead of failing obscurely.
func TestNoDefaultBackend(t *testing.T) {
	SetDefaultBackend(nil)
	t.Cleanup(func() { SetDefaultBackend(openCPU) })
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	x := mustTensor(t, []float32{1, 2}, 2, 1)
	_, err := m.Predict(x, 0)
	if !errors.Is(err, ErrNoBackend) || !strings.Contains(err.Error(), "anvil/backend") {
		t.Fatalf("Predict without a backend: err = %v, want ErrNoBackend naming package backend", err)
	}
	if err := m.SetBackend(cpuref.New()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(x, 0); err != nil {
		t.Errorf("Predict after SetBackend: %v", err)
	}
}
