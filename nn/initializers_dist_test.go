package nn

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestNormalInitializersFollowKeras draws 200,000 weights from each
// normal initializer and checks them against Keras's documentation:
// glorot_normal and he_normal draw from a normal truncated at two of its
// standard deviations, scaled so that the drawn weights have standard
// deviation √(2/(fan_in+fan_out)) and √(2/fan_in); random_normal has
// standard deviation 0.05 and no truncation. The bounds are 5 standard
// errors: the mean's σ/√n, the standard deviation's about σ/√(2n), and
// the fraction within one pre-truncation σ, p = 0.6827/0.9545 = 0.7153
// for the truncated ones (0.6827 for the plain normal), √(p(1−p)/n).
func TestNormalInitializersFollowKeras(t *testing.T) {
	const n = 200_000
	for _, c := range []struct {
		name      string
		draw      func(rng *tensor.Stream) []float32
		std       float64 // of the drawn weights
		truncated bool
	}{
		{"glorot_normal", func(rng *tensor.Stream) []float32 { return glorotNormal(n, 30, 70, rng) }, math.Sqrt(2.0 / 100), true},
		{"he_normal", func(rng *tensor.Stream) []float32 { return heNormal(n, 50, 7, rng) }, math.Sqrt(2.0 / 50), true},
		{"random_normal", func(rng *tensor.Stream) []float32 { return randomNormal(n, 3, 4, rng) }, 0.05, false},
	} {
		w := c.draw(tensor.NewStream(11, 0))
		var sum, sq float64
		for _, v := range w {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		mean := sum / n
		std := math.Sqrt(sq/n - mean*mean)
		if math.Abs(mean) > 5*c.std/math.Sqrt(n) {
			t.Errorf("%s: mean %.5f, want 0 ± %.5f", c.name, mean, 5*c.std/math.Sqrt(n))
		}
		if math.Abs(std/c.std-1) > 5/math.Sqrt(2*n) {
			t.Errorf("%s: standard deviation %.5f, want %.5f (±%.2f%%)", c.name, std, c.std, 500/math.Sqrt(2*n))
		}
		sigma, p := c.std, 0.6827
		if c.truncated {
			sigma, p = c.std/0.87962566103423978, 0.6827/0.9545 // Keras's constant: the unit truncated normal's σ
		}
		within, maxAbs := 0, 0.0
		for _, v := range w {
			a := math.Abs(float64(v))
			maxAbs = max(maxAbs, a)
			if a < sigma {
				within++
			}
		}
		if f := float64(within) / n; math.Abs(f-p) > 5*math.Sqrt(p*(1-p)/n) {
			t.Errorf("%s: %.4f of the weights within one σ, want %.4f", c.name, f, p)
		}
		if c.truncated && maxAbs > 2*sigma*(1+1e-6) {
			t.Errorf("%s: a weight of %.5f, beyond the truncation at %.5f", c.name, maxAbs, 2*sigma)
		}
		if !c.truncated && maxAbs < 4*sigma {
			t.Errorf("%s: no weight beyond %.5f in %d draws (the plain normal is not truncated)", c.name, 4*sigma, n)
		}
	}
}
