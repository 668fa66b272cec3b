package cpuref

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// gatherRows fills a batch from a resident dataset through the sample
// order (tensor.GatherRows): byte samples through the 256-entry table,
// float32 samples copied.
type gatherRows struct {
	bytes    []uint8   // a uint8 source, or
	floats   []float32 // a float32 source
	order    []int32
	table    []float32
	dst      []float32
	features int
}

func (p *program) bindGatherRows(o tensor.GatherRows) (kernel, error) {
	k := &gatherRows{order: p.data.ints[o.Order], features: o.Features}
	var err error
	if k.dst, err = p.buf(o.Dst, "Dst"); err != nil {
		return nil, err
	}
	if p.plan.Buffers[o.Src].DType == tensor.Uint8 {
		k.bytes, k.table = p.data.bytes[o.Src], p.bufs[o.Table]
	} else {
		k.floats = p.bufs[o.Src]
	}
	return k, nil
}

func (k *gatherRows) run(a *tensor.StepArgs) {
	f := k.features
	for r := range a.Rows {
		s := int(k.order[a.Start+r])
		dst := k.dst[r*f : (r+1)*f]
		if k.bytes == nil {
			copy(dst, k.floats[s*f:(s+1)*f])
			continue
		}
		for i, b := range k.bytes[s*f : (s+1)*f] {
			dst[i] = k.table[b]
		}
	}
}

// gatherLabels fills a batch of targets from resident int32 class labels
// (tensor.GatherLabels): one-hot rows, or the labels as floats.
type gatherLabels struct {
	labels  []int32
	order   []int32
	dst     []float32
	classes int
}

func (p *program) bindGatherLabels(o tensor.GatherLabels) (kernel, error) {
	dst, err := p.buf(o.Dst, "Dst")
	if err != nil {
		return nil, err
	}
	return &gatherLabels{labels: p.data.ints[o.Labels], order: p.data.ints[o.Order], dst: dst, classes: o.Classes}, nil
}

func (k *gatherLabels) run(a *tensor.StepArgs) {
	for r := range a.Rows {
		c := k.labels[k.order[a.Start+r]]
		if k.classes == 0 {
			k.dst[r] = float32(c)
			continue
		}
		row := k.dst[r*k.classes : (r+1)*k.classes]
		clear(row)
		if c >= 0 && int(c) < k.classes {
			row[c] = 1
		}
	}
}

// scatterRows copies a batch into the rows of a resident buffer at the
// step's Start (tensor.ScatterRows).
type scatterRows struct {
	src, dst []float32
	features int
}

func (p *program) bindScatterRows(o tensor.ScatterRows) (kernel, error) {
	src, err := p.buf(o.Src, "Src")
	if err != nil {
		return nil, err
	}
	return &scatterRows{src: src, dst: p.bufs[o.Dst], features: o.Features}, nil
}

func (k *scatterRows) run(a *tensor.StepArgs) {
	f := k.features
	copy(k.dst[a.Start*f:(a.Start+a.Rows)*f], k.src[:a.Rows*f])
}

// checkOrder is a guard the gather kernels cannot afford per row: an order
// entry outside the source would index past its end. Run checks the rows a
// step reads before any kernel runs.
func (p *program) checkOrders(r tensor.Routine, a *tensor.StepArgs) error {
	for _, g := range p.gathers[r] {
		order := p.data.ints[g.order]
		for _, s := range order[a.Start : a.Start+a.Rows] {
			if s < 0 || int(s) >= g.count {
				return fmt.Errorf("%v: sample order %q holds %d at rows %d..%d, outside the %d samples of %q",
					r, p.plan.Buffers[g.order].Name, s, a.Start, a.Start+a.Rows, g.count, p.plan.Buffers[g.src].Name)
			}
		}
	}
	return nil
}

// gatherRef names a gather's order and source so Run can check the order
// entries a step reads.
type gatherRef struct {
	order, src tensor.BufferID
	count      int // samples in src
}

// noteGather records op when it is a gather.
func (p *program) noteGather(r int, op tensor.Op) {
	switch o := op.(type) {
	case tensor.GatherRows:
		p.gathers[r] = append(p.gathers[r], gatherRef{o.Order, o.Src, p.plan.Elems(o.Src) / o.Features})
	case tensor.GatherLabels:
		p.gathers[r] = append(p.gathers[r], gatherRef{o.Order, o.Labels, p.plan.Elems(o.Labels)})
	}
}
