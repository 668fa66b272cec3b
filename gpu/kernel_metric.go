package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The metric family: Metric. Two dispatches, as for a loss: per-unit
// values into partials, then partialSum's fixed-tree sum into the
// accumulator (kernel_loss.go). Shaders: metric, sum_into.

func bindMetric(p *program, o tensor.Metric) (opKernel, error) {
	units := o.Size
	if o.Kind.Grouped() {
		units = o.Size / o.Width
	}
	ops := operands{p: p}
	pred, target, sum := ops.in(o.Pred, "Pred"), ops.in(o.Target, "Target"), ops.in(o.Sum, "Sum")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(uint32(o.Kind)).Uint32(u32(o.Size)).Uint32(u32(max(o.Width, 1))).Uint32(u32(max(o.K, 0)))
	return p.partialSum("metric", push, units, sum, pred, target)
}
