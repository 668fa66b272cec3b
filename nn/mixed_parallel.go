package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Data-parallel training under mixed precision. Each replica's loss is a
// mean over its own rows, so without care its loss gradient, and every
// float16 gradient operand behind it, would be N times (global rows over
// its rows) larger than one process's over the global batch: the replicas
// would overflow float16, skip steps and halve the scale where one process
// would not. So the replica's share of the global batch (its rows over the
// global rows) scales the loss gradient on the device together with the
// loss scale, the host does not scale the gradients it reads, and the
// float16 operands are those of one process (bit for bit when the share is
// a power of two).
//
// Every replica makes the same skip decision: the gradient half leaves a
// replica's non-finite gradient non-finite, the all-reduce sums it into a
// non-finite sum on every replica, and the update half (UnscaleGrad,
// RevertIfFound, UpdateLossScale, on the whole loss scale) runs on that
// sum. The loss scale itself starts equal everywhere (broadcastState).

// splitMixed returns the gradient half (TrainGrad) of a mixed-precision
// plan: grad, reading the loss scale times the replica's share (a buffer
// the host writes before each step, low.lossScale.share) wherever it
// scales or unscales. The update half keeps the loss scale itself.
func splitMixed(low *lowered, grad []tensor.Op) []tensor.Op {
	ls := &low.lossScale
	ls.share = low.plan.AddBuffer("loss_scale/share", tensor.StateBuffer, false, tensor.Shape{1})
	scaled := low.plan.AddBuffer("loss_scale/replica", tensor.StateBuffer, false, tensor.Shape{1})
	out := []tensor.Op{tensor.CopyBuffer{X: ls.scale, Y: scaled, Size: 1},
		tensor.ApplyLossScale{X: scaled, LossScale: ls.share, Size: 1}}
	for _, op := range grad {
		switch o := op.(type) {
		case tensor.ApplyLossScale:
			if o.LossScale == ls.scale {
				o.LossScale = scaled
			}
			op = o
		case tensor.UnscaleGrad:
			if o.LossScale == ls.scale {
				o.LossScale = scaled
			}
			op = o
		}
		out = append(out, op)
	}
	return out
}

// checkSamePrecision fails, on every replica alike, unless all replicas
// are compiled with replica 0's policy and loss-scale growth steps (a plan
// constant, not broadcast): replicas that disagree would take different
// steps, and would not even exchange buffers of one length.
func (p *parallelFit) checkSamePrecision() error {
	growth := float32(0)
	if mp := p.m.compiled.mixed; mp != nil {
		growth = float32(mp.growthSteps) // at most 2^24: exact
	}
	root := []float32{growth}
	if err := p.comm.BcastFloat32(root, 0); err != nil {
		return err
	}
	differ := []float64{0}
	if root[0] != growth {
		differ[0] = 1
	}
	if err := p.comm.AllreduceSumFloat64(differ); err != nil {
		return err
	}
	if differ[0] > 0 {
		return fmt.Errorf("%g of %d replicas are not compiled as replica 0 (mixed precision, or its loss scale growth steps; "+
			"this one: %s): compile every replica with the same CompileWith options", differ[0], p.n, p.m.Precision())
	}
	return nil
}
