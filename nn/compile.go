package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// compiled is what Compile fixes: the optimizer, loss and metrics, and the
// optimizer's step count and slot values while no program holds them.
type compiled struct {
	opt     Optimizer
	loss    lossSpec
	metrics []metricSpec
	step    uint64 // optimizer updates done (Keras's optimizer.iterations)
	slots   map[*Variable][][]float32
	mixed   *mixedPrecision // nil for the float32 policy
}

// Compile configures the model for training with an optimizer, a loss by
// Keras name and metrics by Keras name, e.g.
// m.Compile(nn.Adam(0.0005), "categorical_crossentropy", "accuracy").
func (m *Model) Compile(opt Optimizer, loss string, metrics ...string) error {
	if err := checkOptimizer(opt); err != nil {
		return fmt.Errorf("compile %q: %w", m.name, err)
	}
	if m.output == nil {
		return fmt.Errorf("compile %q: the model has no layers", m.name)
	}
	l, err := lossByName(loss)
	if err != nil {
		return fmt.Errorf("compile %q: %w", m.name, err)
	}
	out := m.output.shape
	width := out[len(out)-1]
	if l.kind.Sparse() && width < 2 {
		return fmt.Errorf("compile %q: loss %s needs one output per class, but the output shape is %v", m.name, loss, out.BatchString())
	}
	c := &compiled{opt: opt, loss: l, slots: map[*Variable][][]float32{}}
	for _, name := range metrics {
		ms, err := metricByName(name, l, width)
		if err != nil {
			return fmt.Errorf("compile %q: %w", m.name, err)
		}
		if ms.sparseTarget() != l.kind.Sparse() {
			return fmt.Errorf("compile %q: metric %s and loss %s expect different label formats (class indices vs one value per output)", m.name, name, loss)
		}
		c.metrics = append(c.metrics, ms)
	}
	m.closeRunner()
	m.compiled = c
	return nil
}

// MetricNames lists what Fit and Evaluate report, in order: "loss" and
// then each compiled metric.
func (m *Model) MetricNames() []string {
	names := []string{"loss"}
	if m.compiled != nil {
		for _, ms := range m.compiled.metrics {
			names = append(names, ms.name)
		}
	}
	return names
}

// SetBackend chooses where the model runs; without it, the model runs on
// the default backend (see SetDefaultBackend). Weights and optimizer state
// carry over.
func (m *Model) SetBackend(b tensor.Backend) error {
	if err := m.closeRunner(); err != nil {
		return err
	}
	m.backend = b
	return nil
}

// Backend returns the backend the model runs on: the one SetBackend chose,
// else a new default backend (SetDefaultBackend), else nil.
func (m *Model) Backend() tensor.Backend {
	if m.backend == nil {
		m.backend = openDefaultBackend()
	}
	return m.backend
}

// Optimizer returns the compiled optimizer, or nil before Compile.
func (m *Model) Optimizer() Optimizer {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.opt
}
