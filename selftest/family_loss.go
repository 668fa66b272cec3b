package selftest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// lossFamilies: every loss kind with and without a gradient, and every
// metric kind.
func lossFamilies() []family {
	return []family{{name: "loss", build: lossCases}, {name: "metric", build: metricCases}}
}

var lossKinds = []tensor.LossKind{tensor.MeanSquaredError, tensor.MeanAbsoluteError, tensor.CategoricalCrossentropy,
	tensor.SparseCategoricalCrossentropy, tensor.BinaryCrossentropy, tensor.SoftmaxCrossentropy,
	tensor.SparseSoftmaxCrossentropy, tensor.SigmoidBinaryCrossentropy}

// lossInputs returns predictions and targets that exercise kind: logits
// for the fused kinds, probabilities (some exactly 0 or 1, so clipping
// shows) for the others, class indices (one of them invalid) for the
// sparse kinds, soft labels for the dense categorical ones.
func lossInputs(r *rand.Rand, kind tensor.LossKind, n, width int) (pred, target []float32) {
	pred = uniform(r, n, 1)
	for i, v := range pred {
		switch {
		case kind.FromLogits():
			pred[i] = 4 * v
		case kind != tensor.MeanSquaredError && kind != tensor.MeanAbsoluteError:
			pred[i] = (v + 1) / 2
		}
	}
	if !kind.FromLogits() && kind != tensor.MeanSquaredError && kind != tensor.MeanAbsoluteError {
		pred[0], pred[n-1] = 0, 1
	}
	tn := kind.TargetSize(n, width)
	target = uniform(r, tn, 1)
	for i, v := range target {
		switch kind {
		case tensor.SparseCategoricalCrossentropy, tensor.SparseSoftmaxCrossentropy:
			target[i] = float32(int((v + 1) / 2 * float32(width)))
		case tensor.BinaryCrossentropy, tensor.SigmoidBinaryCrossentropy:
			target[i] = float32(math.Round(float64(v+1) / 2))
		case tensor.CategoricalCrossentropy, tensor.SoftmaxCrossentropy:
			target[i] = (v + 1) / 2 // soft labels: the fused gradient must use Σy
		}
	}
	if kind.Sparse() && tn > 1 {
		target[1] = float32(width) + 3 // invalid: contributes nothing
	}
	return pred, target
}

// lossUnits is the number of values a sample's loss averages: groups for
// the categorical kinds, elements for the others.
func lossUnits(kind tensor.LossKind, size, width int) int {
	if kind == tensor.CategoricalCrossentropy || kind.Sparse() || kind == tensor.SoftmaxCrossentropy {
		return size / width
	}
	return size
}

// lossCases runs every kind with a gradient and probabilities (training)
// and without (evaluation), for two steps, so that LossSum, which starts
// non-zero, accumulates.
// (LossTol).
func lossCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.steps = "loss", 2
	for _, kind := range lossKinds {
		width := between(r, 2, 13)
		size := width * between(r, 1, 4)
		p := fmt.Sprintf("loss%d ", kind)
		pred := c.buf(p+"pred", tensor.ActivationBuffer, true, size)
		target := c.buf(p+"target", tensor.InputBuffer, true, kind.TargetSize(size, width))
		c.init[pred], c.init[target] = lossInputs(r, kind, batch*size, width)
		units := lossUnits(kind, size, width)
		for _, train := range []bool{true, false} {
			op := tensor.Loss{Kind: kind, Pred: pred, Target: target, Probs: tensor.NoBuffer, Grad: tensor.NoBuffer,
				LossSum: c.buf(fmt.Sprintf("%ssum train=%v", p, train), tensor.AccumulatorBuffer, false, 1), Size: size, Width: width}
			c.init[op.LossSum] = []float32{1.5}
			if train {
				op.Grad = c.buf(p+"grad", tensor.GradientBuffer, true, size)
				c.tols[op.Grad] = func(rows int) Tol { _, g, _ := LossTol(width, rows, units); return g }
				if kind.FromLogits() {
					op.Probs = c.buf(p+"probs", tensor.ActivationBuffer, true, size)
					_, _, probs := LossTol(width, 1, units)
					c.tols[op.Probs] = fixed(probs)
				}
			}
			c.plan.Emit(c.routine, op)
			c.shapes = append(c.shapes, fmt.Sprintf("loss %d size %d width %d gradient %v, %s", kind, size, width, train, batchName(batch, rows)))
			c.tols[op.LossSum] = func(rows int) Tol { s, _, _ := LossTol(width, rows, units); return s }
		}
	}
	return []*opCase{c}
}

var metricKinds = []tensor.MetricKind{tensor.CategoricalAccuracy, tensor.SparseCategoricalAccuracy,
	tensor.BinaryAccuracy, tensor.MeanAbsoluteMetric, tensor.MeanSquaredMetric,
	tensor.TopKCategoricalAccuracy, tensor.SparseTopKCategoricalAccuracy}

// quarters returns n values in {−1, −0.75, ..., 0.75}: plenty of ties.
func quarters(r *rand.Rand, n int) []float32 {
	v := uniform(r, n, 1)
	for i := range v {
		v[i] = float32(math.Floor(float64(v[i])*4)) / 4
	}
	return v
}

// metricCases run every kind on inputs with ties (argmax must pick the
// first maximum as tf.argmax does; some predictions are exactly 0.5 for
// binary accuracy), accumulating twice onto a non-zero sum, within
// MetricSumTol.
func metricCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.routine, c.steps = "metric", tensor.Eval, 2
	for _, kind := range metricKinds {
		width := between(r, 2, 10)
		m := tensor.Metric{Kind: kind, Size: width * between(r, 1, 5), Width: width, K: between(r, 1, width)}
		p := fmt.Sprintf("metric%d ", kind)
		m.Pred = c.buf(p+"pred", tensor.ActivationBuffer, true, m.Size)
		m.Target = c.buf(p+"target", tensor.InputBuffer, true, m.TargetSize())
		m.Sum = c.buf(p+"sum", tensor.AccumulatorBuffer, false, 1)
		tv := quarters(r, batch*m.TargetSize())
		for i := range tv {
			switch kind {
			case tensor.SparseCategoricalAccuracy, tensor.SparseTopKCategoricalAccuracy:
				tv[i] = float32(int((tv[i] + 1) / 2 * float32(width+1))) // width never matches
			case tensor.BinaryAccuracy:
				tv[i] = float32(math.Round(float64(tv[i]+1) / 2))
			}
		}
		c.init[m.Pred], c.init[m.Target], c.init[m.Sum] = quarters(r, batch*m.Size), tv, []float32{2.25}
		c.emit(fmt.Sprintf("metric %d size %d width %d", kind, m.Size, width), m, fixed(MetricSumTol))
	}
	return []*opCase{c}
}
