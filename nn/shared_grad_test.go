package nn

import "testing"

// A layer called more than once sums its calls' weight gradients. Each
// test applies one layer on two branches (and Dense also twice in a row)
// and compares every weight gradient with finite differences.

func TestGradientsOfSharedDense(t *testing.T) {
	ClearSession()
	in := Input(4)
	shared := Dense(4, WithActivation("tanh"))
	a := shared.Call(in)
	b := shared.Call(shared.Call(Dense(4).Call(in)))
	out := Dense(2).Call(Concatenate().Call(a, b))
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "mse", randomTensor(6, 1, 5, 4), randomTensor(7, 1, 5, 2))
}

func TestGradientsOfSharedConv2D(t *testing.T) {
	ClearSession()
	in := Input(6, 6, 2)
	shared := Conv2D(2, 3, WithPadding("same"), WithActivation("tanh"))
	a := shared.Call(in)
	b := shared.Call(Conv2D(2, 1).Call(in))
	x := GlobalAveragePooling2D().Call(Add().Call(a, b))
	out := Dense(3, WithActivation("softmax")).Call(x)
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(8, 1, 4, 6, 6, 2), oneHotRandom(9, 4, 3))
}

func TestGradientsOfSharedBatchNormalization(t *testing.T) {
	ClearSession()
	in := Input(5)
	shared := BatchNormalization()
	a := shared.Call(Dense(3, WithActivation("tanh")).Call(in))
	b := shared.Call(Dense(3).Call(in))
	out := Dense(2).Call(Concatenate().Call(a, LeakyReLU().Call(b)))
	m, err := NewModel([]*Symbol{in}, out)
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "mse", randomTensor(10, 1, 6, 5), randomTensor(11, 1, 6, 2))
}
