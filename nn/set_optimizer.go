package nn

import "fmt"

// SetOptimizer replaces the optimizer of a compiled model, keeping its
// weights, loss, metrics and step count (the dropout masks follow the step
// count, so a resumed run keeps its masks). It takes effect from the next
// training step. The new optimizer's slots (momentum, Adam's moments,
// RMSprop's mean square) start at zero, as a fresh optimizer's do; Adam's
// bias correction, however, continues from the model's step count, so a
// new Adam takes full-size steps from the start instead of warming up (a
// new Nadam's schedule product likewise starts at zero, so it takes no bias
// correction either).
// To change only the learning rate, call Optimizer().SetLearningRate.
func (m *Model) SetOptimizer(opt Optimizer) error {
	if m.compiled == nil {
		return fmt.Errorf("set optimizer of %q: call Compile first", m.name)
	}
	if err := checkOptimizer(opt); err != nil {
		return fmt.Errorf("set optimizer of %q: %w", m.name, err)
	}
	// The program has the old update rule built in: drop it (keeping the
	// weights on the host) so that the next step lowers the new one.
	if err := m.closeRunner(); err != nil {
		return fmt.Errorf("set optimizer of %q: %w", m.name, err)
	}
	m.compiled.opt = opt
	m.compiled.slots = map[*Variable][][]float32{}
	return nil
}
