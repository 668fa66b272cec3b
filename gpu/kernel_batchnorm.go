package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The batch-normalization family. Training is two dispatches, the
// per-channel statistics (one workgroup per channel, two passes over the
// batch) and the elementwise normalisation; where a channel has many
// positions (a convolution's), the statistics take two dispatches instead,
// many workgroups per channel and an ordered merge (bnSlices). The
// backward pass likewise reduces its two per-channel sums (a column
// reduction, colReduce: one or two dispatches) and then applies them.
// Shaders: bn_stats, bn_stats_partial, bn_stats_merge, bn_apply, bn_infer,
// bn_backward_sums, colsum_merge, bn_backward_apply.

// bnSliceLen is about how many positions per invocation one workgroup of
// bn_stats_partial reduces: enough that a slice amortises its two
// workgroup sums, few enough that a convolution's channels spread over
// many workgroups.
const bnSliceLen = 4

// maxBNSlices bounds the slices per channel, and so the partial sums and
// the serial work of bn_stats_merge.
const maxBNSlices = 64

// bnSlices is how many slices bn_stats_partial cuts each channel's m
// positions into at full batch, for workgroups of wg: 1 (bn_stats alone)
// unless a channel has more than bnSliceLen positions per invocation.
func bnSlices(m, wg int) int {
	return min(maxBNSlices, max(1, m/(bnSliceLen*wg)))
}

// bnStats prepares the dispatches of o's batch statistics: bn_stats, or
// bn_stats_partial and bn_stats_merge with a barrier between.
func (p *program) bnStats(o tensor.BatchNormTrain, x, mm, mv, mean, inv *vk.Buffer) ([]launch, error) {
	wg := p.reduceWG()
	dims := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	hyper := vk.Push{}.Float32(o.Momentum).Float32(o.Epsilon).Uint32(b2u(o.UnbiasedMovingVar))
	slices := bnSlices(p.plan.Batch*o.Outer, wg)
	if slices == 1 {
		stats, err := p.launch("bn_stats", wg, append(dims, hyper...), p.groups(o.C, 1), x, mm, mv, mean, inv)
		return []launch{stats}, err
	}
	partial, err := p.private(2 * o.C * slices)
	if err != nil {
		return nil, err
	}
	dims = dims.Uint32(u32(slices))
	part, err := p.launch("bn_stats_partial", wg, dims, p.groups(o.C*slices, 1), x, partial)
	if err != nil {
		return nil, err
	}
	merge, err := p.launch("bn_stats_merge", elemWG, append(dims, hyper...), p.groups(o.C, elemWG), partial, mm, mv, mean, inv)
	return []launch{part, merge}, err
}

func bindBNTrain(p *program, o tensor.BatchNormTrain) (opKernel, error) {
	return bindBNTrainAct(p, o, nil)
}

// bindBNTrainAct binds o, followed by the rectifier act when it is not nil
// (bnAct): bn_apply_act then writes both Y and act's output.
func bindBNTrainAct(p *program, o tensor.BatchNormTrain, act *tensor.Activation) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, gamma, beta := ops.in(o.X, "X"), ops.in(o.Gamma, "Gamma"), ops.in(o.Beta, "Beta")
	mm, mv := ops.in(o.MovingMean, "MovingMean"), ops.in(o.MovingVar, "MovingVar")
	y, mean, inv := ops.in(o.Y, "Y"), ops.in(o.Mean, "Mean"), ops.in(o.InvStd, "InvStd")
	if ops.err != nil {
		return nil, ops.err
	}
	stats, err := p.bnStats(o, x, mm, mv, mean, inv)
	if err != nil {
		return nil, err
	}
	dims := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	groups := p.groups(p.plan.Batch*o.Outer*o.C, elemWG)
	var apply launch
	if act == nil {
		apply, err = p.launch("bn_apply", elemWG, dims, groups, x, gamma, beta, mean, inv, y)
	} else {
		push := dims.Uint32(uint32(act.Fn)).Float32(act.Alpha)
		apply, err = p.launch("bn_apply_act", elemWG, push, groups, x, gamma, beta, mean, inv, y, p.buffer(act.Y))
	}
	if err != nil {
		return nil, err
	}
	return &launches{list: append(stats, apply), ordered: true}, nil
}

func bindBNInfer(p *program, o tensor.BatchNormInfer) (opKernel, error) {
	return bindBNInferAct(p, o, nil)
}

// bindBNInferAct binds o, followed by the rectifier act when it is not nil
// (bnAct): bn_infer_act then writes both Y and act's output.
func bindBNInferAct(p *program, o tensor.BatchNormInfer, act *tensor.Activation) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, gamma, beta := ops.in(o.X, "X"), ops.in(o.Gamma, "Gamma"), ops.in(o.Beta, "Beta")
	mm, mv, y := ops.in(o.MovingMean, "MovingMean"), ops.in(o.MovingVar, "MovingVar"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C)).Float32(o.Epsilon)
	groups := p.groups(p.plan.Batch*o.Outer*o.C, elemWG)
	if act == nil {
		return p.single("bn_infer", elemWG, push, groups, x, gamma, beta, mm, mv, y)
	}
	push = push.Uint32(uint32(act.Fn)).Float32(act.Alpha)
	return p.single("bn_infer_act", elemWG, push, groups, x, gamma, beta, mm, mv, y, p.buffer(act.Y))
}

func bindBNBackward(p *program, o tensor.BatchNormBackward) (opKernel, error) {
	return bindActBNBackward(p, nil, o)
}

// bindActBNBackward binds o, preceded by the rectifier's backward pass act
// when it is not nil (actBNBackward): bn_backward_sums_act then computes
// and writes o.DY (act's DX) as it sums it.
func bindActBNBackward(p *program, act *tensor.ActivationBackward, o tensor.BatchNormBackward) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, dy, gamma := ops.in(o.X, "X"), ops.in(o.DY, "DY"), ops.in(o.Gamma, "Gamma")
	mean, inv := ops.in(o.Mean, "Mean"), ops.in(o.InvStd, "InvStd")
	dx, dgamma, dbeta := ops.in(o.DX, "DX"), ops.in(o.DGamma, "DGamma"), ops.in(o.DBeta, "DBeta")
	if ops.err != nil {
		return nil, ops.err
	}
	sums, err := bnBackwardSums(p, act, o.Outer, o.C, x, dy, mean, inv, dgamma, dbeta)
	if err != nil {
		return nil, err
	}
	dims := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	apply, err := p.launch("bn_backward_apply", elemWG, dims, p.groups(p.plan.Batch*o.Outer*o.C, elemWG),
		x, dy, gamma, mean, inv, dgamma, dbeta, dx)
	if err != nil {
		return nil, err
	}
	return &launches{list: append(sums, apply), ordered: true}, nil
}

// bnBackwardSums binds batch norm's per-channel sums Σdy and Σdy·x̂ into
// dgamma and dbeta (colReduce: one dispatch, or a sliced one and its
// ordered merge), after the rectifier's backward pass act when it is not
// nil (bn_backward_sums_act then writes act's DX as it sums it).
func bnBackwardSums(p *program, act *tensor.ActivationBackward, outer, c int, x, dy, mean, inv, dgamma, dbeta *vk.Buffer) ([]launch, error) {
	dims := vk.Push{}.Uint32(u32(outer)).Uint32(u32(c))
	wg := p.reduceWG()
	split := colSplitFor(p.plan.Batch*outer, c, wg)
	shader, push := "bn_backward_sums", dims
	var extra []*vk.Buffer
	if act != nil {
		shader, push = "bn_backward_sums_act", dims.Uint32(uint32(act.Fn)).Float32(act.Alpha)
		extra = []*vk.Buffer{p.buffer(act.DY), p.buffer(act.X)}
	}
	return p.colReduce(shader, wg, push, c, split, []*vk.Buffer{dgamma, dbeta},
		func(dst []*vk.Buffer) []*vk.Buffer {
			return append([]*vk.Buffer{x, dy, mean, inv, dst[0], dst[1]}, extra...)
		})
}
