package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

var lossKinds = []tensor.LossKind{tensor.MeanSquaredError, tensor.MeanAbsoluteError, tensor.CategoricalCrossentropy,
	tensor.SparseCategoricalCrossentropy, tensor.BinaryCrossentropy, tensor.SoftmaxCrossentropy,
	tensor.SparseSoftmaxCrossentropy, tensor.SigmoidBinaryCrossentropy}

// lossInputs returns predictions and targets that exercise kind: logits
// for the fused kinds, probabilities (some exactly 0 or 1, so clipping
// shows) for the others, class indices (one of them invalid) for the
// sparse kinds, soft labels for the dense categorical ones.
func lossInputs(kind tensor.LossKind, n, width int, seed uint64) (pred, target []float32) {
	u := randomFloats(n, seed)
	pred = make([]float32, n)
	for i, v := range u {
		switch {
		case kind.FromLogits():
			pred[i] = 4 * v
		case kind == tensor.MeanSquaredError || kind == tensor.MeanAbsoluteError:
			pred[i] = v
		default:
			pred[i] = (v + 1) / 2
		}
	}
	if !kind.FromLogits() && kind != tensor.MeanSquaredError && kind != tensor.MeanAbsoluteError {
		pred[0], pred[n-1] = 0, 1
	}
	tn := kind.TargetSize(n, width)
	t := randomFloats(tn, seed+1)
	target = make([]float32, tn)
	for i, v := range t {
		switch kind {
		case tensor.SparseCategoricalCrossentropy, tensor.SparseSoftmaxCrossentropy:
			target[i] = float32(int((v + 1) / 2 * float32(width)))
		case tensor.BinaryCrossentropy, tensor.SigmoidBinaryCrossentropy:
			target[i] = float32(math.Round(float64(v+1) / 2))
		case tensor.CategoricalCrossentropy, tensor.SoftmaxCrossentropy:
			target[i] = (v + 1) / 2 // soft labels: the fused gradient must use Σy
		default:
			target[i] = v
		}
	}
	if kind.Sparse() && tn > 1 {
		target[1] = float32(width) + 3 // invalid: contributes nothing
	}
	return pred, target
}

// TestLossParity runs every loss kind with a gradient and probabilities
// (training) and without (evaluation), twice, so that LossSum, which
// starts non-zero, accumulates.
// Tolerances: selftest.LossTol.
func TestLossParity(t *testing.T) {
	b := openBackend(t)
	const size, width = 39, 13
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			tols := map[tensor.BufferID]tol{}
			inputs := map[tensor.BufferID][]float32{}
			for _, kind := range lossKinds {
				pred := p.AddBuffer(fmt.Sprintf("pred%d", kind), tensor.ActivationBuffer, true, tensor.Shape{size})
				target := p.AddBuffer(fmt.Sprintf("target%d", kind), tensor.InputBuffer, true, tensor.Shape{kind.TargetSize(size, width)})
				pv, tv := lossInputs(kind, sh.batch*size, width, uint64(kind)*10)
				inputs[pred], inputs[target] = pv, tv
				units := size
				if kind == tensor.CategoricalCrossentropy || kind.Sparse() || kind == tensor.SoftmaxCrossentropy {
					units = size / width
				}
				sumTol, gradTol, probsTol := selftest.LossTol(width, sh.rows, units)
				for _, train := range []bool{true, false} {
					sum := p.AddBuffer(fmt.Sprintf("loss%d_train=%v", kind, train), tensor.AccumulatorBuffer, false, tensor.Shape{1})
					probs, grad := tensor.NoBuffer, tensor.NoBuffer
					if train {
						grad = p.AddBuffer(fmt.Sprintf("grad%d", kind), tensor.GradientBuffer, true, tensor.Shape{size})
						tols[grad] = gradTol
						if kind.FromLogits() {
							probs = p.AddBuffer(fmt.Sprintf("probs%d", kind), tensor.ActivationBuffer, true, tensor.Shape{size})
							tols[probs] = probsTol
						}
					}
					p.Emit(tensor.Train, tensor.Loss{Kind: kind, Pred: pred, Target: target, Probs: probs, Grad: grad,
						LossSum: sum, Size: size, Width: width})
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
