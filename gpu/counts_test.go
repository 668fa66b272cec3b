package gpu_test

import (
	"context"
	"io"
	"testing"

	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// keepPrograms is the Vulkan backend, remembering the programs it compiles
// so that a test can read their recorded counts.
type keepPrograms struct {
	*gpu.Backend
	progs []tensor.Program
}

func (k *keepPrograms) Compile(p *tensor.Plan) (tensor.Program, error) {
	prog, err := k.Backend.Compile(p)
	if err == nil {
		k.progs = append(k.progs, prog)
	}
	return prog, err
}

// TestReferenceStepCounts records the training step of the reference FNN
// and CNN at their real CIFAR-10 size and batch 32 and logs its dispatches
// and barriers (the fixed cost of a step that kernel fusion reduces; run
// with -v to read them). It checks that the counts are consistent: every
// barrier the program places sits between dispatches.
func TestReferenceStepCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	b := openModelBackend(t)
	const batch = 32
	for _, name := range []string{"fnn", "cnn"} {
		t.Run(name, func(t *testing.T) {
			m, err := models.Build(name, models.CIFAR10)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			k := &keepPrograms{Backend: b}
			if err := m.SetBackend(k); err != nil {
				t.Fatal(err)
			}
			if err := m.Compile(nn.Adam(0.001), "categorical_crossentropy", "accuracy"); err != nil {
				t.Fatal(err)
			}
			x, y, err := selftest.RandomImages(models.CIFAR10, batch)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: batch, Epochs: 1, Seed: 1, Out: io.Discard}); err != nil {
				t.Fatal(err)
			}
			if len(k.progs) == 0 {
				t.Fatal("Fit compiled no program")
			}
			c, err := gpu.RecordedCounts(k.progs[0], tensor.Train)
			if err != nil {
				t.Fatal(err)
			}
			e, err := gpu.RecordedCounts(k.progs[0], tensor.Eval)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s batch %d: train step %d dispatches, %d barriers; evaluation step %d dispatches, %d barriers",
				name, batch, c.Dispatches, c.Barriers, e.Dispatches, e.Barriers)
			for _, c := range []gpu.Counts{c, e} {
				if c.Dispatches == 0 || c.Barriers < 1 || c.Barriers > c.Dispatches {
					t.Errorf("%d dispatches and %d barriers: want at least one dispatch and from 1 to one barrier per dispatch", c.Dispatches, c.Barriers)
				}
			}
		})
	}
}
