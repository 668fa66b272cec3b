package nn

import (
	"slices"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestPredictClassesIsArgmax checks PredictClasses against NumPy's argmax,
// which Keras uses: the index of the largest output, the first of equal
// ones. Sample 0 favours class 2; sample 1's outputs are all equal (its
// features are 0 and the biases equal), so it is class 0.
func TestPredictClassesIsArgmax(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(3, WithActivation("softmax"), WithInputShape(2)))
	if err != nil {
		t.Fatal(err)
	}
	kernel := tensor.New(2, 3)
	copy(kernel.Data, []float32{0.1, -0.2, 0.9, 0.0, 0.3, 0.2})
	if err := m.SetWeights([]*tensor.Tensor{kernel, tensor.New(3)}); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 2)
	copy(x.Data, []float32{1, 1, 0, 0})
	got, err := m.PredictClasses(x)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 0}; !slices.Equal(got, want) {
		t.Errorf("PredictClasses = %v, want %v", got, want)
	}
}
