package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The depthwise convolution family: DepthwiseConv2D and its two backward
// ops. Shaders: depthwise_fwd, depthwise_bwd_data (one invocation per
// output element, gathering, so no atomics) and depthwise_bwd_filter (one
// workgroup per kernel element, a deterministic tree over the batch). A
// depthwise convolution has no reduction over channels, so it is not a
// GEMM: its arithmetic is a small fraction of a dense convolution's, and
// these direct kernels read each operand where it lies.

// depthwisePush is shaders/depthwise.glsl's push-constant block.
func depthwisePush(g tensor.DepthwiseGeom) vk.Push {
	p := vk.Push{}
	for _, v := range []int{g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PadTop, g.PadLeft, g.OH, g.OW, g.DM} {
		p = p.Uint32(u32(v))
	}
	return p
}

// bindDepthwise binds one of the three kernels: shader reads a and b and
// writes out, over groups workgroups of wg invocations.
func bindDepthwise(p *program, what, shader string, g tensor.DepthwiseGeom, wg, groups int, ids [3]tensor.BufferID, roles [3]string) (opKernel, error) {
	ops := operands{p: p}
	a, b, out := ops.in(ids[0], roles[0]), ops.in(ids[1], roles[1]), ops.in(ids[2], roles[2])
	if ops.err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", what, ops.err)
	}
	k, err := p.single(shader, wg, depthwisePush(g), groups, a, b, out)
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", what, err)
	}
	return k, nil
}

func bindDepthwiseConv2D(p *program, o tensor.DepthwiseConv2D) (opKernel, error) {
	return bindDepthwise(p, "DepthwiseConv2D", "depthwise_fwd", o.Geom, elemWG,
		p.groups(p.plan.Batch*o.Geom.OutSize(), elemWG), [3]tensor.BufferID{o.X, o.W, o.Y}, [3]string{"X", "W", "Y"})
}

func bindDepthwiseBackData(p *program, o tensor.DepthwiseConv2DBackwardData) (opKernel, error) {
	return bindDepthwise(p, "DepthwiseConv2DBackwardData", "depthwise_bwd_data", o.Geom, elemWG,
		p.groups(p.plan.Batch*o.Geom.InSize(), elemWG), [3]tensor.BufferID{o.DY, o.W, o.DX}, [3]string{"DY", "W", "DX"})
}

func bindDepthwiseBackFilter(p *program, o tensor.DepthwiseConv2DBackwardFilter) (opKernel, error) {
	return bindDepthwise(p, "DepthwiseConv2DBackwardFilter", "depthwise_bwd_filter", o.Geom, p.reduceWG(),
		p.groups(o.Geom.KernelSize(), 1), [3]tensor.BufferID{o.X, o.DY, o.DW}, [3]string{"X", "DY", "DW"})
}
