package gpu

import (
	"github.com/anvil-ml/anvil/tensor"
)

// Pooling: shaders/pool2d.comp and pool2d_backward.comp, one invocation per
// output (forward) or input (backward) element, with the geometry as
// specialization constants like the convolutions'.

// poolConstants are the pooling shaders' specialization constants: the
// workgroup size, the kind, unused 2..7 and the geometry at 8..19.
func poolConstants(kind tensor.PoolKind, g tensor.ConvGeom) []uint32 {
	g.F = max(g.F, 1) // unused by pooling
	c := []uint32{elemWG, uint32(kind), 0, 0, 0, 0, 0, 0}
	return append(c, geomConstants(g)...)
}

// bindPool2D binds a tensor.Pool2D.
func bindPool2D(p *program, o tensor.Pool2D) (opKernel, error) {
	consts := poolConstants(o.Kind, o.Geom)
	pl, err := p.pipeline("pool2d", 2, 0, consts...)
	if err != nil {
		return nil, err
	}
	set, err := p.bind(pl, o.X, o.Y)
	if err != nil {
		return nil, err
	}
	n := p.plan.Batch * o.Geom.PoolOutSize()
	return &launches{list: []launch{{set: set, groups: p.groups(n, elemWG)}}}, nil
}

// bindPool2DBackward binds a tensor.Pool2DBackward. Average pooling does
// not read X, which may then be NoBuffer.
func bindPool2DBackward(p *program, o tensor.Pool2DBackward) (opKernel, error) {
	consts := poolConstants(o.Kind, o.Geom)
	pl, err := p.pipeline("pool2d_backward", 3, 0, consts...)
	if err != nil {
		return nil, err
	}
	set, err := p.bind(pl, o.X, o.DY, o.DX)
	if err != nil {
		return nil, err
	}
	n := p.plan.Batch * o.Geom.InSize()
	return &launches{list: []launch{{set: set, groups: p.groups(n, elemWG)}}}, nil
}
