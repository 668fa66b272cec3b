package gpu

import (
	"encoding/binary"
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The gather family: GatherRows and GatherLabels fill a batch on the
// device from a resident dataset through the epoch's sample order;
// ScatterRows writes a batch into a resident buffer's rows (predictions
// collected for one read). Shaders: gather_rows, gather_labels,
// scatter_rows.

func bindGatherRows(p *program, o tensor.GatherRows) (opKernel, error) {
	if err := positive("Features", o.Features); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	src, order, dst := ops.in(o.Src, "Src"), ops.in(o.Order, "Order"), ops.in(o.Dst, "Dst")
	table, bytes := ops.opt(o.Table), uint32(0)
	if p.plan.Buffers[o.Src].DType == tensor.Uint8 {
		table, bytes = ops.in(o.Table, "Table"), 1
	}
	if ops.err != nil {
		return nil, ops.err
	}
	count := p.plan.Elems(o.Src) / o.Features
	push := vk.Push{}.Uint32(u32(o.Features)).Uint32(u32(count)).Uint32(bytes)
	return p.single("gather_rows", elemWG, push, p.groups(p.plan.Batch*o.Features, elemWG), src, order, table, dst)
}

func bindGatherLabels(p *program, o tensor.GatherLabels) (opKernel, error) {
	if o.Classes < 0 {
		return nil, fmt.Errorf("Classes %d must not be negative", o.Classes)
	}
	ops := operands{p: p}
	labels, order, dst := ops.in(o.Labels, "Labels"), ops.in(o.Order, "Order"), ops.in(o.Dst, "Dst")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Classes)).Uint32(u32(p.plan.Elems(o.Labels)))
	return p.single("gather_labels", elemWG, push, p.groups(p.plan.Batch*max(o.Classes, 1), elemWG), labels, order, dst)
}

func bindScatterRows(p *program, o tensor.ScatterRows) (opKernel, error) {
	if err := positive("Features", o.Features); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	src, dst := ops.in(o.Src, "Src"), ops.in(o.Dst, "Dst")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Features)).Uint32(u32(p.plan.Elems(o.Dst) / o.Features))
	return p.single("scatter_rows", elemWG, push, p.groups(p.plan.Batch*o.Features, elemWG), src, dst)
}

// gatherRef names a gather's order and source, so that Run can check the
// order entries a step reads: the shaders cannot report an entry outside
// the source, only skip it.
type gatherRef struct {
	order, src tensor.BufferID
	count      int // samples in src
}

// noteGather records op when it is a gather of routine r, and keeps a host
// copy of its order (a few bytes per sample), updated by Upload.
func (p *program) noteGather(r int, op tensor.Op) {
	var g gatherRef
	switch o := op.(type) {
	case tensor.GatherRows:
		g = gatherRef{o.Order, o.Src, p.plan.Elems(o.Src) / o.Features}
	case tensor.GatherLabels:
		g = gatherRef{o.Order, o.Labels, p.plan.Elems(o.Labels)}
	default:
		return
	}
	p.gathers[r] = append(p.gathers[r], g)
	if _, ok := p.orders[g.order]; !ok {
		p.orders[g.order] = make([]byte, 4*p.plan.Elems(g.order))
	}
}

// checkOrders rejects a step whose rows of a sample order name a sample
// outside the gathered source, as cpuref does.
func (p *program) checkOrders(r tensor.Routine, a tensor.StepArgs) error {
	for _, g := range p.gathers[r] {
		order := p.orders[g.order]
		for i := a.Start; i < a.Start+a.Rows; i++ {
			s := int32(binary.LittleEndian.Uint32(order[4*i:]))
			if s < 0 || int(s) >= g.count {
				return fmt.Errorf("gpu: %v: sample order %q holds %d at row %d (rows %d..%d), outside the %d samples of %q",
					r, p.plan.Buffers[g.order].Name, s, i, a.Start, a.Start+a.Rows, g.count, p.plan.Buffers[g.src].Name)
			}
		}
	}
	return nil
}
