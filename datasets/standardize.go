package datasets

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Standardizer scales each feature to zero mean and unit variance with
// statistics fitted on one set (normally the training set), so that the same
// scaling can be applied to others (the validation and test sets).
type Standardizer struct {
	// Mean is each feature's mean.
	Mean []float32
	// Std is each feature's population standard deviation, or 1 where the
	// feature is constant, so that constant features map to 0 rather than
	// to a division by zero.
	Std []float32
}

// FitStandardizer computes per-feature means and standard deviations over the
// rows of x; the features of a row are all its elements (x.RowSize()). It
// fails when x has no rows or holds NaN or infinite values.
func FitStandardizer(x *tensor.Tensor) (*Standardizer, error) {
	if x == nil || x.Rows() == 0 {
		return nil, fmt.Errorf("datasets: cannot fit a standardizer to an empty set")
	}
	rows, f := x.Rows(), x.RowSize()
	sum := make([]float64, f)
	for r := 0; r < rows; r++ {
		for j, v := range x.Data[r*f : (r+1)*f] {
			sum[j] += float64(v)
		}
	}
	mean := make([]float64, f)
	for j := range sum {
		mean[j] = sum[j] / float64(rows)
	}
	// A second pass over the centred values keeps the variance accurate when
	// the mean is large next to the spread.
	sq := make([]float64, f)
	for r := 0; r < rows; r++ {
		for j, v := range x.Data[r*f : (r+1)*f] {
			d := float64(v) - mean[j]
			sq[j] += d * d
		}
	}
	s := &Standardizer{Mean: make([]float32, f), Std: make([]float32, f)}
	for j := range sq {
		std := math.Sqrt(sq[j] / float64(rows))
		if math.IsNaN(std) || math.IsInf(std, 0) || math.IsInf(mean[j], 0) {
			return nil, fmt.Errorf("datasets: cannot standardize feature %d: its values include NaN or infinity", j)
		}
		s.Mean[j] = float32(mean[j])
		s.Std[j] = float32(std)
		if s.Std[j] == 0 {
			s.Std[j] = 1
		}
	}
	return s, nil
}

// Apply replaces each feature v of x, in place, with (v - Mean) / Std. It
// fails when x's row size differs from the number of fitted features.
func (s *Standardizer) Apply(x *tensor.Tensor) error {
	f := len(s.Mean)
	if x == nil || x.RowSize() != f || len(s.Std) != f {
		got := 0
		if x != nil {
			got = x.RowSize()
		}
		return fmt.Errorf("datasets: standardizer fitted to %d features cannot apply to rows of %d", f, got)
	}
	// float64 keeps v - Mean from overflowing float32 for extreme values.
	for i := range x.Data {
		j := i % f
		x.Data[i] = float32((float64(x.Data[i]) - float64(s.Mean[j])) / float64(s.Std[j]))
	}
	return nil
}
