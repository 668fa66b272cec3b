package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// Variable is one weight tensor of a layer. Its host copy is the source of
// truth until a model runs; after that the backend's copy is, and the model
// syncs it back before anyone reads it.
type Variable struct {
	// Name is "layer/weight", e.g. "dense/kernel".
	Name string
	// Shape is the weight's full shape (a Dense kernel is [in, units]).
	Shape tensor.Shape
	// Trainable variables get gradients and optimizer updates; the others
	// (BatchNormalization's moving statistics) are updated by their ops.
	Trainable bool

	data []float32
	// reg is the variable's weight penalty, if any (kernel_regularizer).
	reg *Regularizer
}

// Value returns a copy of the variable's host value. Use Model.GetWeights
// for values that reflect training.
func (v *Variable) Value() *tensor.Tensor {
	return &tensor.Tensor{Shape: v.Shape.Clone(), Data: append([]float32(nil), v.data...)}
}
