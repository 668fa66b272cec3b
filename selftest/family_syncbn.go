package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// syncBNFamilies: the split batch-normalization ops of synchronized batch
// normalization (tensor/ops_syncbn.go).
func syncBNFamilies() []family {
	return []family{
		{name: "batchnorm-sync-moments", build: batchNormMomentsCases},
		{name: "batchnorm-sync-apply", build: batchNormApplyCases},
		{name: "batchnorm-sync-backward", build: batchNormSplitBackwardCases},
	}
}

// BatchNormMomentsTol is the tolerance of BatchNormMoments's interleaved
// (mean, M2) over m elements per channel, inputs within 1 of an offset of
// magnitude s−1: the mean's BatchNormTrainTol(s).Mean plus M2's, a float32
// sum of m squared deviations of magnitude ≤ 1, ReduceTol(m, 1) (the
// mean's error enters M2 only squared).
func BatchNormMomentsTol(m int, s float64) Tol {
	return Tol{Abs: BatchNormTrainTol(s).Mean.Abs + ReduceTol(m, 1).Abs}
}

// batchNormMomentsCases: inputs whose mean (offset 0 or 50) is large next
// to their spread, with fewer and more positions per channel than one
// reduction workgroup has invocations.
func batchNormMomentsCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "batchnorm-sync-moments"
	for i := range 4 {
		outer, ch := batchNormShape(r, i%2 == 1)
		offset := float32(50 * (i / 2))
		p := fmt.Sprintf("bn%d ", i)
		op := tensor.BatchNormMoments{Outer: outer, C: ch, X: c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch),
			Moments: c.buf(p+"moments", tensor.StateBuffer, false, 2*ch)}
		x := offsetUniform(r, batch*outer*ch, offset)
		c.init[op.X] = x
		c.emit(fmt.Sprintf("outer %d channels %d offset %v", outer, ch, offset), op,
			func(rows int) Tol { return BatchNormMomentsTol(rows*outer, float64(offset)+1) })
	}
	return []*opCase{c}
}

// batchNormApplyCases normalise with given statistics (invstd and the
// batch variance in [0.5, 1.5)) over two steps, so the moving averages
// accumulate: Y within BatchNormInferTol (the same products), the moving
// statistics within BatchNormTrainTol(1)'s.
func batchNormApplyCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.steps = "batchnorm-sync-apply", 2
	t := BatchNormTrainTol(1)
	for i := range 2 {
		outer, ch := between(r, 1, 40), between(r, 1, 16)
		p := fmt.Sprintf("bn%d ", i)
		per := func(name string, kind tensor.BufferKind) tensor.BufferID { return c.buf(p+name, kind, false, ch) }
		op := tensor.BatchNormApply{Outer: outer, C: ch, Momentum: 0.9,
			X:     c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch),
			Gamma: per("gamma", tensor.ParamBuffer), Beta: per("beta", tensor.ParamBuffer),
			Mean: per("mean", tensor.StateBuffer), InvStd: per("invstd", tensor.StateBuffer),
			BatchVar: per("batch var", tensor.StateBuffer), MovingMean: per("moving mean", tensor.StateBuffer),
			MovingVar: per("moving var", tensor.StateBuffer), Y: c.buf(p+"Y", tensor.ActivationBuffer, true, outer, ch)}
		c.init[op.InvStd], c.init[op.BatchVar], c.init[op.MovingVar] = positive(r, ch), positive(r, ch), positive(r, ch)
		c.emit(fmt.Sprintf("outer %d channels %d", outer, ch), op, nil)
		c.tols[op.Y], c.tols[op.MovingMean], c.tols[op.MovingVar] = fixed(BatchNormInferTol), fixed(t.MovingMean), fixed(t.MovingVar)
	}
	return []*opCase{c}
}

// batchNormSplitBackwardCases check BatchNormBackSums and
// BatchNormBackApply (with given sums of m terms, as an exchange writes
// them) within BatchNormBackwardTol.
func batchNormSplitBackwardCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "batchnorm-sync-backward"
	for i := range 2 {
		outer, ch := batchNormShape(r, i == 1)
		p := fmt.Sprintf("bn%d ", i)
		per := func(name string, kind tensor.BufferKind) tensor.BufferID { return c.buf(p+name, kind, false, ch) }
		x, dy := c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch), c.buf(p+"DY", tensor.GradientBuffer, true, outer, ch)
		mean, inv := per("mean", tensor.StateBuffer), per("invstd", tensor.StateBuffer)
		sums := tensor.BatchNormBackSums{Outer: outer, C: ch, X: x, DY: dy, Mean: mean, InvStd: inv,
			DGamma: per("dgamma", tensor.GradientBuffer), DBeta: per("dbeta", tensor.GradientBuffer)}
		apply := tensor.BatchNormBackApply{Outer: outer, C: ch, X: x, DY: dy, Gamma: per("gamma", tensor.ParamBuffer),
			Mean: mean, InvStd: inv, SumDY: per("sum dy", tensor.StateBuffer), SumDYXh: per("sum dy xhat", tensor.StateBuffer),
			DX: c.buf(p+"DX", tensor.GradientBuffer, true, outer, ch)}
		c.init[inv] = positive(r, ch)
		m := float32(batch * outer)
		c.init[apply.SumDY], c.init[apply.SumDYXh] = uniform(r, ch, m), uniform(r, ch, m)
		desc := fmt.Sprintf("outer %d channels %d", outer, ch)
		c.emit(desc+" sums", sums, func(rows int) Tol { s, _ := BatchNormBackwardTol(rows * outer); return s })
		_, dx := BatchNormBackwardTol(1)
		c.emit(desc+" apply", apply, fixed(dx))
	}
	return []*opCase{c}
}
