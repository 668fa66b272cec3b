package gpu_test

import (
	"context"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestWeightedFitParity trains a small classifier and a small regressor
// with shuffled sample weights (zeros among them), class weights, label
// smoothing, Huber and LogCosh on the CPU and on Vulkan, resident and
// streamed, and compares the losses and weights. Tolerance: 6 SGD steps at
// lr 0.05 on weights of magnitude ≤ 1, each kernel within ~1e-6 relative
// of cpuref (the self-test's tolerances), move the weights apart by far
// under 1e-5, and the losses by under 1e-5 relative; a weight reaching
// the wrong sample (a gather out of step with the shuffle) moves them by
// lr·|gradient|, ~1e-2.
func TestWeightedFitParity(t *testing.T) {
	b := openModelBackend(t)
	const n = 21
	rng := tensor.NewStream(77, 0)
	x, yReg := tensor.New(n, 6), tensor.New(n, 3)
	labels := make([]int, n)
	w := make([]float32, n)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range yReg.Data {
		yReg.Data[i] = float32(rng.Float64()*4 - 2)
	}
	for i := range labels {
		labels[i] = i % 3
		w[i] = float32(i%4) * 0.5 // 0, 0.5, 1, 1.5
	}
	cases := []struct {
		loss, act string
		data      nn.Data
		cw        map[int]float32
	}{
		{nn.LabelSmoothing("categorical_crossentropy", 0.1), "softmax", nn.Data{X: []*tensor.Tensor{x}, Labels: labels, SampleWeight: w}, map[int]float32{1: 3, 2: 0.5}},
		{nn.LabelSmoothing("binary_crossentropy", 0.2), "sigmoid", nn.Data{X: []*tensor.Tensor{x}, Y: oneHot(labels), SampleWeight: w}, nil},
		{"huber", "linear", nn.Data{X: []*tensor.Tensor{x}, Y: yReg, SampleWeight: w}, nil},
		{"log_cosh", "linear", nn.Data{X: []*tensor.Tensor{x}, Y: yReg, SampleWeight: w}, nil},
	}
	for _, c := range cases {
		for _, budget := range []int64{0, 8 * (6*4 + 3*4 + 8)} { // resident; streamed in chunks of 8
			var hist [2]*nn.History
			var weights [2][]*tensor.Tensor
			for i, be := range []tensor.Backend{cpuref.New(), b} {
				nn.ClearSession()
				m, err := nn.NewSequential(nn.Dense(8, nn.WithInputShape(6), nn.WithActivation("tanh")), nn.Dense(3, nn.WithActivation(c.act)))
				if err != nil {
					t.Fatal(err)
				}
				opt := nn.SGD()
				opt.LR = 0.05
				if err := m.Compile(opt, c.loss); err != nil {
					t.Fatal(err)
				}
				if err := m.SetBackend(be); err != nil {
					t.Fatal(err)
				}
				m.SetDataBudget(budget)
				hist[i], err = m.FitData(context.Background(), c.data, nn.FitOptions{Verbose: nn.Silent, Epochs: 2, BatchSize: 8, Seed: 5, ClassWeight: c.cw})
				if err != nil {
					t.Fatal(err)
				}
				if weights[i], err = m.GetWeights(); err != nil {
					t.Fatal(err)
				}
			}
			for e, cpu := range hist[0].Metrics["loss"] {
				if gpu := hist[1].Metrics["loss"][e]; !(math.Abs(gpu-cpu) <= 1e-5*math.Abs(cpu)) {
					t.Errorf("%s budget %d epoch %d: loss cpu %v, gpu %v", c.loss, budget, e, cpu, gpu)
				}
			}
			if worst, _, where := selftest.WeightDiffs(weights[0], weights[1]); !(worst <= 1e-5) {
				t.Errorf("%s budget %d: weights differ by %g at %s", c.loss, budget, worst, where)
			}
		}
	}
	checkMessages(t, b)
}

func oneHot(labels []int) *tensor.Tensor {
	y, err := nn.ToCategorical(labels, 3)
	if err != nil {
		panic(err)
	}
	return y
}
