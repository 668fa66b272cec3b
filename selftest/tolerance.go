package selftest

import "math"

// Tol is the tolerance of one compared buffer: element i may differ from
// the reference by at most Abs + Rel·|ref[i]| + Sum·mag[i], where mag[i]
// is the same element computed by the reference from the absolute values
// of every input (Σ|a·b| for a product, an upper bound for a pooling).
// The zero Tol demands bit-identical results (NaN matching NaN).
type Tol struct{ Abs, Rel, Sum float64 }

// exact is the zero tolerance: selection, copies and single correctly
// rounded operations done in the same order on both backends.
var exact = Tol{}

// eps32 is float32's machine epsilon, 2⁻²³; unitRoundoff is half of it.
const (
	eps32        = 1.0 / (1 << 23)
	unitRoundoff = 1.0 / (1 << 24)
)

// sumTol is the tolerance of an output that is a sum of `terms` float32
// products computed in different orders by the two backends (the GEMMs,
// the convolutions, average pooling).
//
// Each partial sum is rounded with a relative error of at most u and is
// bounded by Σ|a·b|, so each backend's error is a sum of `terms` roundings
// of at most u·Σ|a·b|; with rounding errors of random sign it grows like
// √terms·u·Σ|a·b| (the worst case, terms·u·Σ|a·b|, needs every rounding to
// go the same way). The bound is 8 of those per backend, 16 in all: many
// standard deviations, yet orders below a wrong index or a missing term
// (an error of order Σ|a·b|/terms or more). Zero terms (selection, no
// arithmetic) must match exactly.
func sumTol(terms int) Tol {
	return Tol{Sum: 16 * math.Sqrt(float64(terms)) * unitRoundoff}
}

// reduceTol is the tolerance of a float32 sum of m values of magnitude at
// most scale, which the GPU reduces in a strided share per invocation and
// then a tree, and cpuref in float64 rounded once (BiasGrad, the batch-norm
// sums): the worst case is about (m/256 + 8)·ε·m·scale, the typical one
// √m·ε·√m·scale, so 4·m·ε·scale absolute is safe.
func reduceTol(m int, scale float64) Tol {
	return Tol{Abs: 4 * float64(m) * eps32 * scale}
}

// limit is the largest difference Tol allows at one element.
func (t Tol) limit(ref, mag float32) float64 {
	return t.Abs + t.Rel*math.Abs(float64(ref)) + t.Sum*math.Abs(float64(mag))
}

// needsMagnitude reports whether the tolerance uses mag.
func (t Tol) needsMagnitude() bool { return t.Sum != 0 }
