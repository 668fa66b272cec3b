package nn

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestKerasFans checks the fans against Keras's compute_fans, worked out
// by hand for each kind of shape.
func TestKerasFans(t *testing.T) {
	for _, c := range []struct {
		shape   tensor.Shape
		in, out int
	}{
		{tensor.Shape{}, 1, 1},
		{tensor.Shape{64}, 64, 64},             // a bias
		{tensor.Shape{784, 10}, 784, 10},       // a Dense kernel
		{tensor.Shape{5, 16, 8}, 80, 40},       // a Conv1D kernel: window 5
		{tensor.Shape{3, 3, 32, 64}, 288, 576}, // a Conv2D kernel: window 9
	} {
		if in, out := kerasFans(c.shape); in != c.in || out != c.out {
			t.Errorf("fans of %v = %d, %d; want %d, %d", c.shape, in, out, c.in, c.out)
		}
	}
}

// TestGlorotLimitsPerLayer builds layers whose variables start from
// glorot_uniform and checks that each variable's values fill the range
// Keras gives, sqrt(6 / (fan_in + fan_out)), with the fans worked out by
// hand from Keras's rule. Of n uniform draws the largest magnitude lies
// above (1 − 10/n)·limit except with probability (1 − 10/n)^n < e^−10, so
// with n ≥ 64 a wrong fan, which moves the limit by a factor of 1.5 or
// more in every case here, cannot pass.
func TestGlorotLimitsPerLayer(t *testing.T) {
	glorot := func(fanIn, fanOut int) float64 { return math.Sqrt(6 / float64(fanIn+fanOut)) }
	g := WithKernelInitializer("glorot_uniform")
	gb := WithBiasInitializer("glorot_uniform")
	for _, c := range []struct {
		name   string
		layer  func() Layer
		limits map[string]float64 // variable name suffix → limit
	}{
		{"dense", func() Layer { return Dense(500, g, gb, WithInputShape(1000)) },
			map[string]float64{"kernel": glorot(1000, 500), "bias": glorot(500, 500)}},
		{"conv2d", func() Layer { return Conv2D(64, 3, g, gb, WithInputShape(8, 8, 32)) },
			map[string]float64{"kernel": glorot(9*32, 9*64), "bias": glorot(64, 64)}},
		{"conv1d", func() Layer { return Conv1D(40, 5, g, WithInputShape(12, 16)) },
			map[string]float64{"kernel": glorot(5*16, 5*40)}},
		{"conv2d_transpose", func() Layer { return Conv2DTranspose(24, 3, g, WithInputShape(6, 6, 40)) },
			// Keras's transposed kernel is (kh, kw, filters, in).
			map[string]float64{"kernel": glorot(9*24, 9*40)}},
		{"depthwise", func() Layer {
			return DepthwiseConv2D(3, WithDepthMultiplier(4), WithDepthwiseInitializer("glorot_uniform"), WithInputShape(8, 8, 50))
		}, map[string]float64{"depthwise_kernel": glorot(9*50, 9*4)}},
		{"separable", func() Layer {
			return SeparableConv2D(300, 3, WithPointwiseInitializer("glorot_uniform"), WithInputShape(8, 8, 40))
		}, map[string]float64{"pointwise_kernel": glorot(40, 300)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(c.layer())
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, v := range m.Variables() {
				for suffix, limit := range c.limits {
					if v.Name[len(v.Name)-len(suffix)-1:] != "/"+suffix {
						continue
					}
					seen++
					checkFills(t, v, limit)
				}
			}
			if seen != len(c.limits) {
				t.Fatalf("found %d of the variables %v", seen, c.limits)
			}
		})
	}
}

func checkFills(t *testing.T, v *Variable, limit float64) {
	t.Helper()
	largest := 0.0
	values := v.Value().Data
	for _, x := range values {
		largest = max(largest, math.Abs(float64(x)))
	}
	if largest > limit || largest < (1-10/float64(len(values)))*limit {
		t.Errorf("%s (%d values): largest magnitude %.5f, want just under the limit %.5f", v.Name, len(values), largest, limit)
	}
}
