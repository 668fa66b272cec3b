package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// Convolutions lower to GEMM through im2col. For a group of gn samples the
// panel P is (gn·OH·OW) × (KH·KW·C) and the kernel W is (KH·KW·C) × F:
//
//	forward:         Y  = P · W          (NHWC output falls out directly)
//	backward data:   dP = DY · Wᵀ, then col2im scatters dP into DX
//	backward filter: DW = Σ over groups Pᵀ · DY
//
// Groups run one after another in sample order, so the filter gradient is
// summed in the same order on every run.

// convBase holds what the three convolution kernels share.
type convBase struct {
	s     *convShape
	arena *[]float32
	cols  *im2col
	g     *gemm
}

// newConvBase sizes a convolution; filter marks the filter gradient, the
// one product whose operands (the panel and DY) may be repacked, rather
// than just the kernel.
func newConvBase(p *program, geom tensor.ConvGeom, filter bool) (convBase, error) {
	limit := panelCap
	if filter {
		limit = filterPanelCap
	}
	s, err := newConvShape(p, geom, limit)
	if err != nil {
		return convBase{}, err
	}
	var g *gemm
	if filter {
		g = p.newGemm(s.kkc, s.g.F, s.group*s.ohow)
	} else {
		g = p.newGemm(s.group*s.ohow, max(s.kkc, s.g.F), max(s.kkc, s.g.F))
	}
	return convBase{s: s, arena: &p.arena, cols: newIm2col(s), g: g}, nil
}

// panel returns the im2col panel of samples n0..n0+gn−1 of x.
func (b *convBase) panel(x []float32, n0, gn int) []float32 {
	s := b.s
	if s.direct {
		return x[n0*s.in : (n0+gn)*s.in]
	}
	col := (*b.arena)[:gn*s.ohow*s.kkc]
	b.cols.run(x[n0*s.in:], col, gn)
	return col
}

// conv2D is a bound tensor.Conv2D.
type conv2D struct {
	convBase
	x, w, y []float32
}

func (p *program) bindConv2D(o tensor.Conv2D) (kernel, error) {
	base, err := newConvBase(p, o.Geom, false)
	if err != nil {
		return nil, err
	}
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.W, "W"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &conv2D{convBase: base, x: bs[0], w: bs[1], y: bs[2]}
	return k, nil
}

func (k *conv2D) run(a *tensor.StepArgs) {
	s := k.s
	w := k.w[:s.kkc*s.g.F]
	for n0 := 0; n0 < a.Rows; n0 += s.group {
		gn := min(s.group, a.Rows-n0)
		col := k.panel(k.x, n0, gn)
		k.g.set(false, false, gn*s.ohow, s.g.F, s.kkc, col, w, 0, k.y[n0*s.out:(n0+gn)*s.out])
		k.g.run()
	}
}

// convBackData is a bound tensor.Conv2DBackwardData.
type convBackData struct {
	convBase
	scatter   *col2im
	dy, w, dx []float32
}

func (p *program) bindConvBackData(o tensor.Conv2DBackwardData) (kernel, error) {
	base, err := newConvBase(p, o.Geom, false)
	if err != nil {
		return nil, err
	}
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.W, "W"}, idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	k := &convBackData{convBase: base, dy: bs[0], w: bs[1], dx: bs[2]}
	k.scatter = newCol2im(k.s)
	return k, nil
}

func (k *convBackData) run(a *tensor.StepArgs) {
	s := k.s
	w := k.w[:s.kkc*s.g.F]
	for n0 := 0; n0 < a.Rows; n0 += s.group {
		gn := min(s.group, a.Rows-n0)
		dx := k.dx[n0*s.in : (n0+gn)*s.in]
		dcol := dx // a direct convolution's panel gradient is DX itself
		if !s.direct {
			dcol = (*k.arena)[:gn*s.ohow*s.kkc]
		}
		k.g.set(false, true, gn*s.ohow, s.kkc, s.g.F, k.dy[n0*s.out:(n0+gn)*s.out], w, 0, dcol)
		k.g.run()
		if !s.direct {
			k.scatter.run(dcol, dx, gn)
		}
	}
}

// convBackFilter is a bound tensor.Conv2DBackwardFilter.
type convBackFilter struct {
	convBase
	x, dy, dw []float32
}

func (p *program) bindConvBackFilter(o tensor.Conv2DBackwardFilter) (kernel, error) {
	base, err := newConvBase(p, o.Geom, true)
	if err != nil {
		return nil, err
	}
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.DW, "DW"})
	if err != nil {
		return nil, err
	}
	k := &convBackFilter{convBase: base, x: bs[0], dy: bs[1], dw: bs[2]}
	return k, nil
}

func (k *convBackFilter) run(a *tensor.StepArgs) {
	s := k.s
	dw := k.dw[:s.kkc*s.g.F]
	var beta float32 // the first group overwrites DW, later ones add to it
	for n0 := 0; n0 < a.Rows; n0 += s.group {
		gn := min(s.group, a.Rows-n0)
		col := k.panel(k.x, n0, gn)
		k.g.set(true, false, s.kkc, s.g.F, gn*s.ohow, col, k.dy[n0*s.out:(n0+gn)*s.out], beta, dw)
		k.g.run()
		beta = 1
	}
}
