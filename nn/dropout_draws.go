package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// DropoutDraws returns the uniform numbers behind the dropout masks of one
// training step, so that another implementation can apply exactly Anvil's
// masks: one slice per call of a Dropout layer with a positive rate, in the
// model's node order, holding rows·size values for a call whose input has
// size values per sample. Element i of sample n is kept when
// draws[n·size+i] ≥ rate (tensor.Dropout's rule). step is the 1-based
// optimizer step Fit counts (the first Fit of a compiled model starts at
// 1) and seed the one Fit uses (FitOptions.Seed, or the global seed).
func (m *Model) DropoutDraws(seed, step uint64, rows int) ([][]float32, error) {
	if rows <= 0 || step == 0 {
		return nil, fmt.Errorf("dropout draws of %q: rows %d and step %d must be positive", m.name, rows, step)
	}
	var out [][]float32
	for i, n := range m.nodes {
		d, ok := n.layer.impl.(*dropoutLayer)
		if !ok || n.inputs == nil || d.rate == 0 {
			continue
		}
		salt := nodeSalt(n, i)
		u := make([]float32, rows*d.outShape.Size())
		for j := range u {
			u[j] = tensor.Uniform(seed, step, salt, uint32(j))
		}
		out = append(out, u)
	}
	return out, nil
}
