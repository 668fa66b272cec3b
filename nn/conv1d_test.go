package nn

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestConv1DMatchesFloat64Reference: Conv1D (same padding, stride 2)
// through the 2-D ops against a float64 convolution written from Keras's
// definition: y[t, f] = b[f] + Σ_k Σ_c x[t·s + k − pad, c]·w[k, c, f].
func TestConv1DMatchesFloat64Reference(t *testing.T) {
	ClearSession()
	const steps, ch, filters, k, s, n = 9, 3, 4, 4, 2, 2
	m, err := NewSequential(Conv1D(filters, k, WithStrides(s), WithPadding("same"), WithBiasInitializer("ones"),
		WithInputShape(steps, ch)))
	if err != nil {
		t.Fatal(err)
	}
	out := m.OutputShape()
	if !out.Equal(tensor.Shape{5, filters}) {
		t.Fatalf("output %v, want (5, %d)", out, filters)
	}
	x := randomTensor(9, 1, n, steps, ch)
	got, err := m.Predict(x, n)
	if err != nil {
		t.Fatal(err)
	}
	w := m.Layers()[0].Weights()[0]
	if !w.Shape.Equal(tensor.Shape{k, ch, filters}) {
		t.Fatalf("kernel shape %v, want Keras's (%d, %d, %d)", w.Shape, k, ch, filters)
	}
	pad := 1 // TensorFlow's same padding: total 3 for 9 steps, window 4, stride 2; 1 before
	for b := range n {
		for o := range 5 {
			for f := range filters {
				want := 1.0
				for kk := range k {
					ti := o*s + kk - pad
					if ti < 0 || ti >= steps {
						continue
					}
					for c := range ch {
						want += float64(x.Data[(b*steps+ti)*ch+c]) * float64(w.data[(kk*ch+c)*filters+f])
					}
				}
				if g := float64(got.Data[(b*5+o)*filters+f]); math.Abs(g-want) > 1e-5 {
					t.Fatalf("y[%d, %d, %d] = %v, want %v", b, o, f, g, want)
				}
			}
		}
	}
}

// TestGradientsOf1DAndGlobalMaxPoolModels checks Conv1D, the 1-D poolings
// and global max pooling against finite differences.
func TestGradientsOf1DAndGlobalMaxPoolModels(t *testing.T) {
	ClearSession()
	in := Input(10, 3)
	a := Conv1D(4, 3, WithActivation("tanh")).Call(in)
	a = MaxPooling1D().Call(a)
	b := Conv1D(4, 2, WithStrides(2), WithPadding("same")).Call(in)
	b = AveragePooling1D(WithPoolSize(3), WithStrides(1), WithPadding("same")).Call(b)
	cat := Concatenate().Call(GlobalAveragePooling1D().Call(a), GlobalMaxPooling1D().Call(b))
	m, err := NewModel([]*Symbol{in}, Dense(3, WithActivation("softmax")).Call(cat))
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(1, 1, 5, 10, 3), oneHotRandom(2, 5, 3))

	ClearSession()
	m, err = NewSequential(Conv2D(3, 2, WithInputShape(5, 4, 2), WithActivation("tanh")), GlobalMaxPooling2D(),
		Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{2}) || !m.Layers()[1].OutputShape().Equal(tensor.Shape{3}) {
		t.Fatalf("GlobalMaxPooling2D output %v", m.Layers()[1].OutputShape())
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(3, 1, 4, 5, 4, 2), oneHotRandom(4, 4, 2))
}

// TestGlobalMaxPooling2DTakesTheMaximum compares with the maximum of each
// channel, computed directly.
func TestGlobalMaxPooling2DTakesTheMaximum(t *testing.T) {
	ClearSession()
	m, err := NewSequential(GlobalMaxPooling2D(WithInputShape(3, 5, 2)))
	if err != nil {
		t.Fatal(err)
	}
	x := randomTensor(8, 1, 2, 3, 5, 2)
	got, err := m.Predict(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for b := range 2 {
		for c := range 2 {
			best := float32(math.Inf(-1))
			for p := range 15 {
				best = max(best, x.Data[(b*15+p)*2+c])
			}
			if got.Data[b*2+c] != best {
				t.Errorf("sample %d channel %d: %v, want %v", b, c, got.Data[b*2+c], best)
			}
		}
	}
}
