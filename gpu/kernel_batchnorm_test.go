package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
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
// invocations, and (outer=3000) enough that bn_stats_partial cuts each
// channel into slices; and a batch of 4096 single positions of which 3
// are valid, so that most slices are empty.
// Tolerances: selftest.BatchNormTrainTol.
func TestBatchNormTrainParity(t *testing.T) {
	b := openBackend(t)
	const c = 7
	for _, outer := range []int{1, 90, 3000} {
		for _, offset := range []float32{0, 50} {
			for _, unbiased := range []bool{false, true} {
				cases := shapes
				if outer == 1 {
					cases = append(cases, struct{ batch, rows int }{4096, 3})
				}
				for _, sh := range cases {
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
								return offsetFloats(n, 7, offset)
							case mv:
								return positive01(n, 8)
							}
							return nil
						}
						cpu, gpu := parityRun{plan: p, init: init, steps: steps(2, sh.rows)}.run(t, b)
						tl := selftest.BatchNormTrainTol(float64(offset) + 1)
						compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{
							mean: tl.Mean, inv: tl.InvStd, y: tl.Y, mm: tl.MovingMean, mv: tl.MovingVar,
						})
					})
				}
			}
		}
	}
}

// offsetFloats returns n values within 1 of offset: inputs whose mean is
// large next to their spread.
func offsetFloats(n int, seed uint64, offset float32) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] += offset
	}
	return v
}

// positive01 returns n values in [0.5, 1.5): variances, invstd.
func positive01(n int, seed uint64) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] = 1 + v[i]/2
	}
	return v
}

// TestBatchNormInferParity: Y = (x−mm)·γ/sqrt(mv+ε) + β, within
// selftest.BatchNormInferTol.
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
			compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{y: selftest.BatchNormInferTol})
		})
	}
}

// TestBatchNormBackwardParity checks DGamma, DBeta and DX, also with DX
// aliasing DY, within selftest.BatchNormBackwardTol.
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
				sums, dxTol := selftest.BatchNormBackwardTol(sh.rows * outer)
				compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{
					dg: sums, db: sums, dg2: sums, db2: sums, dx: dxTol, dyAlias: dxTol,
				})
				n := sh.rows * outer * c // rows beyond are untouched, and started different
				if err := within(gpu[dx][:n], gpu[dyAlias][:n], exact); err != nil {
					t.Errorf("DX aliasing DY differs from DX in its own buffer: %v", err)
				}
			})
		}
	}
}
