package datasets

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func TestStandardizer(t *testing.T) {
	// Two features over NHWC-like rows of shape [2]: a large offset with a
	// small spread checks the two-pass variance.
	x, _ := tensor.FromData([]float32{1e6 + 1, 3, 1e6 + 2, 3, 1e6 + 3, 3}, 3, 2)
	s, err := FitStandardizer(x)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mean[0] != 1e6+2 || math.Abs(float64(s.Std[0])-math.Sqrt(2.0/3)) > 1e-6 || s.Mean[1] != 3 || s.Std[1] != 1 {
		t.Fatalf("mean %v std %v", s.Mean, s.Std)
	}
	if err := s.Apply(x); err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for r := 0; r < 3; r++ {
		sum += float64(x.Data[2*r])
		sq += float64(x.Data[2*r] * x.Data[2*r])
		if x.Data[2*r+1] != 0 {
			t.Errorf("constant feature became %v", x.Data[2*r+1])
		}
	}
	if math.Abs(sum) > 1e-5 || math.Abs(sq/3-1) > 1e-5 {
		t.Errorf("standardized feature: mean %v, variance %v", sum/3, sq/3)
	}

	wrong := tensor.New(2, 3)
	if err := s.Apply(wrong); err == nil {
		t.Error("Apply to rows of 3 features succeeded with a standardizer of 2")
	}
	if _, err := FitStandardizer(tensor.New(0, 2)); err == nil {
		t.Error("fit to an empty set succeeded")
	}
	inf, _ := tensor.FromData([]float32{float32(math.Inf(1)), 1}, 2, 1)
	if _, err := FitStandardizer(inf); err == nil {
		t.Error("fit to infinite values succeeded")
	}
}
