package nn

import (
	"context"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromData(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// spiral makes two interleaved spirals, a problem a linear model cannot
// solve but one hidden layer can.
func spiral(n int) (x, y *tensor.Tensor) {
	x, y = tensor.New(n, 2), tensor.New(n, 1)
	rng := tensor.NewStream(99, 0)
	for i := 0; i < n; i++ {
		class := i % 2
		r := float64(i/2) / float64(n/2)
		a := r*3*math.Pi + float64(class)*math.Pi + 0.1*rng.Float64()
		x.Data[2*i], x.Data[2*i+1] = float32(r*math.Cos(a)), float32(r*math.Sin(a))
		y.Data[i] = float32(class)
	}
	return x, y
}

func TestOptimizersSolveXOR(t *testing.T) {
	x := []float32{0, 0, 0, 1, 1, 0, 1, 1}
	y := []float32{0, 1, 1, 0}
	cases := []struct {
		name string
		opt  Optimizer
	}{
		{"sgd-momentum", &SGDOptimizer{LR: 0.5, Momentum: 0.9}},
		{"sgd-nesterov", &SGDOptimizer{LR: 0.5, Momentum: 0.9, Nesterov: true}},
		{"adam", Adam(0.05)},
		{"rmsprop", RMSprop(0.02)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(Dense(8, WithActivation("tanh"), WithInputShape(2)), Dense(1, WithActivation("sigmoid")))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Compile(c.opt, "binary_crossentropy", "accuracy"); err != nil {
				t.Fatal(err)
			}
			h, err := m.Fit(context.Background(), mustTensor(t, x, 4, 2), mustTensor(t, y, 4, 1), FitOptions{Verbose: Silent, Epochs: 600, BatchSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			loss, _ := h.Last("loss")
			acc, _ := h.Last("accuracy")
			if loss > 0.05 || acc != 1 {
				t.Errorf("after 600 epochs loss %.4f accuracy %.2f, want loss < 0.05 and accuracy 1", loss, acc)
			}
		})
	}
}

func TestSpiralWithHiddenLayer(t *testing.T) {
	ClearSession()
	x, y := spiral(400)
	m, err := NewSequential(
		Dense(64, WithActivation("relu"), WithInputShape(2)),
		Dense(64, WithActivation("relu")),
		Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 300, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := h.Last("loss")
	res, err := m.Evaluate(x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if loss > 0.1 || res.Values[1] < 0.97 {
		t.Errorf("spiral: training loss %.4f, evaluated accuracy %.3f; want < 0.1 and ≥ 0.97", loss, res.Values[1])
	}
}

func TestLinearRegressionMSEAndMAE(t *testing.T) {
	ClearSession()
	x := mustTensor(t, []float32{-1, 0, 1, 2, 3, 4}, 6, 1)
	y := mustTensor(t, []float32{-3, -1, 1, 3, 5, 7}, 6, 1)
	m, err := NewSequential(Dense(1, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse", "mae"); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 500})
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.Metrics["loss"][0], h.Metrics["loss"][499]
	if last > 1e-3 || last > first/100 {
		t.Errorf("loss went %v → %v; want it to fall below 1e-3 and by 100×", first, last)
	}
	if mae, _ := h.Last("mae"); mae > 0.03 {
		t.Errorf("final mae %v, want < 0.03", mae)
	}
}

func TestFromLogitsMatchesSoftmaxOutput(t *testing.T) {
	x, y := spiral(64)
	run := func(softmaxOut bool) []float64 {
		ClearSession()
		act, loss := "linear", FromLogits("sparse_categorical_crossentropy")
		if softmaxOut {
			act, loss = "softmax", "sparse_categorical_crossentropy"
		}
		m, err := NewSequential(Dense(8, WithInputShape(2), WithActivation("tanh")), Dense(2, WithActivation(act)))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(Adam(0.01), loss, "accuracy"); err != nil {
			t.Fatal(err)
		}
		h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 16})
		if err != nil {
			t.Fatal(err)
		}
		return append(h.Metrics["loss"], h.Metrics["accuracy"]...)
	}
	// Both compute the same fused op on the same logits with the same
	// weights, so the histories agree to the last bit.
	a, b := run(false), run(true)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("from_logits history %v differs from softmax-output history %v", a, b)
		}
	}
	_, err := lossByName(FromLogits("mse"))
	wantErr(t, err, "only the cross-entropy losses")
}
