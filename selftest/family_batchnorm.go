package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// batchNormFamilies: training (two steps, so the moving averages
// accumulate), inference and backward.
func batchNormFamilies() []family {
	return []family{
		{name: "batchnorm-train", build: batchNormTrainCases},
		{name: "batchnorm-infer", build: batchNormInferCases},
		{name: "batchnorm-backward", build: batchNormBackwardCases},
	}
}

// positive returns n values in [0.5, 1.5): variances, invstd.
func positive(r *rand.Rand, n int) []float32 {
	v := uniform(r, n, 0.5)
	for i := range v {
		v[i]++
	}
	return v
}

// batchNormShape draws a case's positions per channel (fewer than one
// reduction workgroup has invocations, or more when large) and channels.
func batchNormShape(r *rand.Rand, large bool) (outer, ch int) {
	outer, ch = between(r, 1, 12), between(r, 1, 16)
	if large {
		outer = between(r, 60, 120)
	}
	return outer, ch
}

// offsetUniform returns n values within 1 of offset.
func offsetUniform(r *rand.Rand, n int, offset float32) []float32 {
	x := uniform(r, n, 1)
	for j := range x {
		x[j] += offset
	}
	return x
}

// batchNormTrainTol maps op's outputs to BatchNormTrainTol(s).
func batchNormTrainTol(op tensor.BatchNormTrain, s float64) map[tensor.BufferID]func(int) Tol {
	t := BatchNormTrainTol(s)
	return map[tensor.BufferID]func(int) Tol{op.Mean: fixed(t.Mean), op.InvStd: fixed(t.InvStd), op.Y: fixed(t.Y),
		op.MovingMean: fixed(t.MovingMean), op.MovingVar: fixed(t.MovingVar)}
}

// batchNormTrainCases: inputs whose mean (offset 0 or 50) is large next to
// their spread, both moving-variance conventions, with fewer and more
// positions per channel than one reduction workgroup has invocations.
func batchNormTrainCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.steps = "batchnorm-train", 2
	for i := range 4 {
		outer, ch := batchNormShape(r, i%2 == 1)
		offset := float32(50 * (i / 2))
		p := fmt.Sprintf("bn%d ", i)
		op := tensor.BatchNormTrain{Outer: outer, C: ch, Momentum: 0.9, Epsilon: 1e-3, UnbiasedMovingVar: i%2 == 0,
			X:     c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch),
			Gamma: c.buf(p+"gamma", tensor.ParamBuffer, false, ch), Beta: c.buf(p+"beta", tensor.ParamBuffer, false, ch),
			MovingMean: c.buf(p+"moving mean", tensor.StateBuffer, false, ch),
			MovingVar:  c.buf(p+"moving var", tensor.StateBuffer, false, ch),
			Y:          c.buf(p+"Y", tensor.ActivationBuffer, true, outer, ch),
			Mean:       c.buf(p+"mean", tensor.StateBuffer, false, ch), InvStd: c.buf(p+"invstd", tensor.StateBuffer, false, ch)}
		x := offsetUniform(r, batch*outer*ch, offset)
		c.init[op.X], c.init[op.MovingVar] = x, positive(r, ch)
		c.emit(fmt.Sprintf("outer %d channels %d offset %v unbiased %v", outer, ch, offset, op.UnbiasedMovingVar), op, nil)
		for id, t := range batchNormTrainTol(op, float64(offset)+1) {
			c.tols[id] = t
		}
	}
	return []*opCase{c}
}

// batchNormInferCases run inference with moving variances in [0.5, 1.5),
// within BatchNormInferTol.
func batchNormInferCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.routine = "batchnorm-infer", tensor.Eval
	for i := range 2 {
		outer, ch := between(r, 1, 40), between(r, 1, 16)
		p := fmt.Sprintf("bn%d ", i)
		op := tensor.BatchNormInfer{Outer: outer, C: ch, Epsilon: 1e-3,
			X:     c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch),
			Gamma: c.buf(p+"gamma", tensor.ParamBuffer, false, ch), Beta: c.buf(p+"beta", tensor.ParamBuffer, false, ch),
			MovingMean: c.buf(p+"moving mean", tensor.StateBuffer, false, ch),
			MovingVar:  c.buf(p+"moving var", tensor.StateBuffer, false, ch),
			Y:          c.buf(p+"Y", tensor.ActivationBuffer, true, outer, ch)}
		c.init[op.MovingVar] = positive(r, ch)
		c.emit(fmt.Sprintf("outer %d channels %d", outer, ch), op, fixed(BatchNormInferTol))
	}
	return []*opCase{c}
}

// batchNormBackwardCases check DGamma, DBeta and DX, once with DX aliasing
// DY, within BatchNormBackwardTol.
func batchNormBackwardCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "batchnorm-backward"
	for i := range 3 {
		outer, ch := batchNormShape(r, i == 1)
		p := fmt.Sprintf("bn%d ", i)
		op := tensor.BatchNormBackward{Outer: outer, C: ch,
			X:     c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch),
			DY:    c.buf(p+"DY", tensor.GradientBuffer, true, outer, ch),
			Gamma: c.buf(p+"gamma", tensor.ParamBuffer, false, ch), Mean: c.buf(p+"mean", tensor.StateBuffer, false, ch),
			InvStd: c.buf(p+"invstd", tensor.StateBuffer, false, ch),
			DGamma: c.buf(p+"dgamma", tensor.GradientBuffer, false, ch), DBeta: c.buf(p+"dbeta", tensor.GradientBuffer, false, ch)}
		op.DX = op.DY
		if i != 2 {
			op.DX = c.buf(p+"DX", tensor.GradientBuffer, true, outer, ch)
		}
		c.init[op.InvStd] = positive(r, ch)
		c.emit(fmt.Sprintf("outer %d channels %d DX aliases DY %v", outer, ch, op.DX == op.DY), op, nil)
		sums := func(rows int) Tol { s, _ := BatchNormBackwardTol(rows * outer); return s }
		_, dx := BatchNormBackwardTol(1)
		c.tols[op.DGamma], c.tols[op.DBeta], c.tols[op.DX] = sums, sums, fixed(dx)
	}
	return []*opCase{c}
}
