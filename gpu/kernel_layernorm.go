package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The layer-normalization family: LayerNorm, LayerNormBackward and
// LayerNormParamGrad. Shaders: layernorm, layernorm_backward,
// layernorm_param_grad. Each position is one invocation with a serial
// loop, in float32; the weight gradients are a column reduction
// (colReduce). All deterministic and free of atomics.

func bindLayerNorm(p *program, o tensor.LayerNorm) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	if !(o.Epsilon > 0) {
		return nil, fmt.Errorf("Epsilon %v must be positive", o.Epsilon)
	}
	ops := operands{p: p}
	x, g, b := ops.in(o.X, "X"), ops.in(o.Gamma, "Gamma"), ops.in(o.Beta, "Beta")
	y, st := ops.in(o.Y, "Y"), ops.in(o.Stats, "Stats")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C)).Float32(o.Epsilon)
	return p.single("layernorm", elemWG, push, p.groups(p.plan.Batch*o.Outer, elemWG), x, g, b, y, st)
}

func bindLayerNormBackward(p *program, o tensor.LayerNormBackward) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, st, g := ops.in(o.X, "X"), ops.in(o.Stats, "Stats"), ops.in(o.Gamma, "Gamma")
	dy, dx := ops.in(o.DY, "DY"), ops.in(o.DX, "DX")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	return p.single("layernorm_backward", elemWG, push, p.groups(p.plan.Batch*o.Outer, elemWG), x, st, g, dy, dx)
}

func bindLayerNormParamGrad(p *program, o tensor.LayerNormParamGrad) (opKernel, error) {
	if err := positive("Outer, C", o.Outer, o.C); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, st, dy := ops.in(o.X, "X"), ops.in(o.Stats, "Stats"), ops.in(o.DY, "DY")
	dg, db := ops.in(o.DGamma, "DGamma"), ops.in(o.DBeta, "DBeta")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Outer)).Uint32(u32(o.C))
	wg := p.reduceWG()
	split := colSplitFor(p.plan.Batch*o.Outer, o.C, wg)
	list, err := p.colReduce("layernorm_param_grad", wg, push, o.C, split, []*vk.Buffer{dg, db},
		func(dst []*vk.Buffer) []*vk.Buffer { return []*vk.Buffer{x, st, dy, dst[0], dst[1]} })
	if err != nil {
		return nil, err
	}
	return &launches{list: list, ordered: true}, nil
}
