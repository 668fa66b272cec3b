package cpuref

import "github.com/anvil-ml/anvil/tensor"

// window is the part of a pooling window that lies on real input: rows
// h0+khLo..h0+khHi−1 and columns w0+kwLo..w0+kwHi−1. Padding is skipped,
// never read as zero, as TensorFlow's pooling does.
type window struct {
	h0, w0, khLo, khHi, kwLo, kwHi int
}

func poolWindow(g *tensor.ConvGeom, oh, ow int) window {
	h0, w0 := oh*g.SH-g.PadTop, ow*g.SW-g.PadLeft
	return window{h0: h0, w0: w0,
		khLo: max(0, -h0), khHi: min(g.KH, g.H-h0),
		kwLo: max(0, -w0), kwHi: min(g.KW, g.W-w0)}
}

// count is the number of real elements in the window.
func (w window) count() int { return max(0, w.khHi-w.khLo) * max(0, w.kwHi-w.kwLo) }

// pool2D is a bound tensor.Pool2D. One task is one output row of one sample.
type pool2D struct {
	kind    tensor.PoolKind
	g       tensor.ConvGeom
	x, y    []float32
	in, out int
	fn      func(int)
}

func (p *program) bindPool(o tensor.Pool2D) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &pool2D{kind: o.Kind, g: o.Geom, x: bs[0], y: bs[1], in: o.Geom.InSize(), out: o.Geom.PoolOutSize()}
	k.fn = k.row
	return k, nil
}

func (k *pool2D) run(a *tensor.StepArgs) { parallelFor(a.Rows*k.g.OH, k.fn) }

func (k *pool2D) row(t int) {
	g := &k.g
	n, oh := t/g.OH, t%g.OH
	x := k.x[n*k.in : (n+1)*k.in]
	for ow := 0; ow < g.OW; ow++ {
		y := k.y[n*k.out+(oh*g.OW+ow)*g.C:][:g.C]
		win := poolWindow(g, oh, ow)
		clear(y)
		first := true
		for kh := win.khLo; kh < win.khHi; kh++ {
			for kw := win.kwLo; kw < win.kwHi; kw++ {
				xs := x[((win.h0+kh)*g.W+win.w0+kw)*g.C:][:g.C]
				switch {
				case k.kind == tensor.AvgPool:
					for c, v := range xs {
						y[c] += v
					}
				case first:
					copy(y, xs)
				default:
					for c, v := range xs {
						if v > y[c] { // strict: ties keep the first maximum
							y[c] = v
						}
					}
				}
				first = false
			}
		}
		if n := win.count(); k.kind == tensor.AvgPool && n > 0 {
			inv := 1 / float32(n)
			for c := range y {
				y[c] *= inv
			}
		}
	}
}

// pool2DBackward is a bound tensor.Pool2DBackward. Windows of one sample
// overlap in DX, so one task is one whole sample.
type pool2DBackward struct {
	kind      tensor.PoolKind
	g         tensor.ConvGeom
	x, dy, dx []float32
	in, out   int
	fn        func(int)
}

func (p *program) bindPoolBackward(o tensor.Pool2DBackward) (kernel, error) {
	bs, err := p.need(idRole{o.DY, "DY"}, idRole{o.DX, "DX"})
	if err != nil {
		return nil, err
	}
	k := &pool2DBackward{kind: o.Kind, g: o.Geom, dy: bs[0], dx: bs[1], in: o.Geom.InSize(), out: o.Geom.PoolOutSize()}
	if o.Kind == tensor.MaxPool {
		if k.x, err = p.buf(o.X, "X"); err != nil {
			return nil, err
		}
	}
	k.fn = k.sample
	return k, nil
}

func (k *pool2DBackward) run(a *tensor.StepArgs) { parallelFor(a.Rows, k.fn) }

func (k *pool2DBackward) sample(n int) {
	g := &k.g
	dx := k.dx[n*k.in : (n+1)*k.in]
	clear(dx)
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			win := poolWindow(g, oh, ow)
			dy := k.dy[n*k.out+(oh*g.OW+ow)*g.C:][:g.C]
			if k.kind == tensor.AvgPool {
				k.avgBack(dx, dy, win)
			} else {
				k.maxBack(dx, k.x[n*k.in:(n+1)*k.in], dy, win)
			}
		}
	}
}

func (k *pool2DBackward) avgBack(dx, dy []float32, win window) {
	cnt := win.count()
	if cnt == 0 {
		return
	}
	g := &k.g
	inv := 1 / float32(cnt)
	for kh := win.khLo; kh < win.khHi; kh++ {
		for kw := win.kwLo; kw < win.kwHi; kw++ {
			d := dx[((win.h0+kh)*g.W+win.w0+kw)*g.C:][:g.C]
			for c, v := range dy {
				d[c] += v * inv
			}
		}
	}
}

// maxBack routes each channel's gradient to the first maximal input of the
// window, scanning in the same order as the forward pass.
func (k *pool2DBackward) maxBack(dx, x, dy []float32, win window) {
	g := &k.g
	if win.count() == 0 {
		return
	}
	for c, v := range dy {
		best, at := float32(0), -1
		for kh := win.khLo; kh < win.khHi; kh++ {
			for kw := win.kwLo; kw < win.kwHi; kw++ {
				i := ((win.h0+kh)*g.W+win.w0+kw)*g.C + c
				if at < 0 || x[i] > best {
					best, at = x[i], i
				}
			}
		}
		dx[at] += v
	}
}
