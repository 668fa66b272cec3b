package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// lossVariantFamilies: Huber and LogCosh, label smoothing, and every kind
// with per-sample weights (tensor.WeightedLoss).
func lossVariantFamilies() []family {
	return []family{{name: "loss variants", build: lossVariantCases}}
}

// lossVariant is one loss op of the family: a kind and its parameters.
type lossVariant struct {
	kind             tensor.LossKind
	smoothing, delta float32
	weighted         bool
}

// drawLossVariants lists Huber at a random delta and LogCosh, each
// smoothable kind with a random label smoothing, and every kind weighted.
func drawLossVariants(r *rand.Rand) []lossVariant {
	vs := []lossVariant{{kind: tensor.Huber, delta: 0.25 + 1.5*r.Float32()}, {kind: tensor.LogCosh}}
	all := append(append([]tensor.LossKind(nil), lossKinds...), tensor.Huber, tensor.LogCosh)
	for _, k := range all {
		if k.Smoothable() {
			vs = append(vs, lossVariant{kind: k, smoothing: 0.05 + 0.4*r.Float32()})
		}
	}
	for _, k := range all {
		vs = append(vs, lossVariant{kind: k, delta: 1, weighted: true})
	}
	return vs
}

// lossVariantCases runs each variant with a gradient (and probabilities
// for the fused kinds) and without, for two steps onto a non-zero sum.
// Huber and LogCosh get errors up to ±3, so both of Huber's branches run.
// Weights are drawn in [0, 2], zero among them; the sum's and gradient's
// absolute LossTol parts are doubled for them, as a weight scales a
// sample's loss and gradient by up to 2.
func lossVariantCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.steps = "loss variants", 2
	for i, v := range drawLossVariants(r) {
		width := between(r, 2, 13)
		size := width * between(r, 1, 4)
		p := fmt.Sprintf("variant%d ", i)
		pred := c.buf(p+"pred", tensor.ActivationBuffer, true, size)
		target := c.buf(p+"target", tensor.InputBuffer, true, v.kind.TargetSize(size, width))
		if v.kind == tensor.Huber || v.kind == tensor.LogCosh {
			c.init[pred], c.init[target] = uniform(r, batch*size, 2), uniform(r, batch*size, 1)
		} else {
			c.init[pred], c.init[target] = lossInputs(r, v.kind, batch*size, width)
		}
		weight := tensor.NoBuffer
		scale := 1.0
		if v.weighted {
			weight = c.buf(p+"weight", tensor.InputBuffer, true, 1)
			w := uniform(r, batch, 1)
			for n := range w {
				w[n] += 1
			}
			w[0] = 0
			c.init[weight], scale = w, 2
		}
		units := lossUnits(v.kind, size, width)
		for _, train := range []bool{true, false} {
			op := tensor.Loss{Kind: v.kind, Pred: pred, Target: target, Probs: tensor.NoBuffer, Grad: tensor.NoBuffer,
				LossSum: c.buf(fmt.Sprintf("%ssum train=%v", p, train), tensor.AccumulatorBuffer, false, 1), Size: size, Width: width,
				Smoothing: v.smoothing, Delta: v.delta}
			c.init[op.LossSum] = []float32{1.5}
			if train {
				op.Grad = c.buf(p+"grad", tensor.GradientBuffer, true, size)
				c.tols[op.Grad] = func(rows int) Tol { _, g, _ := LossTol(width, rows, units); g.Abs *= scale; return g }
				if v.kind.FromLogits() {
					op.Probs = c.buf(p+"probs", tensor.ActivationBuffer, true, size)
					_, _, probs := LossTol(width, 1, units)
					c.tols[op.Probs] = fixed(probs)
				}
			}
			var emitted tensor.Op = op
			if v.weighted {
				emitted = tensor.WeightedLoss{Loss: op, Weight: weight}
			}
			c.plan.Emit(c.routine, emitted)
			c.shapes = append(c.shapes, fmt.Sprintf("loss %d size %d width %d smoothing %v delta %v weighted %v gradient %v, %s",
				v.kind, size, width, v.smoothing, v.delta, v.weighted, train, batchName(batch, rows)))
			c.tols[op.LossSum] = func(rows int) Tol { s, _, _ := LossTol(width, rows, units); s.Abs *= scale; return s }
		}
	}
	return []*opCase{c}
}
