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

var metricKinds = []tensor.MetricKind{tensor.CategoricalAccuracy, tensor.SparseCategoricalAccuracy,
	tensor.BinaryAccuracy, tensor.MeanAbsoluteMetric, tensor.MeanSquaredMetric}

// TestMetricParity runs every metric kind on inputs with ties (values
// quantised to quarters, so argmax must pick the first maximum as
// tf.argmax does, and some predictions are exactly 0.5 for binary
// accuracy), accumulating twice onto a non-zero sum, within
// selftest.MetricSumTol.
func TestMetricParity(t *testing.T) {
	b := openBackend(t)
	const size, width = 40, 8
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			tols := map[tensor.BufferID]tol{}
			inputs := map[tensor.BufferID][]float32{}
			for _, kind := range metricKinds {
				m := tensor.Metric{Kind: kind, Size: size, Width: width}
				m.Pred = p.AddBuffer(fmt.Sprintf("pred%d", kind), tensor.ActivationBuffer, true, tensor.Shape{size})
				m.Target = p.AddBuffer(fmt.Sprintf("target%d", kind), tensor.InputBuffer, true, tensor.Shape{m.TargetSize()})
				m.Sum = p.AddBuffer(fmt.Sprintf("sum%d", kind), tensor.AccumulatorBuffer, false, tensor.Shape{1})
				p.Emit(tensor.Eval, m)
				pv := quarters(sh.batch*size, uint64(kind)*3)
				tv := quarters(sh.batch*m.TargetSize(), uint64(kind)*3+1)
				for i := range tv {
					switch kind {
					case tensor.SparseCategoricalAccuracy:
						tv[i] = float32(int((tv[i] + 1) * 4)) // classes 0..8: 8 never matches
					case tensor.BinaryAccuracy:
						tv[i] = float32(math.Round(float64(tv[i]+1) / 2))
					}
				}
				inputs[m.Pred], inputs[m.Target] = pv, tv
				tols[m.Sum] = selftest.MetricSumTol
			}
			init := func(id tensor.BufferID, n int) []float32 {
				if v, ok := inputs[id]; ok {
					return v
				}
				return []float32{2.25}
			}
			cpu, gpu := parityRun{plan: p, init: init, routine: tensor.Eval, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, tols)
		})
	}
}

// quarters returns n values in {−1, −0.75, ..., 0.75}, plenty of ties.
func quarters(n int, seed uint64) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] = float32(math.Floor(float64(v[i])*4)) / 4
	}
	return v
}
