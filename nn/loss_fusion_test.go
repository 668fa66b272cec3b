package nn

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestCrossEntropyFusesWithItsActivation checks which loss the training
// step computes: as Keras does, a cross-entropy after the activation it
// inverts (softmax for the categorical ones, sigmoid for the binary one)
// is computed from the logits, and after any other activation from the
// probabilities as given.
func TestCrossEntropyFusesWithItsActivation(t *testing.T) {
	for _, c := range []struct {
		act, loss string
		want      tensor.LossKind
	}{
		{"softmax", "categorical_crossentropy", tensor.SoftmaxCrossentropy},
		{"softmax", "sparse_categorical_crossentropy", tensor.SparseSoftmaxCrossentropy},
		{"sigmoid", "binary_crossentropy", tensor.SigmoidBinaryCrossentropy},
		{"sigmoid", "categorical_crossentropy", tensor.CategoricalCrossentropy},
		{"softmax", "binary_crossentropy", tensor.BinaryCrossentropy},
		{"relu", "categorical_crossentropy", tensor.CategoricalCrossentropy},
	} {
		ClearSession()
		m, err := NewSequential(Dense(3, WithActivation(c.act), WithInputShape(2)))
		if err != nil {
			t.Fatal(err)
		}
		losses := trainOps[tensor.Loss](t, m, c.loss)
		if len(losses) != 1 || losses[0].Kind != c.want {
			t.Errorf("%s then %s: loss ops %+v, want one of kind %v", c.act, c.loss, losses, c.want)
		}
	}
}
