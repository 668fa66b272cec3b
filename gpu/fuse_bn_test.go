package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// bnActPlan is a batch norm, a rectifier of its output, the rectifier's
// backward pass from a given gradient and the batch norm's backward pass,
// as nn lowers BatchNormalization followed by ReLU or LeakyReLU; and in
// the Eval routine the inference batch norm and the rectifier.
type bnActPlan struct {
	p                                         *tensor.Plan
	x, mv, inv, y, out, mean, mm, g, dpre, dx tensor.BufferID
	dgamma, dbeta, yEval, outEval             tensor.BufferID
}

func newBNActPlan(batch, outer, c int, fn tensor.ActFn) bnActPlan {
	p := tensor.NewPlan(batch)
	act := func(name string) tensor.BufferID {
		return p.AddBuffer(name, tensor.ActivationBuffer, true, tensor.Shape{outer, c})
	}
	ch := func(name string, kind tensor.BufferKind) tensor.BufferID {
		return p.AddBuffer(name, kind, false, tensor.Shape{c})
	}
	b := bnActPlan{p: p, x: act("x"), y: act("y"), out: act("out"), g: act("g"), dpre: act("dpre"), dx: act("dx"),
		mm: ch("moving_mean", tensor.StateBuffer), mv: ch("moving_var", tensor.StateBuffer),
		mean: ch("mean", tensor.StateBuffer), inv: ch("invstd", tensor.StateBuffer),
		dgamma: ch("dgamma", tensor.GradientBuffer), dbeta: ch("dbeta", tensor.GradientBuffer),
		yEval: act("y_eval"), outEval: act("out_eval")}
	gamma, beta := ch("gamma", tensor.ParamBuffer), ch("beta", tensor.ParamBuffer)
	n := outer * c
	p.Emit(tensor.Train, tensor.BatchNormTrain{X: b.x, Gamma: gamma, Beta: beta, MovingMean: b.mm, MovingVar: b.mv,
		Y: b.y, Mean: b.mean, InvStd: b.inv, Outer: outer, C: c, Momentum: 0.9, Epsilon: 1e-3})
	p.Emit(tensor.Train, tensor.Activation{Fn: fn, X: b.y, Y: b.out, Size: n, Width: c, Alpha: 0.2})
	p.Emit(tensor.Train, tensor.ActivationBackward{Fn: fn, X: b.y, Y: b.out, DY: b.g, DX: b.dpre, Size: n, Width: c, Alpha: 0.2})
	p.Emit(tensor.Train, tensor.BatchNormBackward{X: b.x, DY: b.dpre, Gamma: gamma, Mean: b.mean, InvStd: b.inv,
		DX: b.dx, DGamma: b.dgamma, DBeta: b.dbeta, Outer: outer, C: c})
	p.Emit(tensor.Eval, tensor.BatchNormInfer{X: b.x, Gamma: gamma, Beta: beta, MovingMean: b.mm, MovingVar: b.mv,
		Y: b.yEval, Outer: outer, C: c, Epsilon: 1e-3})
	p.Emit(tensor.Eval, tensor.Activation{Fn: fn, X: b.yEval, Y: b.outEval, Size: n, Width: c, Alpha: 0.2})
	return b
}

// TestFuseBNActivationPlacement checks that both pairs fuse, and that a
// sigmoid, a rectifier of another buffer, or a rectifier writing the batch
// norm's input do not.
func TestFuseBNActivationPlacement(t *testing.T) {
	b := newBNActPlan(2, 3, 4, tensor.LeakyReLU)
	ops := b.p.Routines[tensor.Train]
	got := fuseBNActivation(ops)
	if len(got) != 2 {
		t.Fatalf("%d ops after fusion, want 2: %#v", len(got), got)
	}
	if _, ok := got[0].(bnAct); !ok {
		t.Errorf("op 0 is %T, want bnAct", got[0])
	}
	if _, ok := got[1].(actBNBackward); !ok {
		t.Errorf("op 1 is %T, want actBNBackward", got[1])
	}
	if got := fuseBNActivation(b.p.Routines[tensor.Eval]); len(got) != 1 {
		t.Errorf("Eval: %d ops after fusion, want 1", len(got))
	}
	for name, edit := range map[string]func(a *tensor.Activation, ab *tensor.ActivationBackward){
		"sigmoid": func(a *tensor.Activation, ab *tensor.ActivationBackward) {
			a.Fn, ab.Fn = tensor.Sigmoid, tensor.Sigmoid
		},
		"other input":   func(a *tensor.Activation, ab *tensor.ActivationBackward) { a.X, ab.DX = b.g, b.g },
		"writes bn's x": func(a *tensor.Activation, ab *tensor.ActivationBackward) { a.Y, ab.DX = b.x, b.x },
	} {
		a, ab := ops[1].(tensor.Activation), ops[2].(tensor.ActivationBackward)
		edit(&a, &ab)
		if got := fuseBNActivation([]tensor.Op{ops[0], a, ab, ops[3]}); len(got) != 4 {
			t.Errorf("%s: %d ops after fusion, want the 4 unfused", name, len(got))
		}
	}
}

// TestFusedBNActivationParity runs the plan of newBNActPlan fused and
// unfused for two steps: the fused kernels must give the unfused ones'
// results bit for bit (the same float32 operations), and match cpuref's
// unfused ops within the batch-norm tolerances. Channels of 3000 positions
// take bn_stats_partial's slices. The Eval routine's inference pair is
// checked the same way.
func TestFusedBNActivationParity(t *testing.T) {
	bk := openBackend(t)
	const c = 7
	for _, fn := range []tensor.ActFn{tensor.ReLU, tensor.LeakyReLU} {
		for _, outer := range []int{4, 3000} {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("%v/outer=%d/%s", fn, outer, shapeName(sh.batch, sh.rows)), func(t *testing.T) {
					b := newBNActPlan(sh.batch, outer, c, fn)
					init := func(id tensor.BufferID, n int) []float32 {
						switch id {
						case b.mv:
							return positive01(n, 8)
						case b.mm, b.dgamma, b.dbeta:
							return make([]float32, n)
						}
						return nil
					}
					run := parityRun{plan: b.p, init: init, steps: steps(2, sh.rows)}
					cpu, fused := run.run(t, bk)
					// Channels of 3000 positions cut both reductions into
					// slices, each with its merge pass (colReduce).
					if c := compileGPU(t, bk, b.p).cmds[tensor.Train].Counts(); c.Dispatches > 6 {
						t.Errorf("fused: %d dispatches, want at most 6 (statistics ≤ 2, apply, sums ≤ 2, apply)", c.Dispatches)
					}
					tl := selftest.BatchNormTrainTol(1)
					sums, dxTol := selftest.BatchNormBackwardTol(sh.rows * outer)
					compare(t, b.p, cpu, fused, exact, map[tensor.BufferID]tol{
						b.mean: tl.Mean, b.inv: tl.InvStd, b.y: tl.Y, b.out: tl.Y, b.mm: tl.MovingMean, b.mv: tl.MovingVar,
						b.dgamma: sums, b.dbeta: sums, b.dx: dxTol,
					})
					eval := parityRun{plan: b.p, init: init, routine: tensor.Eval, steps: steps(1, sh.rows)}
					cpuEval, fusedEval := eval.run(t, bk)
					compare(t, b.p, cpuEval, fusedEval, exact, map[tensor.BufferID]tol{
						b.yEval: selftest.BatchNormInferTol, b.outEval: selftest.BatchNormInferTol})
					noFusion = true
					defer func() { noFusion = false }()
					_, unfused := run.run(t, bk)
					_, unfusedEval := eval.run(t, bk)
					sameBits(t, b.p, fused, unfused)
					sameBits(t, b.p, fusedEval, unfusedEval)
				})
			}
		}
	}
}

// sameBits fails t unless the fused and unfused results are bit for bit
// the same.
func sameBits(t *testing.T, p *tensor.Plan, fused, unfused [][]float32) {
	t.Helper()
	for id := range unfused {
		for i := range unfused[id] {
			if math.Float32bits(unfused[id][i]) != math.Float32bits(fused[id][i]) {
				t.Fatalf("%s element %d: fused %v, unfused %v", p.Buffers[id].Name, i, fused[id][i], unfused[id][i])
			}
		}
	}
}
