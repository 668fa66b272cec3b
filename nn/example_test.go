package nn_test

import (
	"context"
	"fmt"

	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// linearModel is Keras's one-neuron model of the first reference program,
// compiled for y = 2x - 1.
func linearModel() *nn.Model {
	nn.SetRandomSeed(1)
	m, _ := nn.NewSequential(nn.Dense(1, nn.WithInputShape(1)))
	m.Compile(nn.SGD(), "mean_squared_error", "mae")
	return m
}

func ExampleModel_Compile() {
	m, _ := nn.NewSequential(
		nn.Dense(16, nn.WithInputShape(4), nn.WithActivation("relu")),
		nn.Dense(3, nn.WithActivation("softmax")),
	)
	if err := m.Compile(nn.Adam(0.001), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Optimizer().Name(), m.MetricNames())
	// Output: Adam [loss accuracy]
}

// Fit with Keras's callbacks: stop once the loss stops improving, keeping
// the best weights. Verbose: nn.Silent is Keras's verbose=0; the zero
// value prints Keras's progress bar.
func ExampleModel_Fit() {
	m := linearModel()
	x, y := line()
	stop := nn.EarlyStopping()
	stop.Monitor, stop.MinDelta, stop.Patience, stop.RestoreBestWeights = "loss", 1e-4, 3, true
	h, err := m.Fit(context.Background(), x, y, nn.FitOptions{Epochs: 2000, Verbose: nn.Silent,
		Callbacks: []nn.Callback{stop}})
	if err != nil {
		fmt.Println(err)
		return
	}
	last, _ := h.Last("loss")
	fmt.Printf("stopped early: %v, final loss below 0.01: %v\n", len(h.Epoch) < 2000, last < 0.01)
	// Output: stopped early: true, final loss below 0.01: true
}

func ExampleModel_Evaluate() {
	m := linearModel()
	x, y := line()
	m.Fit(context.Background(), x, y, nn.FitOptions{Epochs: 500, Verbose: nn.Silent})
	res, err := m.Evaluate(x, y, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	mae, _ := res.Get("mae")
	fmt.Printf("%v; mae below 0.05: %v\n", res.Names, mae < 0.05)
	// Output: [loss mae]; mae below 0.05: true
}

func ExampleModel_Predict() {
	m := linearModel()
	x, y := line()
	m.Fit(context.Background(), x, y, nn.FitOptions{Epochs: 500, Verbose: nn.Silent})
	p, _ := m.Predict(&tensor.Tensor{Shape: tensor.Shape{1, 1}, Data: []float32{10}}, 0)
	fmt.Printf("predict(10) = %.1f\n", p.Data[0])
	// Output: predict(10) = 19.0
}

// An optimizer follows a schedule given in its Schedule field (Keras's
// learning_rate=schedule): here a warmup from 0.001 to 0.01 over 100
// steps, then a cosine decay to 0 over 1000.
func ExampleCosineDecay() {
	s := nn.CosineDecay(0.001, 1000, 0, 0.01, 100)
	for _, step := range []uint64{0, 50, 100, 600, 1100} {
		fmt.Printf("step %4d: %.4f\n", step, s.At(step))
	}
	opt := nn.Adam(0)
	opt.Schedule = s
	m := linearModel()
	fmt.Println(m.Compile(opt, "mse"))
	// Output:
	// step    0: 0.0010
	// step   50: 0.0055
	// step  100: 0.0100
	// step  600: 0.0050
	// step 1100: 0.0000
	// <nil>
}

// stopBelow is a callback that implements only the hook it needs: it
// ends training normally once the loss is below a threshold.
type stopBelow struct {
	nn.BaseCallback
	loss float64
}

func (s *stopBelow) OnEpochEnd(epoch int, logs nn.Logs) error {
	if logs["loss"] < s.loss {
		s.Model().StopTraining()
	}
	return nil
}

func ExampleBaseCallback() {
	m := linearModel()
	x, y := line()
	h, err := m.Fit(context.Background(), x, y, nn.FitOptions{Epochs: 1000, Verbose: nn.Silent,
		Callbacks: []nn.Callback{&stopBelow{loss: 0.5}}})
	last, _ := h.Last("loss")
	fmt.Println(len(h.Epoch) < 1000, last < 0.5, err)
	// Output: true true <nil>
}

// Precision, recall and AUC are counted over the whole evaluation, not
// averaged over batches; a metric's settings follow its name. The model
// here passes its input through (a 1×1 kernel of 1), so the inputs are
// the predictions of Keras's documented examples.
func ExampleModel_Compile_confusionMetrics() {
	nn.ClearSession()
	m, _ := nn.NewSequential(nn.Dense(1, nn.WithInputShape(1)))
	m.SetWeights([]*tensor.Tensor{{Shape: tensor.Shape{1, 1}, Data: []float32{1}}, tensor.New(1)})
	if err := m.Compile(nn.SGD(), "mse", "precision", "recall", "auc(num_thresholds=3)"); err != nil {
		fmt.Println(err)
		return
	}
	x := &tensor.Tensor{Shape: tensor.Shape{4, 1}, Data: []float32{1, 0, 1, 1}}
	y := &tensor.Tensor{Shape: tensor.Shape{4, 1}, Data: []float32{0, 1, 1, 1}}
	res, _ := m.Evaluate(x, y, 2)
	p, _ := res.Get("precision")
	r, _ := res.Get("recall")
	fmt.Printf("precision %.4f, recall %.4f\n", p, r)
	x.Data = []float32{0, 0.5, 0.3, 0.9}
	y.Data = []float32{0, 0, 1, 1}
	res, _ = m.Evaluate(x, y, 2)
	auc, _ := res.Get("auc")
	fmt.Printf("auc %.2f\n", auc)
	// Output:
	// precision 0.6667, recall 0.6667
	// auc 0.75
}
