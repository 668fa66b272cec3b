package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// maxAbs is the largest magnitude in v.
func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// TestBatchNormTrainParity runs two training steps of batch norm (so the
// moving averages accumulate) over inputs whose mean (offset) is large
// next to their spread, for both moving-variance conventions, with fewer
// and more positions per channel than one reduction workgroup has
// invocations.
//
// Tolerances. The GPU reduces in float32 (a strided share per invocation,
// then an 8-level tree); cpuref in float64, rounded once. With s = the
// largest |x| (≈ offset+1) the mean's error is at most about
// (8 + m/256)·ε·s, so 16·ε·s absolute. The variance is Σ(x−mean)²: the
// mean's error enters only squared, so invstd is good to a few ulp of the
// sum and of sqrt and division: 64·ε relative. Y = (x−mean)·γ·invstd + β
// inherits the mean's error times |γ|·invstd (≤ 2 here) plus a few ulp:
// 32·ε·s absolute. The moving mean takes the mean's error times (1−0.9).
func TestBatchNormTrainParity(t *testing.T) {
	b := openBackend(t)
	const c = 7
	for _, outer := range []int{5, 90} {
		for _, offset := range []float32{0, 50} {
			for _, unbiased := range []bool{false, true} {
				for _, sh := range shapes {
					name := fmt.Sprintf("outer=%d/offset=%v/unbiased=%v/%s", outer, offset, unbiased, shapeName(sh.batch, sh.rows))
					t.Run(name, func(t *testing.T) {
						p := tensor.NewPlan(sh.batch)
						x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
						gamma := p.AddBuffer("gamma", tensor.ParamBuffer, false, tensor.Shape{c})
						beta := p.AddBuffer("beta", tensor.ParamBuffer, false, tensor.Shape{c})
						mm := p.AddBuffer("moving_mean", tensor.StateBuffer, false, tensor.Shape{c})
						mv := p.AddBuffer("moving_var", tensor.StateBuffer, false, tensor.Shape{c})
						y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
						mean := p.AddBuffer("mean", tensor.StateBuffer, false, tensor.Shape{c})
						inv := p.AddBuffer("invstd", tensor.StateBuffer, false, tensor.Shape{c})
						p.Emit(tensor.Train, tensor.BatchNormTrain{X: x, Gamma: gamma, Beta: beta, MovingMean: mm, MovingVar: mv,
							Y: y, Mean: mean, InvStd: inv, Outer: outer, C: c, Momentum: 0.9, Epsilon: 1e-3, UnbiasedMovingVar: unbiased})
						init := func(id tensor.BufferID, n int) []float32 {
							switch id {
							case x:
								v := randomFloats(n, 7)
								for i := range v {
									v[i] += offset
								}
								return v
							case mv:
								return positive01(n, 8)
							}
							return nil
						}
						cpu, gpu := parityRun{plan: p, init: init, steps: steps(2, sh.rows)}.run(t, b)
						s := float64(offset) + 1
						compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{
							mean: {Abs: 16 * eps32 * s},
							inv:  {Rel: 64 * eps32},
							y:    {Abs: 32 * eps32 * s * 2, Rel: 8 * eps32},
							mm:   {Abs: 16 * eps32 * s, Rel: 4 * eps32},
							mv:   {Rel: 64 * eps32},
						})
					})
				}
			}
		}
	}
}

// positive01 returns n values in [0.5, 1.5): variances, invstd.
func positive01(n int, seed uint64) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] = 1 + v[i]/2
	}
	return v
}

// TestBatchNormInferParity: Y = (x−mm)·γ/sqrt(mv+ε) + β. The GPU's sqrt
// and division are each good to 2.5 ulp (Vulkan's bound) where cpuref
// rounds a float64 quotient once, and the product and sum add a few ulp of
// |x−mm|·|scale| + |β| ≤ 2·1.5 + 1: 8·ε·4 absolute.
func TestBatchNormInferParity(t *testing.T) {
	b := openBackend(t)
	const outer, c = 6, 11
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			gamma := p.AddBuffer("gamma", tensor.ParamBuffer, false, tensor.Shape{c})
			beta := p.AddBuffer("beta", tensor.ParamBuffer, false, tensor.Shape{c})
			mm := p.AddBuffer("moving_mean", tensor.StateBuffer, false, tensor.Shape{c})
			mv := p.AddBuffer("moving_var", tensor.StateBuffer, false, tensor.Shape{c})
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			p.Emit(tensor.Eval, tensor.BatchNormInfer{X: x, Gamma: gamma, Beta: beta, MovingMean: mm, MovingVar: mv,
				Y: y, Outer: outer, C: c, Epsilon: 1e-3})
			init := func(id tensor.BufferID, n int) []float32 {
				if id == mv {
					return positive01(n, 9)
				}
				return nil
			}
			cpu, gpu := parityRun{plan: p, init: init, routine: tensor.Eval, steps: steps(1, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{y: {Abs: 8 * eps32 * 4}})
		})
	}
}

// TestBatchNormBackwardParity checks DGamma, DBeta and DX, also with DX
// aliasing DY. The sums run over m = rows·outer terms of magnitude ≤ |dy|·
// |x̂| ≤ 1·3: as for BiasGrad, 4·m·ε·3 absolute. DX = γ·invstd·(dy −
// Σdy/m − x̂·Σdy·x̂/m) inherits the sums' error divided by m, times
// |γ|·invstd·(1+|x̂|) ≤ 1.5·4, plus a few ulp of its terms: 64·ε absolute.
func TestBatchNormBackwardParity(t *testing.T) {
	b := openBackend(t)
	const c = 7
	for _, outer := range []int{4, 90} {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("outer=%d/%s", outer, shapeName(sh.batch, sh.rows)), func(t *testing.T) {
				p := tensor.NewPlan(sh.batch)
				x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
				dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				gamma := p.AddBuffer("gamma", tensor.ParamBuffer, false, tensor.Shape{c})
				mean := p.AddBuffer("mean", tensor.StateBuffer, false, tensor.Shape{c})
				inv := p.AddBuffer("invstd", tensor.StateBuffer, false, tensor.Shape{c})
				dx := p.AddBuffer("dx", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				dg := p.AddBuffer("dgamma", tensor.GradientBuffer, false, tensor.Shape{c})
				db := p.AddBuffer("dbeta", tensor.GradientBuffer, false, tensor.Shape{c})
				dyAlias := p.AddBuffer("dy_aliased_by_dx", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				dg2 := p.AddBuffer("dgamma2", tensor.GradientBuffer, false, tensor.Shape{c})
				db2 := p.AddBuffer("dbeta2", tensor.GradientBuffer, false, tensor.Shape{c})
				p.Emit(tensor.Train, tensor.BatchNormBackward{X: x, DY: dy, Gamma: gamma, Mean: mean, InvStd: inv,
					DX: dx, DGamma: dg, DBeta: db, Outer: outer, C: c})
				p.Emit(tensor.Train, tensor.BatchNormBackward{X: x, DY: dyAlias, Gamma: gamma, Mean: mean, InvStd: inv,
					DX: dyAlias, DGamma: dg2, DBeta: db2, Outer: outer, C: c})
				init := func(id tensor.BufferID, n int) []float32 {
					switch id {
					case inv:
						return positive01(n, 10)
					case dyAlias:
						return randomFloats(n, 1000+uint64(dy)) // the same gradient as dy
					}
					return nil
				}
				cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, sh.rows)}.run(t, b)
				m := float64(sh.rows * outer)
				sums := tol{Abs: 4 * m * eps32 * 3}
				compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{
					dg: sums, db: sums, dg2: sums, db2: sums,
					dx: {Abs: 64 * eps32}, dyAlias: {Abs: 64 * eps32},
				})
				n := sh.rows * outer * c // rows beyond are untouched, and started different
				if err := within(gpu[dx][:n], gpu[dyAlias][:n], exact); err != nil {
					t.Errorf("DX aliasing DY differs from DX in its own buffer: %v", err)
				}
			})
		}
	}
}
