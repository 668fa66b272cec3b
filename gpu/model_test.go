package gpu_test

import (
	"errors"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/gpu"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// Whole-model parity: the reference feed-forward net and CNN, with the same
// initial weights, data and seed, trained for 20 steps on the CPU backend
// and on Vulkan. The test lives outside package gpu because it builds
// models with nn; the gpu package itself never imports nn.

// openModelBackend opens the Vulkan backend, skipping without Vulkan unless
// ANVIL_REQUIRE_VULKAN=1, and fails the test on validation messages.
func openModelBackend(t *testing.T) *gpu.Backend {
	t.Helper()
	b, err := gpu.NewBackend(gpu.Options{})
	if errors.Is(err, gpu.ErrUnavailable) && os.Getenv("ANVIL_REQUIRE_VULKAN") != "1" {
		t.Skipf("no Vulkan (set ANVIL_REQUIRE_VULKAN=1 to fail instead): %v", err)
	}
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	t.Cleanup(func() {
		checkMessages(t, b)
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// checkMessages fails t on the validation messages since the last check.
func checkMessages(t *testing.T, b *gpu.Backend) {
	t.Helper()
	if msgs := b.ValidationMessages(); len(msgs) > 0 {
		t.Errorf("%d validation messages:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
}

// modelCase is one whole-model parity run.
type modelCase struct {
	build     func(models.Image) (*nn.Model, error)
	im        models.Image
	samples   int // per epoch; not a multiple of batch, so each epoch ends short
	batch     int
	epochs    int
	wantSteps int
	// noisy lists the weight arrays (in GetWeights order) that rounding
	// noise moves: biases that feed batch normalization, whose exact
	// gradient is zero, and the moving means that average them. They are
	// held to maxNoiseDiff; the rest to maxLimit and rmsLimit when set, or
	// to the self-test's bounds.
	noisy              []int
	maxLimit, rmsLimit float64
}

// maxNoiseDiff bounds the noise-driven arrays: Adam moves a weight by at
// most about lr per step whatever its gradient, and the two backends may
// move such a bias in opposite directions, so nothing tighter than
// 2·lr·steps holds (lr 0.0005, 20 steps).
const maxNoiseDiff = 2 * 0.0005 * 20

// cnnNoisy are the reference CNN's noise-driven arrays: four Conv2D blocks
// of [kernel, bias] + BN's [gamma, beta, moving mean, moving variance],
// then Dense(128) likewise, then the output Dense, so the biases feeding
// batch norm are arrays 1, 7, 13, 19, 25 and the moving means 4, 10, 16,
// 22, 28.
var cnnNoisy = []int{1, 4, 7, 10, 13, 16, 19, 22, 25, 28}

// splitArrays returns the weight arrays of ws whose indices are not in
// noise, and those that are.
func splitArrays(ws []*tensor.Tensor, noise []int) (rest, listed []*tensor.Tensor) {
	for i, w := range ws {
		if slices.Contains(noise, i) {
			listed = append(listed, w)
		} else {
			rest = append(rest, w)
		}
	}
	return rest, listed
}

// trainBoth trains one copy of the model on the CPU and one on b from the
// same weights, data and seed (selftest.TrainBoth, which the self-test
// shares) and returns their per-epoch histories and final weights.
func trainBoth(t *testing.T, b *gpu.Backend, c modelCase) (hist [2]*nn.History, weights [2][]*tensor.Tensor) {
	t.Helper()
	if got := c.epochs * ((c.samples + c.batch - 1) / c.batch); got != c.wantSteps {
		t.Fatalf("the case runs %d steps, want %d", got, c.wantSteps)
	}
	res, err := selftest.TrainBoth(c.build, c.im, c.samples, c.batch, c.epochs, [2]tensor.Backend{cpuref.New(), b})
	if err != nil {
		t.Fatal(err)

	}
	checkMessages(t, b)
	return res.History, res.Weights
}

// The tolerances of the whole-model runs are the self-test's (argued at
// selftest.MaxWeightDiff): the largest and the root-mean-square weight
// difference, the per-epoch loss's relative difference, and one sample's
// worth of accuracy.
const (
	maxWeightDiff = selftest.MaxWeightDiff
	rmsWeightDiff = selftest.RMSWeightDiff
	lossRel       = selftest.LossRel
)

func checkModelParity(t *testing.T, c modelCase, hist [2]*nn.History, weights [2][]*tensor.Tensor) {
	t.Helper()
	for _, name := range []string{"loss", "accuracy"} {
		cpu, gpu := hist[0].Metrics[name], hist[1].Metrics[name]
		if len(cpu) != c.epochs || len(gpu) != c.epochs {
			t.Fatalf("%s: %d epochs on the CPU, %d on the GPU, want %d", name, len(cpu), len(gpu), c.epochs)
		}
		for e := range cpu {
			lim := lossRel * math.Abs(cpu[e])
			if name == "accuracy" {
				lim = 1.0/float64(c.samples) + 1e-6
			}
			if d := math.Abs(gpu[e] - cpu[e]); !(d <= lim) {
				t.Errorf("epoch %d %s: cpu %v, gpu %v (limit %g)", e, name, cpu[e], gpu[e], lim)
			}
		}
		t.Logf("%s per epoch: cpu %.6f", name, cpu)
		t.Logf("%s per epoch: gpu %.6f", name, gpu)
	}
	maxLimit, rmsLimit := maxWeightDiff, rmsWeightDiff
	if c.maxLimit > 0 {
		maxLimit, rmsLimit = c.maxLimit, c.rmsLimit
	}
	cpuRest, cpuNoise := splitArrays(weights[0], c.noisy)
	gpuRest, gpuNoise := splitArrays(weights[1], c.noisy)
	worst, rms, where := selftest.WeightDiffs(cpuRest, gpuRest)
	t.Logf("weights: max |gpu−cpu| %.3g (%s), rms %.3g", worst, where, rms)
	if !(worst <= maxLimit) || !(rms <= rmsLimit) {
		t.Errorf("weights differ: max %g (limit %g) at %s, rms %g (limit %g)", worst, maxLimit, where, rms, rmsLimit)
	}
	if len(cpuNoise) > 0 {
		nworst, nrms, nwhere := selftest.WeightDiffs(cpuNoise, gpuNoise)
		t.Logf("noise-driven arrays: max |gpu−cpu| %.3g (%s), rms %.3g", nworst, nwhere, nrms)
		if !(nworst <= maxNoiseDiff) {
			t.Errorf("noise-driven arrays differ by %g (limit %g) at %s", nworst, maxNoiseDiff, nwhere)
		}
	}
	if first, last := hist[0].Metrics["loss"][0], hist[0].Metrics["loss"][c.epochs-1]; !(last < first) {
		t.Errorf("the loss did not fall (%v → %v): the run does not exercise training", first, last)
	}
}

// TestReferenceModelsParity trains the reference FNN and CNN on 8×8×3
// images (small, to keep lavapipe fast) for 20 steps of batch 8, each
// epoch of 12 samples ending with a short batch of 4.
func TestReferenceModelsParity(t *testing.T) {
	b := openModelBackend(t)
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	cases := map[string]modelCase{
		// Bounds about 20× what lavapipe shows (logged above), for other
		// devices' summation orders; a wrong kernel moves the RMS by 1e-3.
		"fnn": {build: models.FNNFor, im: small, samples: 12, batch: 8, epochs: 10, wantSteps: 20,
			maxLimit: 1e-5, rmsLimit: 1e-7},
		"cnn": {build: models.CNNFor, im: small, samples: 12, batch: 8, epochs: 10, wantSteps: 20,
			noisy: cnnNoisy, maxLimit: 2e-4, rmsLimit: 1e-6},
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			hist, weights := trainBoth(t, b, c)
			checkModelParity(t, c, hist, weights)
		})
	}
}

// TestReferenceCNNFullSize runs the reference CNN at its real 32×32×3 input
// for 4 steps of batch 4 (the last one short), so the shapes the tutorial
// trains on go through every kernel.
func TestReferenceCNNFullSize(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	b := openModelBackend(t)
	c := modelCase{build: models.CNNFor, im: models.CIFAR10, samples: 7, batch: 4, epochs: 2, wantSteps: 4,
		noisy: cnnNoisy, maxLimit: 2e-3, rmsLimit: 4e-6}
	hist, weights := trainBoth(t, b, c)
	checkModelParity(t, c, hist, weights)
}

// sharedLayerModel applies one Conv2D, one BatchNormalization and one
// Dense layer on two branches each, so every kind of weight gradient is
// summed over a layer's calls.
func sharedLayerModel(im models.Image) (*nn.Model, error) {
	in := nn.Input(im.H, im.W, im.C)
	conv := nn.Conv2D(4, 3, nn.WithPadding("same"))
	bn := nn.BatchNormalization()
	a := nn.LeakyReLU().Call(bn.Call(conv.Call(in)))
	b := nn.LeakyReLU().Call(bn.Call(conv.Call(nn.Conv2D(3, 1).Call(in))))
	dense := nn.Dense(16, nn.WithActivation("relu"))
	x := nn.Concatenate().Call(dense.Call(nn.Flatten().Call(a)), dense.Call(nn.Flatten().Call(b)))
	out := nn.Dense(im.Classes, nn.WithActivation("softmax")).Call(x)
	return nn.NewModel([]*nn.Symbol{in}, out)
}

// TestSharedLayerModelParity is the whole-model parity run of a model
// whose Conv2D, BatchNormalization and Dense layers are each called twice.
func TestSharedLayerModelParity(t *testing.T) {
	b := openModelBackend(t)
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	c := modelCase{build: sharedLayerModel, im: small, samples: 12, batch: 8, epochs: 10, wantSteps: 20}
	hist, weights := trainBoth(t, b, c)
	checkModelParity(t, c, hist, weights)
}
