package nn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestShapeMismatchNamesLayerAndShapes(t *testing.T) {
	ClearSession()
	in := Input(8)
	x := Conv2D(4, 3).Call(in)
	_, err := NewModel([]*Symbol{in}, x)
	wantErr(t, err, `"conv2d"`, "(None, 8)")

	ClearSession()
	a, b := Input(3), Input(4)
	_, err = NewModel([]*Symbol{a, b}, Add().Call(a, b))
	wantErr(t, err, `"add"`, "with input [(None, 3), (None, 4)]:")

	ClearSession()
	a, b = Input(3), Input(3)
	c, d := Input(4), Input(4)
	add := Add()
	_, err = NewModel([]*Symbol{a, b, c, d}, Concatenate().Call(add.Call(a, b), add.Call(c, d)))
	wantErr(t, err, `"add"`, "was built for input [(None, 3), (None, 3)] and cannot take [(None, 4), (None, 4)]")

	ClearSession()
	_, err = NewSequential(Conv2D(4, 5, WithInputShape(3, 3, 1)))
	wantErr(t, err, `"conv2d"`, "(None, 3, 3, 1)", "larger than the input")
}

func TestBadOptionsAndArguments(t *testing.T) {
	ClearSession()
	_, err := NewSequential(Dense(3, WithStrides(2), WithInputShape(2)))
	wantErr(t, err, "Dense does not take strides")
	_, err = NewSequential(Dense(0, WithInputShape(2)))
	wantErr(t, err, "units 0")
	_, err = NewSequential(Dense(2, WithActivation("swishy"), WithInputShape(2)))
	wantErr(t, err, `unknown activation "swishy"`)
	_, err = NewSequential(Dense(2))
	wantErr(t, err, "needs an input shape")
	_, err = NewSequential(Dropout(1.5, WithInputShape(2)))
	wantErr(t, err, "rate 1.5")
}

func TestFitErrors(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(3, WithInputShape(2), WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(4, 2)
	ctx := context.Background()
	_, err = m.Fit(ctx, x, tensor.New(4, 3), FitOptions{Verbose: Silent})
	wantErr(t, err, "call Compile before Fit")

	if err := m.Compile(Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Fit(ctx, x, tensor.New(5, 3), FitOptions{Verbose: Silent})
	wantErr(t, err, "4 samples but 5 labels")
	_, err = m.Fit(ctx, x, tensor.New(4, 1), FitOptions{Verbose: Silent})
	wantErr(t, err, "class indices", "ToCategorical")
	_, err = m.Fit(ctx, tensor.New(4, 3), tensor.New(4, 3), FitOptions{Verbose: Silent})
	wantErr(t, err, "shape (4, 3)", "(None, 2)")
	bad := tensor.New(4, 2)
	bad.Data[5] = float32(nanValue())
	_, err = m.Fit(ctx, bad, tensor.New(4, 3), FitOptions{Verbose: Silent})
	wantErr(t, err, "NaN", "sample 2")

	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Fit(ctx, x, mustTensor(t, []float32{0, 1, 3, 2}, 4, 1), FitOptions{Verbose: Silent})
	wantErr(t, err, "label 3 of sample 2", "0..2")
	_, err = m.Fit(ctx, x, mustTensor(t, []float32{0, 1, 0.5, 2}, 4, 1), FitOptions{Verbose: Silent})
	wantErr(t, err, "label 0.5")

	wantErr(t, m.Compile(Adam(0.01), "hinge"), `unknown loss "hinge"`)
	wantErr(t, m.Compile(Adam(0.01), "mse", "top_k"), `unknown metric "top_k"`)
	wantErr(t, m.Compile(&SGDOptimizer{LR: -1}, "mse"), "learning rate -1")
}

func nanValue() float64 { var z float64; return z / z }

func TestDivergingLossIsAnError(t *testing.T) {
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	if err := m.Compile(&SGDOptimizer{LR: 1e6}, "mse"); err != nil {
		t.Fatal(err)
	}
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	_, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 50})
	wantErr(t, err, "loss became", "lower the learning rate")
}

func TestCancelStopsFitCleanly(t *testing.T) {
	ClearSession()
	m, _ := NewSequential(Dense(1, WithInputShape(1)))
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := mustTensor(t, []float32{1, 2, 3, 4}, 4, 1)
	h, err := m.Fit(ctx, x, x, FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 1, OnEpochEnd: func(EpochEnd) error {
		cancel()
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(h.Epoch) != 1 {
		t.Errorf("history has %d epochs, want the 1 completed", len(h.Epoch))
	}
	if _, err := m.Predict(x, 0); err != nil {
		t.Errorf("model unusable after cancel: %v", err)
	}
}
