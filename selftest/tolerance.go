package selftest

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Tol is the tolerance of one compared buffer: element i may differ from
// the reference by at most Abs + Rel·|ref[i]| + Sum·mag[i], where mag[i]
// is the same element computed by the reference from the absolute values
// of every input (Σ|a·b| for a product, an upper bound for a pooling).
// The zero Tol demands bit-identical results (NaN matching NaN).
//
// The tolerances below are argued from float32 arithmetic against cpuref,
// which computes in float64 where it can and rounds once; the GPU parity
// tests (package gpu) use the same ones.
type Tol struct{ Abs, Rel, Sum float64 }

// exact is the zero tolerance: selection, copies and single correctly
// rounded operations done in the same order on both backends.
var exact = Tol{}

// Eps32 is float32's machine epsilon, 2⁻²³; UnitRoundoff is half of it.
const (
	Eps32        = 1.0 / (1 << 23)
	UnitRoundoff = 1.0 / (1 << 24)
)

// SumTol is the tolerance of an output that is a sum of `terms` float32
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
func SumTol(terms int) Tol {
	return Tol{Sum: 16 * math.Sqrt(float64(terms)) * UnitRoundoff}
}

// ReduceTol is the tolerance of a float32 sum of m values of magnitude at
// most scale, which the GPU reduces in a strided share per invocation and
// then a tree (per slice of the positions, the slices' sums then added the
// same way: gpu/kernel_colsum.go), and cpuref in float64 rounded once
// (BiasGrad, the batch-norm and layer-norm weight sums): a chain of at
// most about m/8 + 16 roundings per term, typically √m·ε·√m·scale in all,
// so 4·m·ε·scale absolute is safe.
func ReduceTol(m int, scale float64) Tol {
	return Tol{Abs: 4 * float64(m) * Eps32 * scale}
}

// ActivationTol is the tolerance of an activation, forward or backward:
//   - linear, relu and leaky_relu, both directions, select or do one
//     correctly rounded float32 multiply: bit-identical.
//   - sigmoid, tanh and softmax forward use the shader's exp, which the
//     Vulkan spec bounds by 3+2|x| ulp (≤ 11 ulp for |x| ≤ 4), then an add
//     and a division (2.5 ulp): under 16 ulp of a value ≤ 1, so 4e-6
//     absolute. Softmax also sums Width exps in float32: Width·ε more.
//   - sigmoid and tanh backward are two or three float32 products of the
//     same inputs, but a driver may fuse 1−y·y into one fma: 2 ulp.
//   - softmax backward takes a Width-term dot product in float32 where
//     cpuref uses float64: Width·ε·|dy|, under 4e-6 for Width ≤ 16 and
//     |dy| ≤ 1.
//   - gelu, silu, elu, selu and softplus, both directions, are a few
//     float32 operations around one or two exps (≤ 11 ulp for |x| ≤ 4, of
//     values ≤ 1 where it matters: e^x for x ≤ 0, e^−x²/2), a log1p of
//     a value ≤ 1 (log's absolute 2^−21 near 1) or Abramowitz–Stegun's
//     erf (within 1.5e-7, times |x| ≤ 4 / 2 in gelu): under 2e-6 absolute
//     against cpuref's float64, so 4e-6 absolute. The linear pieces
//     (x > 0 in elu and selu, selu's float32 scale) are one or two
//     rounded products: 2 ulp relative.
func ActivationTol(fn tensor.ActFn, backward bool, width int) Tol {
	switch {
	case fn == tensor.GELU || fn == tensor.SiLU || fn == tensor.ELU || fn == tensor.SELU || fn == tensor.Softplus:
		return Tol{Abs: 4e-6, Rel: 2 * Eps32}
	case fn == tensor.Softmax:
		return Tol{Abs: 4e-6 + float64(width)*Eps32}
	case (fn == tensor.Sigmoid || fn == tensor.Tanh) && backward:
		return Tol{Abs: 2 * Eps32, Rel: 2 * Eps32}
	case fn == tensor.Sigmoid || fn == tensor.Tanh:
		return Tol{Abs: 4e-6}
	}
	return exact
}

// BatchNormTrainTols are the tolerances of BatchNormTrain's outputs for
// inputs of magnitude at most s (≈ offset+1), |γ|·invstd ≤ 2, momentum 0.9.
// The GPU reduces in float32 (a strided share per invocation, then an
// 8-level tree); cpuref in float64, rounded once. The mean's error is at
// most about (8 + m/256)·ε·s, so 16·ε·s absolute. The variance is
// Σ(x−mean)²: the mean's error enters only squared, so invstd is good to a
// few ulp of the sum and of sqrt and division: 64·ε relative. Y =
// (x−mean)·γ·invstd + β inherits the mean's error times |γ|·invstd plus a
// few ulp: 32·ε·s·2 absolute. The moving mean takes the mean's error
// times (1−0.9).
type BatchNormTrainTols struct{ Mean, InvStd, Y, MovingMean, MovingVar Tol }

// BatchNormTrainTol returns BatchNormTrainTols for inputs of magnitude s.
func BatchNormTrainTol(s float64) BatchNormTrainTols {
	return BatchNormTrainTols{
		Mean:       Tol{Abs: 16 * Eps32 * s},
		InvStd:     Tol{Rel: 64 * Eps32},
		Y:          Tol{Abs: 32 * Eps32 * s * 2, Rel: 8 * Eps32},
		MovingMean: Tol{Abs: 16 * Eps32 * s, Rel: 4 * Eps32},
		MovingVar:  Tol{Rel: 64 * Eps32},
	}
}

// BatchNormInferTol: Y = (x−mm)·γ/sqrt(mv+ε) + β. The GPU's sqrt and
// division are each good to 2.5 ulp (Vulkan's bound) where cpuref rounds
// a float64 quotient once, and the product and sum add a few ulp of
// |x−mm|·|scale| + |β| ≤ 2·1.5 + 1 (inputs in [−1, 1), mv in [0.5, 1.5)):
// 8·ε·4 absolute.
var BatchNormInferTol = Tol{Abs: 8 * Eps32 * 4}

// BatchNormBackwardTol gives the tolerances of BatchNormBackward over m =
// rows·outer elements per channel, for |dy| ≤ 1 and |x̂| ≤ 3: DGamma and
// DBeta are sums of m terms of magnitude ≤ 3, ReduceTol(m, 3). DX =
// γ·invstd·(dy − Σdy/m − x̂·Σdy·x̂/m) inherits the sums' error divided by
// m, times |γ|·invstd·(1+|x̂|) ≤ 1.5·4, plus a few ulp of its terms: 64·ε
// absolute.
func BatchNormBackwardTol(m int) (sums, dx Tol) {
	return ReduceTol(m, 3), Tol{Abs: 64 * Eps32}
}

// LossTol gives the tolerances of a Loss over rows valid samples of units
// averaged values each, classes Width wide. Each unit's loss uses the
// shader's log and exp: Vulkan bounds log by 2^-21 absolute in [0.5, 2]
// and 3 ulp elsewhere, exp by 3+2|x| ulp, so a unit of Width terms is good
// to about Width·2^-21; the per-unit shares are summed in float32 over
// n = rows·units terms (n·ε relative at worst). So LossSum gets
// Width·2^-20·rows absolute plus 64·ε relative. Gradients are scaled by
// 1/n: the elementwise ones are one or two correctly rounded operations
// and a 2.5-ulp division (16·ε relative); the softmax and sigmoid ones use
// exp (logits in [−4, 4]) and p−1 cancels, so 4e-6/n absolute.
// Probabilities get 4e-6 absolute, as the activations do.
func LossTol(width, rows, units int) (sum, grad, probs Tol) {
	return Tol{Abs: float64(width) * math.Pow(2, -20) * float64(rows), Rel: 64 * Eps32},
		Tol{Abs: 4e-6 / float64(rows*units), Rel: 16 * Eps32},
		Tol{Abs: 4e-6}
}

// MetricSumTol: a metric sums n = rows·units shares of at most 4 each in
// float32, n·ε relative at worst: 64·ε relative for the sizes tested (the
// accuracies are sums of 1/units and nearly exact).
var MetricSumTol = Tol{Rel: 64 * Eps32}

// OptimizerTol covers three steps of every optimizer on values of
// magnitude ≤ ~1 with learning rates ≤ 0.03:
//   - SGD and the slots of all three (velocity, M, V, mean square) are the
//     same float32 operations in the same order as cpuref; a driver may
//     fuse a·b+c into one fma, which moves a result by up to 1 ulp per
//     step: 4·ε absolute and relative.
//   - Adam's parameter: cpuref folds the bias corrections into
//     α = lr·sqrt(1−β2^t)/(1−β1^t) in float64; the shader computes
//     1−β^t = −expm1(t·ln β) in float32, then a sqrt and a division (2.5
//     ulp each in Vulkan): α is within ~10 ulp, ~1.2e-6 relative. Each
//     update moves the parameter by at most ≈ lr ≤ 0.03, so the error per
//     step is ~4e-8, under 1 ulp of the parameter: 4·ε absolute holds.
//   - RMSprop's step, lr·g/sqrt(ms+ε), has a sqrt and a division (5 ulp
//     of a step ≤ lr·sqrt(1/(1−ρ)) ≈ 0.1): ~6e-8 per step, so 4·ε as well.
var OptimizerTol = Tol{Abs: 4 * Eps32, Rel: 4 * Eps32}

// limit is the largest difference Tol allows at one element.
func (t Tol) limit(ref, mag float32) float64 {
	return t.Abs + t.Rel*math.Abs(float64(ref)) + t.Sum*math.Abs(float64(mag))
}

// needsMagnitude reports whether the tolerance uses mag.
func (t Tol) needsMagnitude() bool { return t.Sum != 0 }

// NadamTol covers AdamW and Nadam on values of magnitude ≤ ~1: ten steps
// at learning rates ≤ 0.012 (gpu's test) or three at ≤ 0.03 (the
// self-test), Σ lr ≤ 0.09 either way. The moments are OptimizerTol's float32
// operations. Nadam's scalars a = u_{t+1}/(1−Π_t·u_{t+1}),
// b = (1−u_t)/(1−Π_t) and 1−β2^t are float64 in cpuref and float32 in the
// shader, 0.96^t through exp (a few ulp) and each division 2.5 ulp: ~10 ulp,
// 1.2e-6 relative. The product Π, stored in float32, is rounded once per
// step on either side but from scalars that differ by that much, so it
// drifts by ~1e-6 relative per step; it enters through 1/(1−Π) with
// Π ≤ 0.5, doubling that. A step moves the parameter by ≤ lr·|m̂|/√v̂ ≲
// 3·lr, so the steps err by ≲ 2.4e-6·3·Σ lr ≲ 7e-7 in all: 8·ε plus 8·ε
// relative (a wrong schedule term moves it by 1e-4 and more).
var NadamTol = Tol{Abs: 8 * Eps32, Rel: 8 * Eps32}

// ClipTol covers gradient clipping of values in [−1, 1). clipvalue is
// exact. A norm is a sum of n squares: cpuref adds them in float64 and
// rounds once; the shader adds n/wg of them in float32 per invocation,
// then a tree: ≲ (n/wg + log2 wg)·ε relative, ≲ 300·ε for the largest
// gradient tested (70,000 values, wg ≥ 256), and its square root halves
// that. The clipped value is then a multiply and a division (2.5 ulp in
// Vulkan): 160·ε relative, plus ε absolute for values near zero.
var ClipTol = Tol{Abs: Eps32, Rel: 160 * Eps32}

// RegularizeTol covers a weight penalty over weights in [−1, 1). The
// gradient term l1·sign(w) + 2·l2·w is the same float32 operations on both
// backends but for a driver's fma (1 ulp). The penalty sums n values: in
// float64 rounded once in cpuref, in float32 per invocation (n/wg adds)
// then a tree in the shader, ≲ (n/wg + log2 wg)·ε relative, ≲ 300·ε for
// the 70,000 weights tested; the loss sum adds it to values of its own
// size. 300·ε relative, plus ε absolute.
var RegularizeTol = Tol{Abs: Eps32, Rel: 300 * Eps32}
