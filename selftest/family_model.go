package selftest

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// modelFamilies train the reference FNN and CNN on 8×8×3 images (small,
// so that a CPU Vulkan driver is quick) for 20 steps of batch 8, each
// epoch of 12 samples ending with a short batch of 4.
func modelFamilies() []family {
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	return []family{
		{name: "model-fnn", model: &modelCase{name: "FNN", build: models.FNNFor, im: small, samples: 12, batch: 8, epochs: 10}},
		{name: "model-cnn", model: &modelCase{name: "CNN", build: models.CNNFor, im: small, samples: 12, batch: 8, epochs: 10}},
	}
}

// modelCase is one whole-model comparison.
type modelCase struct {
	name    string
	build   func(models.Image) (*nn.Model, error)
	im      models.Image
	samples int // per epoch; not a multiple of batch, so each epoch ends short
	batch   int
	epochs  int
}

// The tolerances of the whole-model runs. The kernels agree to a few ulp,
// and those differences compound through 20 steps of training; the bounds
// are what that compounding can reach, not what it typically does:
//
//   - Weights: Adam moves a weight by lr·m̂/(sqrt(v̂)+ε), at most about lr
//     per step whatever the gradient. Where a gradient is pure rounding
//     noise (the CNN's biases that feed batch normalization, whose exact
//     gradient is zero), the two backends can move that weight in opposite
//     directions, so no bound tighter than 2·lr·steps holds for every
//     weight; MaxWeightDiff is that. The root-mean-square difference over
//     all weights must stay far below: RMSWeightDiff, 1e-4 (~3e-9 for the
//     FNN and ~8e-6 for the CNN on lavapipe), which a wrong kernel (a
//     missed row, a wrong sign, a stale buffer) exceeds at once.
//   - Losses: the per-epoch mean loss is a smooth function of the weights
//     (its gradient is O(1) per weight), and the RMS difference bounds the
//     first-order change: LossRel, 1e-4 relative.
//   - Accuracy counts argmax hits; a near-tie can flip one sample, so the
//     per-epoch accuracies may differ by one sample in an epoch.
const (
	ModelLR       = 0.0005
	ModelSteps    = 20
	MaxWeightDiff = 2 * ModelLR * ModelSteps
	RMSWeightDiff = 1e-4
	LossRel       = 1e-4
)

func (c *modelCase) steps() int { return c.epochs * ((c.samples + c.batch - 1) / c.batch) }

func (c *modelCase) describe() string {
	return fmt.Sprintf("reference %s on %dx%dx%d images, %d steps of batch %d (every epoch of %d ends short)",
		c.name, c.im.H, c.im.W, c.im.C, c.steps(), c.batch, c.samples)
}

// check trains the model on both backends from the same weights, data and
// seed and compares the per-epoch losses and accuracies and the weights.
func (c *modelCase) check(under, ref tensor.Backend) (worst, error) {
	var w worst
	res, err := TrainBoth(c.build, c.im, c.samples, c.batch, c.epochs, [2]tensor.Backend{ref, under})
	if err != nil {
		return w, err
	}
	for _, name := range []string{"loss", "accuracy"} {
		want, got := res.History[0].Metrics[name], res.History[1].Metrics[name]
		if len(want) != c.epochs || len(got) != c.epochs {
			return w, fmt.Errorf("%s: %d epochs on the reference, %d under test, want %d", name, len(want), len(got), c.epochs)
		}
		for e := range want {
			lim := LossRel * math.Abs(want[e])
			if name == "accuracy" {
				lim = 1.0/float64(c.samples) + 1e-6
			}
			w.note(math.Abs(got[e]-want[e]), lim, func() string {
				return fmt.Sprintf("epoch %d %s: got %v, want %v", e+1, name, got[e], want[e])
			})
		}
	}
	worstW, rms, where := WeightDiffs(res.Weights[0], res.Weights[1])
	w.note(rms, RMSWeightDiff, func() string { return fmt.Sprintf("weights: root-mean-square difference %.3g", rms) })
	w.note(worstW, MaxWeightDiff, func() string { return "weights: " + where })
	return w, nil
}

// Trained is the outcome of TrainBoth: per backend, the per-epoch history
// and the final weights.
type Trained struct {
	History [2]*nn.History
	Weights [2][]*tensor.Tensor
}

// TrainBoth builds the model twice with the same initial weights, trains
// one copy on each backend with Adam at ModelLR on the same random images
// and seed, and returns both histories and final weights. It resets nn's
// session and random seed (global state), so that both copies get the same
// layer names and so the same dropout masks.
func TrainBoth(build func(models.Image) (*nn.Model, error), im models.Image, samples, batch, epochs int,
	backends [2]tensor.Backend) (*Trained, error) {
	x, y, err := RandomImages(im, samples)
	if err != nil {
		return nil, err
	}
	var out Trained
	var init []*tensor.Tensor
	for i, be := range backends {
		nn.ClearSession()
		nn.SetRandomSeed(7)
		m, err := build(im)
		if err != nil {
			return nil, err
		}
		if init == nil {
			init, err = m.GetWeights()
		} else {
			err = m.SetWeights(init)
		}
		if err == nil {
			err = m.SetBackend(be)
		}
		if err == nil {
			err = m.Compile(nn.Adam(ModelLR), "categorical_crossentropy", "accuracy")
		}
		if err == nil {
			out.History[i], err = m.Fit(context.Background(), x, y,
				nn.FitOptions{Verbose: nn.Silent, BatchSize: batch, Epochs: epochs, Seed: 11, Out: io.Discard})
		}
		if err == nil {
			out.Weights[i], err = m.GetWeights()
		}
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", be.Name(), err)
		}
	}
	return &out, nil
}

// RandomImages returns n images of pixels in [0, 1) and one-hot labels,
// always the same.
func RandomImages(im models.Image, n int) (x, y *tensor.Tensor, err error) {
	r := rand.New(rand.NewPCG(3, 4))
	x = tensor.New(n, im.H, im.W, im.C)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(im.Classes)
	}
	y, err = nn.ToCategorical(labels, im.Classes)
	return x, y, err
}

// WeightDiffs returns, over every weight, the largest absolute difference
// (NaN counting as infinite) with where it is, and the root-mean-square
// difference.
func WeightDiffs(want, got []*tensor.Tensor) (worst, rms float64, where string) {
	if len(want) != len(got) {
		return math.Inf(1), math.Inf(1), fmt.Sprintf("%d weight arrays on the reference, %d under test", len(want), len(got))
	}
	var sum float64
	n := 0
	for i := range want {
		for j, c := range want[i].Data {
			d := math.Abs(float64(got[i].Data[j]) - float64(c))
			if math.IsNaN(d) {
				d = math.Inf(1)
			}
			if d > worst || where == "" {
				worst, where = d, fmt.Sprintf("array %d %v, element %d: got %v, want %v", i, want[i].Shape, j, got[i].Data[j], c)
			}
			sum += d * d
			n++
		}
	}
	return worst, math.Sqrt(sum / float64(max(n, 1))), where
}
