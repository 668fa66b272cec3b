package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// stride returns every second value of v from first on: one half of an
// interleaved pair buffer.
func stride(v []float32, first int) []float32 {
	var out []float32
	for i := first; i < len(v); i += 2 {
		out = append(out, v[i])
	}
	return out
}

// TestBatchNormMomentsParity checks the per-channel (mean, M2) over inputs
// whose mean (offset) is large next to their spread, with fewer and more
// positions per channel than a workgroup has invocations. Tolerances: the
// mean as BatchNormTrain's (selftest.BatchNormTrainTol); M2 is a float32
// sum of m squared deviations of magnitude ≤ 1 (inputs in [−1, 1) about
// the offset), selftest.ReduceTol(m, 1), plus the mean's error, which
// enters only squared.
func TestBatchNormMomentsParity(t *testing.T) {
	b := openBackend(t)
	const c = 5
	for _, outer := range []int{1, 90, 700} {
		for _, offset := range []float32{0, 50} {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("outer=%d/offset=%v/%s", outer, offset, shapeName(sh.batch, sh.rows)), func(t *testing.T) {
					p := tensor.NewPlan(sh.batch)
					x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
					mom := p.AddBuffer("moments", tensor.StateBuffer, false, tensor.Shape{2 * c})
					p.Emit(tensor.Train, tensor.BatchNormMoments{X: x, Moments: mom, Outer: outer, C: c})
					init := func(id tensor.BufferID, n int) []float32 {
						if id != x {
							return nil
						}
						return offsetFloats(n, 21, offset)
					}
					cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, sh.rows)}.run(t, b)
					compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{mom: {Abs: 1e30}}) // checked by half below
					m := sh.rows * outer
					if err := within(stride(cpu[mom], 0), stride(gpu[mom], 0), selftest.BatchNormTrainTol(float64(offset)+1).Mean); err != nil {
						t.Errorf("mean: %v", err)
					}
					if err := within(stride(cpu[mom], 1), stride(gpu[mom], 1), selftest.ReduceTol(m, 1)); err != nil {
						t.Errorf("M2: %v", err)
					}
				})
			}
		}
	}
}

// TestBatchNormApplyParity runs two steps (so the moving averages
// accumulate) of the normalisation with given statistics. Y as
// BatchNormInfer's (one product more, within its 8 ulp of slack), the
// moving statistics as BatchNormTrain's (selftest.BatchNormTrainTol).
func TestBatchNormApplyParity(t *testing.T) {
	b := openBackend(t)
	const outer, c = 6, 11
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			per := func(name string) tensor.BufferID {
				return p.AddBuffer(name, tensor.StateBuffer, false, tensor.Shape{c})
			}
			gamma, beta, mean, inv, bv, mm, mv := per("gamma"), per("beta"), per("mean"), per("invstd"), per("batch_var"),
				per("moving_mean"), per("moving_var")
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			p.Emit(tensor.Train, tensor.BatchNormApply{X: x, Gamma: gamma, Beta: beta, Mean: mean, InvStd: inv, BatchVar: bv,
				MovingMean: mm, MovingVar: mv, Y: y, Outer: outer, C: c, Momentum: 0.9})
			init := func(id tensor.BufferID, n int) []float32 {
				switch id {
				case inv, bv, mv:
					return positive01(n, 22+uint64(id))
				}
				return nil
			}
			cpu, gpu := parityRun{plan: p, init: init, steps: steps(2, sh.rows)}.run(t, b)
			tl := selftest.BatchNormTrainTol(1)
			compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{y: selftest.BatchNormInferTol, mm: tl.MovingMean, mv: tl.MovingVar})
		})
	}
}

// TestBatchNormSplitBackwardParity checks BatchNormBackSums and
// BatchNormBackApply (reading the sums from buffers of their own, as an
// exchange writes them) within selftest.BatchNormBackwardTol, as
// BatchNormBackward's parity test does.
func TestBatchNormSplitBackwardParity(t *testing.T) {
	b := openBackend(t)
	const c = 7
	for _, outer := range []int{4, 90} {
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("outer=%d/%s", outer, shapeName(sh.batch, sh.rows)), func(t *testing.T) {
				p := tensor.NewPlan(sh.batch)
				x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
				dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				per := func(name string) tensor.BufferID {
					return p.AddBuffer(name, tensor.StateBuffer, false, tensor.Shape{c})
				}
				gamma, mean, inv, dg, db, sdy, sdxh := per("gamma"), per("mean"), per("invstd"), per("dgamma"), per("dbeta"),
					per("sum_dy"), per("sum_dy_xhat")
				dx := p.AddBuffer("dx", tensor.GradientBuffer, true, tensor.Shape{outer, c})
				p.Emit(tensor.Train, tensor.BatchNormBackSums{X: x, DY: dy, Mean: mean, InvStd: inv, DGamma: dg, DBeta: db,
					Outer: outer, C: c})
				p.Emit(tensor.Train, tensor.BatchNormBackApply{X: x, DY: dy, Gamma: gamma, Mean: mean, InvStd: inv,
					SumDY: sdy, SumDYXh: sdxh, DX: dx, Outer: outer, C: c})
				m := sh.rows * outer
				init := func(id tensor.BufferID, n int) []float32 {
					switch id {
					case inv:
						return positive01(n, 23)
					case sdy, sdxh: // sums of m terms of magnitude ≤ 1 and ≤ 3
						return scaled(n, 24+uint64(id), float32(m))
					}
					return nil
				}
				cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, sh.rows)}.run(t, b)
				sums, dxTol := selftest.BatchNormBackwardTol(m)
				compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{dg: sums, db: sums, dx: dxTol})
			})
		}
	}
}
