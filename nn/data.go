package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// checkX validates model inputs: one tensor per input, each with the
// input's per-sample shape, the same sample count, and finite values.
func (m *Model) checkX(xs []*tensor.Tensor, what string) (int, error) {
	if len(xs) != len(m.inputs) {
		return 0, fmt.Errorf("%s: the model has %d inputs, got %d arrays", what, len(m.inputs), len(xs))
	}
	n := -1
	for i, x := range xs {
		want := m.inputs[i].shape
		if x == nil || len(x.Shape) == 0 {
			return 0, fmt.Errorf("%s: input %d is empty", what, i)
		}
		if x.RowSize() != want.Size() || len(x.Data) != x.Shape.Size() {
			return 0, fmt.Errorf("%s: input %d has shape %v, the model expects %v", what, i, x.Shape, want.BatchString())
		}
		if n >= 0 && x.Rows() != n {
			return 0, fmt.Errorf("%s: input %d has %d samples, input 0 has %d", what, i, x.Rows(), n)
		}
		n = x.Rows()
		if j := firstNonFinite(x.Data); j >= 0 {
			return 0, fmt.Errorf("%s: input %d holds %v at sample %d: clean the data first", what, i, x.Data[j], j/x.RowSize())
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: no samples", what)
	}
	return n, m.checkEmbeddingInputs(xs, what)
}

// checkY validates targets against the compiled loss: count, shape and,
// for sparse losses, integer class indices within range.
func (m *Model) checkY(y *tensor.Tensor, n int, what string) error {
	c := m.compiled
	if y == nil || len(y.Shape) == 0 {
		return fmt.Errorf("%s: no labels given", what)
	}
	if y.Rows() != n {
		return fmt.Errorf("%s: %d samples but %d labels; they must match", what, n, y.Rows())
	}
	out := m.output.shape
	width := out[len(out)-1]
	want := c.loss.kind.TargetSize(out.Size(), width)
	if y.RowSize() != want || len(y.Data) != y.Shape.Size() {
		hint := ""
		switch {
		case c.loss.kind == tensor.CategoricalCrossentropy && y.RowSize() == out.Size()/width:
			hint = ": these look like class indices; one-hot encode them with nn.ToCategorical or use sparse_categorical_crossentropy"
		case c.loss.kind.Sparse() && y.RowSize() == out.Size():
			hint = ": these look one-hot; use categorical_crossentropy"
		}
		return fmt.Errorf("%s: labels have shape %v but loss %s with output %v needs %d values per sample%s",
			what, y.Shape, c.loss.name, out.BatchString(), want, hint)
	}
	if j := firstNonFinite(y.Data); j >= 0 {
		return fmt.Errorf("%s: labels hold %v at sample %d", what, y.Data[j], j/want)
	}
	if c.loss.kind.Sparse() {
		for i, v := range y.Data {
			if v < 0 || int(v) >= width || v != float32(math.Trunc(float64(v))) {
				return fmt.Errorf("%s: label %v of sample %d is not a class index in 0..%d", what, v, i/want, width-1)
			}
		}
	}
	return nil
}

func firstNonFinite(xs []float32) int {
	for i, v := range xs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// ToCategorical one-hot encodes class indices (Keras's to_categorical):
// labels of length n become an [n, classes] tensor.
func ToCategorical(labels []int, classes int) (*tensor.Tensor, error) {
	t := tensor.New(len(labels), classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("to_categorical: label %d at index %d is outside 0..%d", l, i, classes-1)
		}
		t.Data[i*classes+l] = 1
	}
	return t, nil
}

func identity(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
