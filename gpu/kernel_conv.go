package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The three convolution kernels are implicit GEMMs on the engine of
// kernel_matmul.go: they gather the im2col panel on the fly instead of
// building it, and carry the whole ConvGeom as specialization constants
// (shaders/conv_geom.glsl) so that index arithmetic divides by constants.
//
//	forward:         Y  (rows·OH·OW × F)   = P · W
//	backward data:   DX (rows·H·W × C)     = DY ⋆ Wᵀ, one GEMM per stride phase
//	backward filter: DW (KH·KW·C × F)      = Pᵀ · DY, K = rows·OH·OW, split-K

// geomConstants are conv_geom.glsl's specialization constants 8..19.
func geomConstants(g tensor.ConvGeom) []uint32 {
	return []uint32{uint32(g.H), uint32(g.W), uint32(g.C), uint32(g.KH), uint32(g.KW),
		uint32(g.SH), uint32(g.SW), uint32(g.PadTop), uint32(g.PadLeft),
		uint32(g.OH), uint32(g.OW), uint32(g.F)}
}

// convPass binds one engine dispatch of shader for an m×n output at full
// batch, aligned as al, with the epilogue e (conv_fwd only) and the given
// extra specialization constants (after 0..19).
func convPass(p *program, shader string, t gemmTile, g tensor.ConvGeom, m, n, splits int, al gemmAlign,
	bufs []*vk.Buffer, e epilogue, extra ...uint32) (dispatch, error) {
	if err := t.coopRuns(shader); err != nil {
		return dispatch{}, err
	}
	consts := t.withEngine(e.constants(append(append(t.constants(splits), geomConstants(g)...), extra...)), al)
	pl, err := p.pipeline(t.shader(shader), len(bufs), 0, consts...)
	if err != nil {
		return dispatch{}, err
	}
	set, err := pl.Bind(append([]*vk.Buffer{p.args}, bufs...)...)
	if err != nil {
		return dispatch{}, err
	}
	x, y, z, err := gemmGrid(p, t, m, n, splits)
	if err != nil {
		return dispatch{}, err
	}
	return dispatch{set: set, x: x, y: y, z: z}, nil
}

// bindConv2D binds a tensor.Conv2D: shaders/conv_fwd.comp.
func bindConv2D(p *program, o tensor.Conv2D) (opKernel, error) {
	return bindConv2DWith(p, o, o, epilogue{})
}

// bindConv2DWith binds o with the epilogue e, tuned as the op tuneOp (o
// itself, or the gemmEpi that holds it). The forward pass never splits K,
// so the engine's store applies the epilogue.
func bindConv2DWith(p *program, o tensor.Conv2D, tuneOp tensor.Op, e epilogue) (opKernel, error) {
	g := o.Geom
	m, n := p.plan.Batch*g.OH*g.OW, g.F
	c, err := p.chooseGemm(tuneOp, m, n, g.KH*g.KW*g.C, false)
	if err != nil {
		return nil, err
	}
	t := c.Tile
	al := t.alignFor(g.OH*g.OW, n, g.KH*g.KW*g.C, false)
	y := p.buffer(o.Y)
	d, err := convPass(p, halfShader(p, "conv_fwd", o.X), t, g, m, n, 1, al, append([]*vk.Buffer{p.buffer(o.X), p.buffer(o.W), y}, e.buffers(y)...), e)
	if err != nil {
		return nil, fmt.Errorf("gpu: Conv2D: %w", err)
	}
	return &gemmKernel{passes: []dispatch{d}}, nil
}

// bindConvBackData binds a tensor.Conv2DBackwardData: shaders/conv_bwd_data.comp,
// one dispatch per stride phase that holds input positions. The phases
// write disjoint elements of DX, which needs no barrier by the memory
// model; synchronization validation tracks whole bindings, though, and
// would report a write-after-write hazard between them, so a barrier
// separates them anyway (cheap next to the dispatches).
func bindConvBackData(p *program, o tensor.Conv2DBackwardData) (opKernel, error) {
	g := o.Geom
	k := &gemmKernel{}
	bufs := []*vk.Buffer{p.buffer(o.DY), p.buffer(o.W), p.buffer(o.DX)}
	// A tuned tile serves every phase; without one, each phase picks its own.
	info := p.dev.Info()
	cands := gemmCandidates(info, p.plan.Batch*g.H*g.W, g.C, g.KH*g.KW*g.F, false)
	if h, err := chooseTile(info, p.plan.Batch*ceilDiv(g.H, g.SH)*ceilDiv(g.W, g.SW), g.C); err == nil {
		cands = heuristicFirst(gemmChoice{Tile: h, Splits: 1}, cands) // phase 0's choice
	}
	tuned, isTuned := p.tuned(o, cands, g.KH*g.KW*g.F)
	for ph := range min(g.SH, g.H) {
		for pw := range min(g.SW, g.W) {
			mUnit := ceilDiv(g.H-ph, g.SH) * ceilDiv(g.W-pw, g.SW)
			m := p.plan.Batch * mUnit
			t, err := tuned.Tile, error(nil)
			if !isTuned {
				if t, err = chooseTile(info, m, g.C); err != nil {
					return nil, err
				}
			}
			p.noteGemm(o, gemmChoice{Tile: t, Splits: 1}, isTuned)
			al := t.alignFor(mUnit, g.C, phaseTaps(g.KH, g.SH, (ph+g.PadTop)%g.SH)*phaseTaps(g.KW, g.SW, (pw+g.PadLeft)%g.SW)*g.F, false)
			d, err := convPass(p, halfShader(p, "conv_bwd_data", o.DY), t, g, m, g.C, 1, al, bufs, epilogue{}, uint32(ph), uint32(pw))
			if err != nil {
				return nil, fmt.Errorf("gpu: Conv2DBackwardData: %w", err)
			}
			d.barrier = len(k.passes) > 0
			k.passes = append(k.passes, d)
		}
	}
	return k, nil
}

// bindConvBackFilter binds a tensor.Conv2DBackwardFilter:
// shaders/conv_bwd_filter.comp, with split-K when the kernel is small next
// to the batch.
func bindConvBackFilter(p *program, o tensor.Conv2DBackwardFilter) (opKernel, error) {
	g := o.Geom
	m, n, kMax := g.KH*g.KW*g.C, g.F, p.plan.Batch*g.OH*g.OW
	c, err := p.chooseGemm(o, m, n, kMax, true)
	if err != nil {
		return nil, err
	}
	t, splits := c.Tile, c.Splits
	k := &gemmKernel{}
	scratch, err := k.withScratch(p, splits, m, n, p.buffer(o.DW))
	if err != nil {
		return nil, err
	}
	d, err := convPass(p, halfShader(p, "conv_bwd_filter", o.X), t, g, m, n, splits, t.alignFor(m, n, g.OH*g.OW, false),
		[]*vk.Buffer{p.buffer(o.X), p.buffer(o.DY), p.buffer(o.DW), scratch}, epilogue{})
	if err != nil {
		return nil, fmt.Errorf("gpu: Conv2DBackwardFilter: %w", err)
	}
	k.passes = append(k.passes, d)
	if splits > 1 {
		if err := k.addReduce(p, p.buffer(o.DW), splits, m*n, n, false, epilogue{}); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// phaseTaps is how many of a window of k taps, stride s, a stride phase
// starting at tap k0 < s covers (conv_bwd_data.glsl's KHP and KWP).
func phaseTaps(k, s, k0 int) int {
	if k <= k0 {
		return 0
	}
	return ceilDiv(k-k0, s)
}
