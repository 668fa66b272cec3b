package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The elementwise family: BiasAdd, BiasGrad, Add, Concat and Split.
// Shaders: bias_add, bias_grad, add, concat, split.

func bindBiasAdd(p *program, o tensor.BiasAdd) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, bias, y := ops.in(o.X, "X"), ops.in(o.Bias, "Bias"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	n := p.plan.Batch * o.Outer * o.C
	return p.single("bias_add", elemWG, vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C)), p.groups(n, elemWG), x, bias, y)
}

// bindBiasGrad binds a column reduction (colReduce): many workgroups per
// block of channels, and an ordered merge of the slices where there are
// several.
func bindBiasGrad(p *program, o tensor.BiasGrad) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	dy, db := ops.in(o.DY, "DY"), ops.in(o.DBias, "DBias")
	if ops.err != nil {
		return nil, ops.err
	}
	wg := p.reduceWG()
	split := colSplitFor(p.plan.Batch*o.Outer, o.C, wg)
	list, err := p.colReduce("bias_grad", wg, vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C)), o.C, split,
		[]*vk.Buffer{db}, func(dst []*vk.Buffer) []*vk.Buffer { return []*vk.Buffer{dy, dst[0]} })
	if err != nil {
		return nil, err
	}
	return &launches{list: list, ordered: true}, nil
}

func bindAdd(p *program, o tensor.Add) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	a, b, y := ops.in(o.A, "A"), ops.in(o.B, "B"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	n, perSample := p.plan.Batch*o.Size, uint32(1)
	if o.Unbatched {
		n, perSample = o.Size, 0
	}
	return p.single("add", elemWG, vk.Push{}.Uint32(u32(o.Size)).Uint32(perSample), p.groups(n, elemWG), a, b, y)
}

func bindConcat(p *program, o tensor.Concat) (opKernel, error) {
	// Each input's dispatch writes its slice of Y; the slices are disjoint,
	// but a barrier between them keeps the write-after-write order that
	// synchronization validation checks buffer by buffer.
	return bindStrided(p, "concat", o.Y, o.Inputs, o.Widths, o.Outer, true)
}

func bindSplit(p *program, o tensor.Split) (opKernel, error) {
	// Each output is written by its own dispatch; they only share reads.
	return bindStrided(p, "split", o.X, o.Outputs, o.Widths, o.Outer, false)
}

// bindStrided binds one dispatch per part between a wide buffer and the
// narrow ones along the last axis.
func bindStrided(p *program, shader string, wideID tensor.BufferID, parts []tensor.BufferID, widths []int, outer int, ordered bool) (opKernel, error) {
	if err := positive("Outer", outer); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	wide := ops.in(wideID, "the concatenated buffer")
	narrow := make([]*vk.Buffer, len(parts))
	stride := 0
	for i, id := range parts {
		narrow[i] = ops.in(id, "a concatenated part")
		stride += widths[i]
	}
	if ops.err != nil {
		return nil, ops.err
	}
	k := &launches{ordered: ordered}
	off := 0
	for i, w := range widths {
		if w == 0 {
			continue
		}
		push := vk.Push{}.Uint32(u32(outer)).Uint32(u32(w)).Uint32(u32(stride)).Uint32(u32(off))
		l, err := p.launch(shader, elemWG, push, p.groups(p.plan.Batch*outer*w, elemWG), wide, narrow[i])
		if err != nil {
			return nil, err
		}
		k.list = append(k.list, l)
		off += w
	}
	return k, nil
}
