package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The loss family: Loss. Like a metric (kernel_metric.go), a loss is two
// dispatches: the first computes one value per unit of each sample (an
// element, or a group of Width classes) into a buffer of partials the
// kernel owns, and writes the gradient and probabilities; the second, one
// workgroup, sums the partials in a fixed tree and adds the total to the
// accumulator (partialSum). No float atomics, so the sums are
// reproducible. Shaders: loss, sum_into.

// Clip bounds and ε, rounded to float32 as cpuref rounds them.
var (
	clipLo = float32(tensor.Epsilon)
	clipHi = float32(1 - tensor.Epsilon)
)

func bindLoss(p *program, o tensor.Loss) (opKernel, error) {
	return bindLossWeighted(p, o, tensor.NoBuffer)
}

// bindLossWeighted binds o, whose samples are scaled by weight unless it
// is NoBuffer (tensor.WeightedLoss).
func bindLossWeighted(p *program, o tensor.Loss, weight tensor.BufferID) (opKernel, error) {
	units := o.Size
	if o.Kind.Categorical() {
		units = o.Size / o.Width
	}
	ops := operands{p: p}
	pred, target, sum := ops.in(o.Pred, "Pred"), ops.in(o.Target, "Target"), ops.in(o.LossSum, "LossSum")
	probs, grad, w := ops.optOut(o.Probs), ops.optOut(o.Grad), ops.opt(weight)
	if ops.err != nil {
		return nil, ops.err
	}
	var flags uint32
	if o.Probs != tensor.NoBuffer && o.Kind.FromLogits() {
		flags |= 1
	}
	if o.Grad != tensor.NoBuffer {
		flags |= 2
	}
	if weight != tensor.NoBuffer {
		flags |= 4
	}
	keep, add := float32(1), float32(0)
	if o.Smoothing != 0 {
		flags |= 8
		keep, add = 1-o.Smoothing, o.Smoothing/float32(o.SmoothingClasses())
	}
	push := vk.Push{}.Uint32(uint32(o.Kind)).Uint32(u32(o.Size)).Uint32(u32(max(o.Width, 1))).Uint32(flags).
		Float32(clipLo).Float32(clipHi).Float32(float32(tensor.Epsilon)).Float32(o.Delta).Float32(keep).Float32(add)
	return p.partialSum("loss", push, units, sum, pred, target, probs, grad, w)
}

// partialSum binds shader, which writes units partials per sample to its
// last binding, followed by sum_into, which adds them to acc[0].
func (p *program) partialSum(shader string, push vk.Push, units int, acc *vk.Buffer, bufs ...*vk.Buffer) (opKernel, error) {
	partial, err := p.private(p.plan.Batch * units)
	if err != nil {
		return nil, err
	}
	first, err := p.launch(shader, elemWG, push, p.groups(p.plan.Batch*units, elemWG), append(bufs, partial)...)
	if err != nil {
		return nil, err
	}
	sum, err := p.launch("sum_into", p.reduceWG(), vk.Push{}.Uint32(u32(units)), 1, partial, acc)
	if err != nil {
		return nil, err
	}
	return &launches{list: []launch{first, sum}, ordered: true}, nil
}
