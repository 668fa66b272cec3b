package nn

import (
	"fmt"
	"math"
)

// splitValidation applies o.ValidationSplit as Keras's fit does: the last
// fraction of d's samples, taken before any shuffling, become
// o.ValidationData, and the first ones the training data.
func (m *Model) splitValidation(d Data, o *FitOptions) (Data, error) {
	v := o.ValidationSplit
	switch {
	case v == 0:
		return d, nil
	case !(v > 0 && v < 1):
		return Data{}, fmt.Errorf("fit %q: ValidationSplit %v: want a fraction between 0 and 1", m.name, v)
	case o.ValidationData != nil || o.ValidationX != nil || o.ValidationSource != nil:
		return Data{}, fmt.Errorf("fit %q: ValidationSplit and validation data both given: give one", m.name)
	}
	n, err := dataRows(d)
	if err != nil {
		return Data{}, fmt.Errorf("fit %q: ValidationSplit: %w", m.name, err)
	}
	at := int(math.Floor(float64(n) * (1 - v))) // Keras's split_at
	if at == 0 || at == n {
		return Data{}, fmt.Errorf("fit %q: %d samples are not enough to split into training and validation data with ValidationSplit %v: give more data or another fraction",
			m.name, n, v)
	}
	val := sliceData(d, at, n)
	o.ValidationData = &val
	return sliceData(d, 0, at), nil
}
