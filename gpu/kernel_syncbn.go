package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The split batch-normalization ops of synchronized batch normalization
// (tensor/ops_syncbn.go) reuse the batch-normalization shaders, cut where
// the host steps in: BatchNormMoments is bn_stats_partial with one slice
// per channel (its (mean, M2) pairs are the op's interleaved Moments),
// BatchNormApply is bn_apply beside bn_moving_update, BatchNormBackSums is
// BatchNormBackward's sums (bnBackwardSums), and BatchNormBackApply is bn_backward_apply reading the
// given sums where BatchNormBackward's apply reads DBeta and DGamma.

func bindBNMoments(p *program, o tensor.BatchNormMoments) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, moments := ops.in(o.X, "X"), ops.in(o.Moments, "Moments")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C)).Uint32(1)
	return p.single("bn_stats_partial", p.reduceWG(), push, p.groups(o.C, 1), x, moments)
}

func bindBNApply(p *program, o tensor.BatchNormApply) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, gamma, beta := ops.in(o.X, "X"), ops.in(o.Gamma, "Gamma"), ops.in(o.Beta, "Beta")
	mean, inv, bv := ops.in(o.Mean, "Mean"), ops.in(o.InvStd, "InvStd"), ops.in(o.BatchVar, "BatchVar")
	mm, mv, y := ops.in(o.MovingMean, "MovingMean"), ops.in(o.MovingVar, "MovingVar"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	dims := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	apply, err := p.launch("bn_apply", elemWG, dims, p.groups(p.plan.Batch*o.Outer*o.C, elemWG), x, gamma, beta, mean, inv, y)
	if err != nil {
		return nil, err
	}
	push := vk.Push{}.Uint32(u32(o.C)).Float32(o.Momentum)
	moving, err := p.launch("bn_moving_update", elemWG, push, p.groups(o.C, elemWG), mean, bv, mm, mv)
	if err != nil {
		return nil, err
	}
	// The two touch different outputs and only read what both read.
	return &launches{list: []launch{apply, moving}}, nil
}

func bindBNBackSums(p *program, o tensor.BatchNormBackSums) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, dy, mean, inv := ops.in(o.X, "X"), ops.in(o.DY, "DY"), ops.in(o.Mean, "Mean"), ops.in(o.InvStd, "InvStd")
	dgamma, dbeta := ops.in(o.DGamma, "DGamma"), ops.in(o.DBeta, "DBeta")
	if ops.err != nil {
		return nil, ops.err
	}
	sums, err := bnBackwardSums(p, nil, o.Outer, o.C, x, dy, mean, inv, dgamma, dbeta)
	if err != nil {
		return nil, err
	}
	return &launches{list: sums, ordered: true}, nil
}

func bindBNBackApply(p *program, o tensor.BatchNormBackApply) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, dy, gamma := ops.in(o.X, "X"), ops.in(o.DY, "DY"), ops.in(o.Gamma, "Gamma")
	mean, inv, dx := ops.in(o.Mean, "Mean"), ops.in(o.InvStd, "InvStd"), ops.in(o.DX, "DX")
	sdy, sdxh := ops.in(o.SumDY, "SumDY"), ops.in(o.SumDYXh, "SumDYXh")
	if ops.err != nil {
		return nil, ops.err
	}
	dims := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	return p.single("bn_backward_apply", elemWG, dims, p.groups(p.plan.Batch*o.Outer*o.C, elemWG),
		x, dy, gamma, mean, inv, sdxh, sdy, dx)
}
