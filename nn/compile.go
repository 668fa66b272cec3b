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
//
// A metric's settings follow its name in parentheses, with Keras's
// argument names: "auc(num_thresholds=100)", "precision(thresholds=0.7)",
// "f1_score(average=macro, threshold=0.5)", "top_k_categorical_accuracy(k=3)";
// Keras's class names ("AUC", "F1Score", ...) work too, and the result is
// reported under Keras's default name ("auc", "f1_score", ...).
// precision, recall, auc, f1_score and fbeta_score are Keras's stateful
// metrics: their true and false positives and negatives accumulate on the
// device over the whole epoch, and the result is computed from those
// counts, not averaged over batches. As in Keras they treat every output
// element as a binary decision (a 10-class one-hot output gives 10
// decisions per sample) and a target as positive when it is not 0.
// precision and recall take thresholds (one value), class_id and top_k; auc
// counts at Keras's evenly spaced thresholds (200 by default) and takes
// curve (ROC, PR) and summation_method (interpolation, minoring,
// majoring); f1_score and fbeta_score (beta) need an average (micro, macro
// or weighted), since Keras's default gives one score per class.
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
	if err := m.checkAugmentation(); err != nil {
		return fmt.Errorf("compile %q: %w", m.name, err)
	}
	c := &compiled{opt: opt, loss: l, slots: map[*Variable][][]float32{}}
	if m.layersPolicy() == PolicyMixedFloat16 { // a layer's dtype (mixed_policy.go)
		c.mixed = newMixedPrecision()
	}
	for _, name := range metrics {
		ms, err := metricByName(name, l, width)
		if err != nil {
			return fmt.Errorf("compile %q: %w", m.name, err)
		}
		if ms.sparseTarget() != l.kind.Sparse() {
			return fmt.Errorf("compile %q: metric %s and loss %s expect different label formats (class indices vs one value per output)", m.name, name, loss)
		}
		for _, prev := range c.metrics {
			if prev.name == ms.name {
				return fmt.Errorf("compile %q: metric %s is listed twice (as %q and %q): its results would share one name", m.name, ms.name, prev.spec, ms.spec)
			}
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
