package nn

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func TestWeightsRoundTripAndPredictMatchesEvaluate(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Dense(4, WithInputShape(3), WithActivation("relu")), BatchNormalization(), Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 8 || !ws[0].Shape.Equal(tensor.Shape{3, 4}) || !ws[5].Shape.Equal(tensor.Shape{4}) {
		t.Fatalf("weights in wrong order or shape: %d arrays", len(ws))
	}
	for i := range ws[0].Data {
		ws[0].Data[i] = float32(i) / 10
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	got, _ := m.GetWeights()
	if got[0].Data[5] != 0.5 {
		t.Errorf("kernel[5] = %v after SetWeights, want 0.5", got[0].Data[5])
	}
	wantErr(t, m.SetWeights(ws[:3]), "8 weight arrays, got 3")
	ws[1] = tensor.New(5)
	wantErr(t, m.SetWeights(ws), "dense/bias", "(4,)")
}

func TestShortLastBatchAndBatchSizes(t *testing.T) {
	ClearSession()
	x, y := spiral(50)
	m, _ := NewSequential(Dense(8, WithInputShape(2), WithActivation("tanh")), Dense(2, WithActivation("softmax")))
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	// Predicting in batches of 7 (a short last batch of 1) and of 64 (one
	// batch larger than the training plan) must agree exactly.
	p7, err := m.Predict(x, 7)
	if err != nil {
		t.Fatal(err)
	}
	p64, err := m.Predict(x, 64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p7.Data {
		if math.Abs(float64(p7.Data[i]-p64.Data[i])) > 1e-6 {
			t.Fatalf("prediction %d differs by batch size: %v vs %v", i, p7.Data[i], p64.Data[i])
		}
	}
	// Evaluate's accuracy must equal the accuracy computed from Predict.
	res, err := m.Evaluate(x, y, 13)
	if err != nil {
		t.Fatal(err)
	}
	acc, ok := res.Get("accuracy")
	if !ok {
		t.Fatalf("Evaluate gave %v, no accuracy", res.Names)
	}
	correct := 0
	for i := 0; i < 50; i++ {
		pred := 0
		if p7.Data[2*i+1] > p7.Data[2*i] {
			pred = 1
		}
		if float32(pred) == y.Data[i] {
			correct++
		}
	}
	if math.Abs(acc-float64(correct)/50) > 1e-6 {
		t.Errorf("evaluate accuracy %v, predict gives %v", acc, float64(correct)/50)
	}
}

func TestSameSeedSameTraining(t *testing.T) {
	train := func() []*tensor.Tensor {
		ClearSession()
		x, y := spiral(64)
		m, _ := NewSequential(Dense(8, WithInputShape(2), WithActivation("relu")), Dropout(0.25), Dense(2, WithActivation("softmax")))
		if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 3, BatchSize: 10, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		ws, _ := m.GetWeights()
		return ws
	}
	a, b := train(), train()
	for i := range a {
		for j := range a[i].Data {
			if a[i].Data[j] != b[i].Data[j] {
				t.Fatalf("weight %d[%d] differs between identical runs", i, j)
			}
		}
	}
}

func TestProgressLineLooksLikeKeras(t *testing.T) {
	ClearSession()
	x, y := spiral(64)
	m, _ := NewSequential(Dense(2, WithInputShape(2), WithActivation("softmax")))
	if err := m.Compile(SGD(), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := m.Fit(context.Background(), x, y, FitOptions{Epochs: 2, BatchSize: 32, Verbose: 1, Out: &out,
		ValidationX: x, ValidationY: y}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[0] != "Epoch 1/2" || lines[2] != "Epoch 2/2" {
		t.Fatalf("progress output:\n%s", out.String())
	}
	for _, want := range []string{"2/2 [==============================] - ", "/step - loss: ", " - accuracy: ", " - val_loss: ", " - val_accuracy: "} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line %q lacks %q", lines[1], want)
		}
	}
	if b := bar(12, 1563); b != "  12/1563 [..............................]" {
		t.Errorf("bar(12, 1563) = %q", b)
	}
	if b := bar(800, 1563); b != " 800/1563 [==============>...............]" {
		t.Errorf("bar(800, 1563) = %q", b)
	}
}

func TestToCategorical(t *testing.T) {
	y, err := ToCategorical([]int{2, 0}, 3)
	if err != nil || y.Data[2] != 1 || y.Data[3] != 1 || y.Shape[1] != 3 {
		t.Errorf("ToCategorical = %v, %v", y, err)
	}
	_, err = ToCategorical([]int{0, 3}, 3)
	wantErr(t, err, "label 3 at index 1 is outside 0..2")
	_, err = ToCategorical([]int{-1}, 3)
	wantErr(t, err, "label -1 at index 0")
}
