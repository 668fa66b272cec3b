package gpu_test

import (
	"context"
	"io"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestOptimizersClippingModelParity trains a small dense net with L1L2 and
// L2 kernel regularizers on both backends: with AdamW and clipnorm, Nadam
// and global_clipnorm, and SGD with momentum and clipvalue, each with a
// small limit (so that it bites). So the clipping ops run in a whole
// training step (after the backward pass, before the updates, the norms in
// a transient buffer) next to the new updates, and the penalties in the
// Train and Eval routines (Evaluate's loss within selftest.LossRel).
// Tolerance: the self-test's whole-model bounds (selftest.MaxWeightDiff,
// RMSWeightDiff), argued for 20 Adam steps; these steps are no larger.
func TestOptimizersClippingModelParity(t *testing.T) {
	b := openModelBackend(t)
	im := models.Image{H: 4, W: 4, C: 3, Classes: 10}
	x, y, err := selftest.RandomImages(im, 12)
	if err != nil {
		t.Fatal(err)
	}
	opts := []func() nn.Optimizer{
		func() nn.Optimizer { o := nn.AdamW(0.002); o.ClipNorm = 0.05; return o },
		func() nn.Optimizer { o := nn.Nadam(0.002); o.GlobalClipNorm = 0.1; return o },
		func() nn.Optimizer { o := nn.SGD(); o.Momentum, o.ClipValue = 0.9, 0.002; return o },
	}
	for _, newOpt := range opts {
		var ws [2][]*tensor.Tensor
		var init []*tensor.Tensor
		var losses [2]float64
		for i, be := range []tensor.Backend{cpuref.New(), b} {
			nn.ClearSession()
			nn.SetRandomSeed(7)
			m, err := nn.NewSequential(nn.Flatten(nn.WithInputShape(im.H, im.W, im.C)),
				nn.Dense(16, nn.WithActivation("relu"), nn.WithKernelRegularizer(nn.L1L2(0.001, 0.01))),
				nn.Dense(im.Classes, nn.WithActivation("softmax"), nn.WithKernelRegularizer(nn.L2(0.01))))
			if err != nil {
				t.Fatal(err)
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
				err = m.Compile(newOpt(), "categorical_crossentropy", "accuracy")
			}
			if err == nil {
				_, err = m.Fit(context.Background(), x, y, nn.FitOptions{Verbose: nn.Silent, BatchSize: 5, Epochs: 4, Seed: 11, Out: io.Discard})
			}
			if err == nil {
				ws[i], err = m.GetWeights()
			}
			if err == nil {
				var r nn.Results
				r, err = m.Evaluate(x, y, 5)
				losses[i] = r.Loss()
			}
			if cerr := m.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("%s on %s: %v", newOpt().Name(), be.Name(), err)
			}
		}
		checkMessages(t, b)
		worst, rms, where := selftest.WeightDiffs(ws[0], ws[1])
		t.Logf("%s: max |gpu−cpu| %.3g (%s), rms %.3g", newOpt().Name(), worst, where, rms)
		if !(worst <= selftest.MaxWeightDiff) || !(rms <= selftest.RMSWeightDiff) {
			t.Errorf("%s: weights differ: max %g at %s, rms %g", newOpt().Name(), worst, where, rms)
		}
		if d := math.Abs(losses[1] - losses[0]); !(d <= selftest.LossRel*losses[0]) {
			t.Errorf("%s: evaluated loss (with the penalties) cpu %v, gpu %v", newOpt().Name(), losses[0], losses[1])
		}
		if d, _, _ := selftest.WeightDiffs(init, ws[0]); d == 0 {
			t.Errorf("%s: training did not move the weights", newOpt().Name())
		}
	}
}
