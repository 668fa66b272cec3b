package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// lossVariant is one loss op the parity test below emits: a kind with its
// parameters, weighted or not.
type lossVariant struct {
	kind             tensor.LossKind
	smoothing, delta float32
	weighted         bool
}

// lossVariants lists Huber (both branches at delta 1 and 0.3) and LogCosh,
// each smoothable kind with label smoothing, and every kind weighted.
func lossVariants() []lossVariant {
	vs := []lossVariant{{kind: tensor.Huber, delta: 1}, {kind: tensor.Huber, delta: 0.3}, {kind: tensor.LogCosh}}
	for _, k := range lossKinds {
		if k.Smoothable() {
			vs = append(vs, lossVariant{kind: k, smoothing: 0.2})
		}
	}
	for _, k := range append(append([]tensor.LossKind(nil), lossKinds...), tensor.Huber, tensor.LogCosh) {
		vs = append(vs, lossVariant{kind: k, delta: 1, weighted: true})
	}
	return vs
}

// variantInputs is lossInputs with regression inputs for Huber and LogCosh:
// errors up to ±3, so both of Huber's branches run.
func variantInputs(v lossVariant, n, width int, seed uint64) (pred, target []float32) {
	if v.kind != tensor.Huber && v.kind != tensor.LogCosh {
		return lossInputs(v.kind, n, width, seed)
	}
	pred, target = randomFloats(n, seed), randomFloats(n, seed+1)
	for i := range pred {
		pred[i] *= 2
	}
	return pred, target
}

// TestLossVariantsParity runs each variant with a gradient (and
// probabilities for the fused kinds) and without, twice, against cpuref.
// Tolerances: selftest.LossTol, with the sum's and the gradient's absolute
// parts doubled for the weighted ones, whose weights (0, 0.75 and 1.5)
// scale each sample's loss and gradient by up to 1.5.
func TestLossVariantsParity(t *testing.T) {
	b := openBackend(t)
	const size, width = 39, 13
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			tols := map[tensor.BufferID]tol{}
			inputs := map[tensor.BufferID][]float32{}
			for i, v := range lossVariants() {
				pred := p.AddBuffer(fmt.Sprintf("pred%d", i), tensor.ActivationBuffer, true, tensor.Shape{size})
				target := p.AddBuffer(fmt.Sprintf("target%d", i), tensor.InputBuffer, true, tensor.Shape{v.kind.TargetSize(size, width)})
				inputs[pred], inputs[target] = variantInputs(v, sh.batch*size, width, uint64(100+i*10))
				weight := tensor.NoBuffer
				if v.weighted {
					weight = p.AddBuffer(fmt.Sprintf("weight%d", i), tensor.InputBuffer, true, tensor.Shape{1})
					w := make([]float32, sh.batch)
					for n := range w {
						w[n] = 0.75 * float32((n+i)%3)
					}
					inputs[weight] = w
				}
				units := size
				if v.kind.Categorical() {
					units = size / width
				}
				sumTol, gradTol, probsTol := selftest.LossTol(width, sh.rows, units)
				if v.weighted {
					sumTol.Abs *= 2
					gradTol.Abs *= 2
				}
				for _, train := range []bool{true, false} {
					sum := p.AddBuffer(fmt.Sprintf("loss%d_train=%v", i, train), tensor.AccumulatorBuffer, false, tensor.Shape{1})
					probs, grad := tensor.NoBuffer, tensor.NoBuffer
					if train {
						grad = p.AddBuffer(fmt.Sprintf("grad%d", i), tensor.GradientBuffer, true, tensor.Shape{size})
						tols[grad] = gradTol
						if v.kind.FromLogits() {
							probs = p.AddBuffer(fmt.Sprintf("probs%d", i), tensor.ActivationBuffer, true, tensor.Shape{size})
							tols[probs] = probsTol
						}
					}
					op := tensor.Loss{Kind: v.kind, Pred: pred, Target: target, Probs: probs, Grad: grad,
						LossSum: sum, Size: size, Width: width, Smoothing: v.smoothing, Delta: v.delta}
					if v.weighted {
						p.Emit(tensor.Train, tensor.WeightedLoss{Loss: op, Weight: weight})
					} else {
						p.Emit(tensor.Train, op)
					}
					tols[sum] = sumTol
				}
			}
			init := func(id tensor.BufferID, n int) []float32 {
				if v, ok := inputs[id]; ok {
					return v
				}
				if p.Buffers[id].Kind == tensor.AccumulatorBuffer {
					return []float32{1.5}
				}
				return nil
			}
			cpu, gpu := parityRun{plan: p, init: init, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, tols)
		})
	}
}

// TestLogCoshSmallErrors: log-cosh of errors around 1e-3 is about 5e-7,
// which the form |e| + log(1+e^−2|e|) − log 2 loses to cancellation in
// float32 (an absolute error of ~6e-8, over 10% of it), and a form through
// log1p of cosh − 1 loses to GLSL's log, accurate only to 2^-21 absolute
// near 1 (0.4% seen on lavapipe). The shader's series keeps it to float32
// rounding: 1e-5 relative to the float64 value here, a sum of 6 terms.
func TestLogCoshSmallErrors(t *testing.T) {
	b := openBackend(t)
	const size = 6
	p := tensor.NewPlan(1)
	pred := p.AddBuffer("pred", tensor.ActivationBuffer, true, tensor.Shape{size})
	target := p.AddBuffer("target", tensor.InputBuffer, true, tensor.Shape{size})
	sum := p.AddBuffer("sum", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	p.Emit(tensor.Train, tensor.Loss{Kind: tensor.LogCosh, Pred: pred, Target: target, Probs: tensor.NoBuffer,
		Grad: tensor.NoBuffer, LossSum: sum, Size: size, Width: 1})
	pv := []float32{1e-3, -2e-3, 5e-4, 3e-3, -1.5e-3, 2.5e-3}
	init := func(id tensor.BufferID, n int) []float32 {
		switch id {
		case pred:
			return pv
		case target, sum:
			return make([]float32, n)
		}
		return nil
	}
	_, gpu := parityRun{plan: p, init: init, steps: steps(1, 1)}.run(t, b)
	want := 0.0
	for _, v := range pv {
		want += math.Log(math.Cosh(float64(v)))
	}
	want /= size
	if got := float64(gpu[sum][0]); math.Abs(got-want) > 1e-5*want {
		t.Errorf("log-cosh of small errors: %v, want %v", got, want)
	}
}
