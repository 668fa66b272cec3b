package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// GetWeights returns copies of every variable's current value in Keras
// order: per layer, kernel then bias; BatchNormalization gamma, beta,
// moving mean, moving variance.
func (m *Model) GetWeights() ([]*tensor.Tensor, error) {
	if err := m.syncHost(); err != nil {
		return nil, err
	}
	var out []*tensor.Tensor
	for _, v := range m.Variables() {
		out = append(out, v.Value())
	}
	return out, nil
}

// SetWeights replaces every variable's value, in GetWeights order. The
// count and each shape must match.
func (m *Model) SetWeights(ws []*tensor.Tensor) error {
	vars := m.Variables()
	if len(ws) != len(vars) {
		return fmt.Errorf("set weights of %q: the model has %d weight arrays, got %d", m.name, len(vars), len(ws))
	}
	for i, v := range vars {
		if ws[i] == nil || !ws[i].Shape.Equal(v.Shape) || len(ws[i].Data) != v.Shape.Size() {
			got := "nil"
			if ws[i] != nil {
				got = ws[i].Shape.String()
			}
			return fmt.Errorf("set weights of %q: array %d (%s) must have shape %v, got %s", m.name, i, v.Name, v.Shape, got)
		}
	}
	for i, v := range vars {
		copy(v.data, ws[i].Data)
	}
	if m.run != nil {
		return m.uploadVars()
	}
	return nil
}
