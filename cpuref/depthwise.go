package cpuref

import "github.com/anvil-ml/anvil/tensor"

// Depthwise convolutions have no reduction over channels, so they do not
// go through GEMM: each kernel walks the window directly, with the channel
// (and its DM filters) innermost, where the NHWC input, the [KH,KW,C,DM]
// kernel and the output all run contiguously. Every output element is
// summed over the taps in the order kh, kw (then m, backward data), which
// shaders/depthwise_*.comp follow too.
//
//	forward:         Y  one task per output row (sample, oh)
//	backward data:   DX one task per input row (sample, ih), gathering
//	backward filter: DW one task per tap (kh, kw), summed in float64 over
//	                 the batch in sample order and rounded once

// depthwise holds what the three kernels share.
type depthwise struct {
	g tensor.DepthwiseGeom
	// a, b, out are the operands: X, W, Y; DY, W, DX; or X, DY, DW.
	a, b, out []float32
	rows      int
}

func (p *program) bindDepthwise(g tensor.DepthwiseGeom, ids ...idRole) (*depthwise, error) {
	bs, err := p.need(ids...)
	if err != nil {
		return nil, err
	}
	return &depthwise{g: g, a: bs[0], b: bs[1], out: bs[2]}, nil
}

// tapRange returns the range of output positions o (0 ≤ o < out) whose tap
// k reads an input position inside 0..in−1: o·s + k·d − pad ∈ [0, in).
func tapRange(k, d, s, pad, in, out int) (lo, hi int) {
	off := k*d - pad
	lo = 0
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	hi = out
	if last := in - 1 - off; last < 0 {
		hi = 0
	} else {
		hi = min(out, last/s+1)
	}
	return lo, max(lo, hi)
}

// depthwiseFwd is a bound tensor.DepthwiseConv2D.
type depthwiseFwd struct{ *depthwise }

func (p *program) bindDepthwiseConv2D(o tensor.DepthwiseConv2D) (kernel, error) {
	d, err := p.bindDepthwise(o.Geom, idRole{o.X, "X"}, idRole{o.W, "W"}, idRole{o.Y, "Y"})
	return depthwiseFwd{d}, err
}

func (k depthwiseFwd) run(a *tensor.StepArgs) { parallelFor(a.Rows*k.g.OH, k.row) }

// row computes output row t%OH of sample t/OH.
func (k depthwiseFwd) row(t int) {
	g := k.g
	n, oh := t/g.OH, t%g.OH
	cd := g.C * g.DM
	x := k.a[n*g.InSize():][:g.InSize()]
	y := k.out[(n*g.OH+oh)*g.OW*cd:][:g.OW*cd]
	clear(y)
	for kh := range g.KH {
		ih := oh*g.SH + kh*g.DH - g.PadTop
		if ih < 0 || ih >= g.H {
			continue
		}
		for kw := range g.KW {
			w := k.b[(kh*g.KW+kw)*cd:][:cd]
			lo, hi := tapRange(kw, g.DW, g.SW, g.PadLeft, g.W, g.OW)
			for ow := lo; ow < hi; ow++ {
				iw := ow*g.SW + kw*g.DW - g.PadLeft
				mulAddChannels(y[ow*cd:][:cd], x[(ih*g.W+iw)*g.C:][:g.C], w, g.DM)
			}
		}
	}
}

// mulAddChannels adds x[c]·w[c·dm+m] to y[c·dm+m] for every channel c and
// filter m.
func mulAddChannels(y, x, w []float32, dm int) {
	if dm == 1 {
		w, y = w[:len(x)], y[:len(x)]
		for c, v := range x {
			y[c] += v * w[c]
		}
		return
	}
	for c, v := range x {
		yc, wc := y[c*dm:][:dm], w[c*dm:][:dm]
		for m := range yc {
			yc[m] += v * wc[m]
		}
	}
}

// depthwiseData is a bound tensor.DepthwiseConv2DBackwardData.
type depthwiseData struct{ *depthwise }

func (p *program) bindDepthwiseBackData(o tensor.DepthwiseConv2DBackwardData) (kernel, error) {
	d, err := p.bindDepthwise(o.Geom, idRole{o.DY, "DY"}, idRole{o.W, "W"}, idRole{o.DX, "DX"})
	return depthwiseData{d}, err
}

func (k depthwiseData) run(a *tensor.StepArgs) { parallelFor(a.Rows*k.g.H, k.row) }

// row gathers input row t%H of sample t/H: each input element sums, over
// the taps that read it (in the order kh, kw), dy·w of its DM filters.
func (k depthwiseData) row(t int) {
	g := k.g
	n, ih := t/g.H, t%g.H
	cd := g.C * g.DM
	dy := k.a[n*g.OutSize():][:g.OutSize()]
	dx := k.out[(n*g.H+ih)*g.W*g.C:][:g.W*g.C]
	clear(dx)
	for kh := range g.KH {
		oh, ok := outputOf(ih, kh, g.DH, g.SH, g.PadTop, g.OH)
		if !ok {
			continue
		}
		for kw := range g.KW {
			w := k.b[(kh*g.KW+kw)*cd:][:cd]
			lo, hi := tapRange(kw, g.DW, g.SW, g.PadLeft, g.W, g.OW)
			for ow := lo; ow < hi; ow++ {
				iw := ow*g.SW + kw*g.DW - g.PadLeft
				dotChannels(dx[iw*g.C:][:g.C], dy[(oh*g.OW+ow)*cd:][:cd], w, g.DM)
			}
		}
	}
}

// outputOf returns the output position whose tap k reads input position i,
// if there is one: o·s + k·d − pad = i.
func outputOf(i, k, d, s, pad, out int) (int, bool) {
	t := i + pad - k*d
	if t < 0 || t%s != 0 || t/s >= out {
		return 0, false
	}
	return t / s, true
}

// dotChannels adds Σ_m dy[c·dm+m]·w[c·dm+m] to dx[c], m in order.
func dotChannels(dx, dy, w []float32, dm int) {
	if dm == 1 {
		dy, w = dy[:len(dx)], w[:len(dx)]
		for c := range dx {
			dx[c] += dy[c] * w[c]
		}
		return
	}
	for c := range dx {
		s := dx[c]
		for m := c * dm; m < (c+1)*dm; m++ {
			s += dy[m] * w[m]
		}
		dx[c] = s
	}
}

// depthwiseFilter is a bound tensor.DepthwiseConv2DBackwardFilter.
type depthwiseFilter struct {
	*depthwise
	acc []float64 // per tap, C·DM sums
}

func (p *program) bindDepthwiseBackFilter(o tensor.DepthwiseConv2DBackwardFilter) (kernel, error) {
	d, err := p.bindDepthwise(o.Geom, idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.DW, "DW"})
	if err != nil {
		return nil, err
	}
	return &depthwiseFilter{depthwise: d, acc: make([]float64, o.Geom.KernelSize())}, nil
}

func (k *depthwiseFilter) run(a *tensor.StepArgs) {
	k.rows = a.Rows
	parallelFor(k.g.KH*k.g.KW, k.tap)
}

// tap sums the gradient of tap (kh, kw) = (t/KW, t%KW) over every valid
// sample and output position, in that order.
func (k *depthwiseFilter) tap(t int) {
	g := k.g
	kh, kw := t/g.KW, t%g.KW
	cd := g.C * g.DM
	acc := k.acc[t*cd:][:cd]
	clear(acc)
	ohLo, ohHi := tapRange(kh, g.DH, g.SH, g.PadTop, g.H, g.OH)
	owLo, owHi := tapRange(kw, g.DW, g.SW, g.PadLeft, g.W, g.OW)
	for n := range k.rows {
		x, dy := k.a[n*g.InSize():][:g.InSize()], k.b[n*g.OutSize():][:g.OutSize()]
		for oh := ohLo; oh < ohHi; oh++ {
			ih := oh*g.SH + kh*g.DH - g.PadTop
			for ow := owLo; ow < owHi; ow++ {
				iw := ow*g.SW + kw*g.DW - g.PadLeft
				mulAdd64(acc, x[(ih*g.W+iw)*g.C:][:g.C], dy[(oh*g.OW+ow)*cd:][:cd], g.DM)
			}
		}
	}
	dw := k.out[t*cd:][:cd]
	for i, v := range acc {
		dw[i] = float32(v)
	}
}

// mulAdd64 adds x[c]·dy[c·dm+m] to acc[c·dm+m] in float64 for every
// channel c and filter m.
func mulAdd64(acc []float64, x, dy []float32, dm int) {
	if dm == 1 {
		acc, dy = acc[:len(x)], dy[:len(x)]
		for c, v := range x {
			acc[c] += float64(v) * float64(dy[c])
		}
		return
	}
	for c, v := range x {
		for m := c * dm; m < (c+1)*dm; m++ {
			acc[m] += float64(v) * float64(dy[m])
		}
	}
}
