package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The depthwise convolution family: DepthwiseConv2D and its two backward
// ops. Shaders: depthwise_fwd, depthwise_bwd_data (one invocation per
// output element, gathering, so no atomics) and depthwise_bwd_filter
// (deterministic trees over the batch, see its comment). A
// depthwise convolution has no reduction over channels, so it is not a
// GEMM: its arithmetic is a small fraction of a dense convolution's, and
// these direct kernels read each operand where it lies; the filter
// gradient, a reduction over the batch, is cut into slices of positions
// (split-K, as the GEMMs do) so that a large GPU has enough workgroups.

// depthwiseConstants are the workgroup size and shaders/depthwise.glsl's
// specialization constants 1..14.
func depthwiseConstants(wg int, g tensor.DepthwiseGeom) []uint32 {
	out := []uint32{u32(wg)}
	for _, v := range []int{g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PadTop, g.PadLeft, g.OH, g.OW, g.DM} {
		out = append(out, u32(v))
	}
	return out
}

// depthwiseOperands resolves an op's three buffers.
func depthwiseOperands(p *program, what string, ids [3]tensor.BufferID, roles [3]string) ([]*vk.Buffer, error) {
	ops := operands{p: p}
	bufs := []*vk.Buffer{ops.in(ids[0], roles[0]), ops.in(ids[1], roles[1]), ops.in(ids[2], roles[2])}
	if ops.err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", what, ops.err)
	}
	return bufs, nil
}

// depthwiseSet binds bufs after the step arguments to shader's pipeline
// with the given specialization constants.
func depthwiseSet(p *program, what, shader string, consts []uint32, bufs []*vk.Buffer) (*vk.DescriptorSet, error) {
	pl, err := p.pipeline(shader, len(bufs), 0, consts...)
	if err == nil {
		var set *vk.DescriptorSet
		if set, err = pl.Bind(append([]*vk.Buffer{p.args}, bufs...)...); err == nil {
			return set, nil
		}
	}
	return nil, fmt.Errorf("gpu: %s: %w", what, err)
}

// bindDepthwise binds the forward or the data-gradient kernel: one
// dispatch of groups workgroups of elemWG invocations.
func bindDepthwise(p *program, what, shader string, g tensor.DepthwiseGeom, groups int, ids [3]tensor.BufferID, roles [3]string) (opKernel, error) {
	bufs, err := depthwiseOperands(p, what, ids, roles)
	if err != nil {
		return nil, err
	}
	set, err := depthwiseSet(p, what, shader, depthwiseConstants(elemWG, g), bufs)
	if err != nil {
		return nil, err
	}
	return &launches{list: []launch{{set: set, groups: groups}}}, nil
}

func bindDepthwiseConv2D(p *program, o tensor.DepthwiseConv2D) (opKernel, error) {
	return bindDepthwise(p, "DepthwiseConv2D", "depthwise_fwd", o.Geom,
		p.groups(p.plan.Batch*o.Geom.OutSize(), elemWG), [3]tensor.BufferID{o.X, o.W, o.Y}, [3]string{"X", "W", "Y"})
}

func bindDepthwiseBackData(p *program, o tensor.DepthwiseConv2DBackwardData) (opKernel, error) {
	return bindDepthwise(p, "DepthwiseConv2DBackwardData", "depthwise_bwd_data", o.Geom,
		p.groups(p.plan.Batch*o.Geom.InSize(), elemWG), [3]tensor.BufferID{o.DY, o.W, o.DX}, [3]string{"DY", "W", "DX"})
}

// depthwiseSlice is about how many output positions one slice of the
// filter gradient sums: enough workgroups for a large GPU at batch 32
// (KH·KW·⌈C·DM/32⌉ per slice), few enough that the extra pass that adds
// the slices stays small.
const depthwiseSlice = 1024

// bindDepthwiseBackFilter binds shaders/depthwise_bwd_filter.comp: one
// workgroup per tap, block of up to 32 channels and slice of positions,
// then, with several slices, matmul_reduce to add them in order.
func bindDepthwiseBackFilter(p *program, o tensor.DepthwiseConv2DBackwardFilter) (opKernel, error) {
	const what = "DepthwiseConv2DBackwardFilter"
	g := o.Geom
	bufs, err := depthwiseOperands(p, what, [3]tensor.BufferID{o.X, o.DY, o.DW}, [3]string{"X", "DY", "DW"})
	if err != nil {
		return nil, err
	}
	dw := bufs[2]
	wg := p.reduceWG()
	lanes := 1
	for lanes < min(g.OutChannels(), 32, wg) {
		lanes *= 2
	}
	slices := min(max(ceilDiv(p.plan.Batch*g.OH*g.OW, depthwiseSlice), 1), 64)
	k := &gemmKernel{}
	if slices > 1 {
		if bufs[2], err = k.withScratch(p, slices, g.KernelSize(), 1); err != nil {
			return nil, err
		}
	}
	set, err := depthwiseSet(p, what, "depthwise_bwd_filter", append(depthwiseConstants(wg, g), u32(lanes), u32(slices)), bufs)
	if err != nil {
		return nil, err
	}
	groups := p.groups(g.KH*g.KW*ceilDiv(g.OutChannels(), lanes), 1)
	k.passes = append(k.passes, dispatch{set: set, x: groups, y: slices, z: 1})
	if slices > 1 {
		if err := k.addReduce(p, dw, slices, g.KernelSize(), false); err != nil {
			return nil, fmt.Errorf("gpu: %s: %w", what, err)
		}
	}
	return k, nil
}
