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

// TestMixedPrecisionModelsParity trains the reference FNN and CNN (8×8×3
// images) in mixed precision for 20 steps on the CPU and on Vulkan from the
// same weights: the products (matmul_f16, conv_*_f16) read binary16
// operands from 16-bit storage, with loss scaling, against the CPU
// backend's emulation of the same rounding.
//
// Tolerances: both backends round the same way, but their float32 sums
// differ in the last bits, and a value near a binary16 rounding boundary
// can then round to neighbouring binary16 values (2^-11 apart,
// relative) on the two: a difference about 1000× float32's. The CNN's
// bounds are about 1000× its float32 ones (rms 1e-6 in
// TestReferenceModelsParity, the self-test's loss bound 1e-4 relative):
// its batch norm over 8 samples amplifies a flipped rounding, and lavapipe
// shows rms 1.6e-4 and 2% of the loss after 20 steps. The FNN shows rms
// 1.1e-8 and is held to 1e-6. A wrong float16 product moves the loss by
// tens of percent. The largest difference keeps the hard bound of
// Adam (selftest.MaxWeightDiff: at most lr a step each way).
func TestMixedPrecisionModelsParity(t *testing.T) {
	b := openModelBackend(t)
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	for _, c := range []struct {
		name      string
		build     func(models.Image) (*nn.Model, error)
		rmsLimit  float64
		lossLimit float64
	}{
		{"fnn", models.FNNFor, 1e-6, 1e-2},
		{"cnn", models.CNNFor, 1e-3, 0.1},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, y, err := selftest.RandomImages(small, 12)
			if err != nil {
				t.Fatal(err)
			}
			var weights [2][]*tensor.Tensor
			var hist [2]*nn.History
			var init []*tensor.Tensor
			for i, be := range []tensor.Backend{cpuref.New(), b} {
				nn.ClearSession()
				nn.SetRandomSeed(7)
				m, err := c.build(small)
				mustMixed(t, err)
				if init == nil {
					init, err = m.GetWeights()
				} else {
					err = m.SetWeights(init)
				}
				mustMixed(t, err)
				mustMixed(t, m.SetBackend(be))
				mustMixed(t, m.CompileWith(nn.Adam(selftest.ModelLR), "categorical_crossentropy", []string{"accuracy"}, nn.WithMixedPrecision()))
				hist[i], err = m.Fit(context.Background(), x, y, nn.FitOptions{Verbose: nn.Silent, BatchSize: 8, Epochs: 10, Seed: 11, Out: io.Discard})
				mustMixed(t, err)
				weights[i], err = m.GetWeights()
				mustMixed(t, err)
				if s, err := m.LossScale(); err != nil || s != 1<<15 {
					t.Errorf("%s: loss scale %v (%v), want 32768 (no overflow, no growth in 20 steps)", be.Name(), s, err)
				}
				mustMixed(t, m.Close())
			}
			checkMessages(t, b)
			var maxD, sq float64
			n := 0
			for i := range weights[0] {
				for j, w := range weights[0][i].Data {
					d := math.Abs(float64(weights[1][i].Data[j] - w))
					maxD, sq, n = max(maxD, d), sq+d*d, n+1
				}
			}
			rms := math.Sqrt(sq / float64(n))
			t.Logf("weights: max |gpu−cpu| %.3g, rms %.3g", maxD, rms)
			if !(maxD <= selftest.MaxWeightDiff) || !(rms <= c.rmsLimit) {
				t.Errorf("weights differ by max %.3g (bound %.3g), rms %.3g (bound %.3g)", maxD, selftest.MaxWeightDiff, rms, c.rmsLimit)
			}
			for e, l := range hist[0].Metrics["loss"] {
				if g := hist[1].Metrics["loss"][e]; !(math.Abs(g-l) <= c.lossLimit*math.Abs(l)) {
					t.Errorf("epoch %d loss: gpu %v, cpu %v", e, g, l)
				}
			}
		})
	}
}

func mustMixed(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
