package cpuref

import (
	"fmt"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// dwCase is one depthwise convolution under test.
type dwCase struct {
	h, w, c, kh, kw, sh, sw, dh, dw, dm int
	pad                                 tensor.Padding
	batch, rows                         int
}

func (c dwCase) String() string {
	return fmt.Sprintf("%dx%dx%d_k%dx%d_s%dx%d_d%dx%d_m%d_%s_b%d_r%d",
		c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.dm, c.pad, c.batch, c.rows)
}

// keras is the geometry by TensorFlow's documented rule for a dilated
// window, worked out here independently of tensor.NewDepthwiseGeom: the
// window spans k_eff = (k−1)·d+1 inputs; "valid" gives
// floor((in−k_eff)/s)+1 outputs, no padding; "same" gives ceil(in/s)
// outputs, pad_total = max((out−1)·s + k_eff − in, 0), pad_before =
// floor(pad_total/2).
func (c dwCase) keras() tensor.DepthwiseGeom {
	extent := func(in, k, d, s int) (out, before int) {
		eff := (k-1)*d + 1
		if c.pad == tensor.Valid {
			return (in-eff)/s + 1, 0
		}
		out = (in + s - 1) / s
		return out, max((out-1)*s+eff-in, 0) / 2
	}
	oh, top := extent(c.h, c.kh, c.dh, c.sh)
	ow, left := extent(c.w, c.kw, c.dw, c.sw)
	return tensor.DepthwiseGeom{H: c.h, W: c.w, C: c.c, KH: c.kh, KW: c.kw, SH: c.sh, SW: c.sw,
		DH: c.dh, DW: c.dw, PadTop: top, PadLeft: left, OH: oh, OW: ow, DM: c.dm}
}

func (c dwCase) geom(t testing.TB) tensor.DepthwiseGeom {
	t.Helper()
	g, err := tensor.NewDepthwiseGeom(c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw, c.dm, c.pad)
	if err != nil {
		t.Fatal(err)
	}
	if k := c.keras(); g != k {
		t.Fatalf("NewDepthwiseGeom = %+v, TensorFlow's rule gives %+v", g, k)
	}
	return g
}

// refDepthwise is tensor.DepthwiseConv2D straight from its doc comment, in
// float64: one sum per output element over the taps that land inside.
func refDepthwise(x, w []float64, g tensor.DepthwiseGeom, rows int) []float64 {
	y := make([]float64, rows*g.OutSize())
	for n := range rows {
		for oh := range g.OH {
			for ow := range g.OW {
				for c := range g.C {
					for m := range g.DM {
						s := 0.0
						for kh := range g.KH {
							for kw := range g.KW {
								ih, iw := oh*g.SH+kh*g.DH-g.PadTop, ow*g.SW+kw*g.DW-g.PadLeft
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								s += x[((n*g.H+ih)*g.W+iw)*g.C+c] * w[((kh*g.KW+kw)*g.C+c)*g.DM+m]
							}
						}
						y[(((n*g.OH+oh)*g.OW+ow)*g.C+c)*g.DM+m] = s
					}
				}
			}
		}
	}
	return y
}

// dwCases cover depth multipliers 1-3, strides 1-3, dilation (with stride
// 1, as TensorFlow allows, and with stride 2, which the op also defines),
// both paddings with odd and even totals, non-square windows, a window
// wider than the input under "same", and short batches.
var dwCases = []dwCase{
	{5, 5, 3, 3, 3, 1, 1, 1, 1, 1, tensor.Same, 2, 2},
	{6, 7, 4, 3, 3, 2, 2, 1, 1, 1, tensor.Same, 3, 2}, // asymmetric padding
	{7, 6, 2, 3, 2, 1, 2, 1, 1, 2, tensor.Valid, 2, 1},
	{8, 8, 3, 4, 4, 2, 2, 1, 1, 3, tensor.Same, 1, 1},
	{9, 8, 2, 3, 3, 1, 1, 2, 2, 1, tensor.Same, 2, 2}, // dilated
	{9, 9, 3, 3, 2, 1, 1, 2, 3, 2, tensor.Valid, 3, 2},
	{8, 7, 2, 3, 3, 2, 2, 2, 1, 2, tensor.Same, 2, 2},
	{2, 3, 3, 5, 5, 1, 3, 1, 1, 1, tensor.Same, 2, 1}, // window wider than the image
	{4, 4, 5, 1, 1, 1, 1, 1, 1, 2, tensor.Valid, 1, 1},
}

func TestDepthwiseConv2D(t *testing.T) {
	for i, cc := range dwCases {
		t.Run(cc.String(), func(t *testing.T) {
			g := cc.geom(t)
			r := newRig(t, cc.batch)
			x, w, y := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize()), r.batched("y", g.OutSize())
			r.emit(tensor.DepthwiseConv2D{X: x, W: w, Y: y, Geom: g})
			r.compile()
			rng := newRand(uint64(500 + i))
			xv, wv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, g.KernelSize(), -1, 1)
			r.write(x, xv)
			r.write(w, wv)
			r.fillSentinel(y)
			r.run(cc.rows)
			checkClose(t, "Y", r.read(y), refDepthwise(f64(xv), f64(wv), cc.keras(), cc.rows), fwdTol)
			r.untouched(y, cc.rows*g.OutSize())
		})
	}
}

// TestDepthwiseConv2DBackward checks both backward ops against central
// differences of L = Σ R⊙depthwise(X, W) with DY = R.
func TestDepthwiseConv2DBackward(t *testing.T) {
	for i, cc := range dwCases {
		t.Run(cc.String(), func(t *testing.T) {
			g := cc.geom(t)
			r := newRig(t, cc.batch)
			x, w := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize())
			dy, dx, dw := r.batched("dy", g.OutSize()), r.batched("dx", g.InSize()), r.fixed("dw", g.KernelSize())
			r.emit(tensor.DepthwiseConv2DBackwardData{DY: dy, W: w, DX: dx, Geom: g},
				tensor.DepthwiseConv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g})
			r.compile()
			rng := newRand(uint64(600 + i))
			xv, wv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, g.KernelSize(), -1, 1)
			rv := uniform(rng, r.plan.Elems(dy), -1, 1)
			r.write(x, xv)
			r.write(w, wv)
			r.write(dy, rv)
			r.fillSentinel(dx)
			r.fillSentinel(dw)
			r.run(cc.rows)
			x64, w64, r64 := f64(xv[:cc.rows*g.InSize()]), f64(wv), f64(rv[:cc.rows*g.OutSize()])
			loss := func() float64 { return dot(r64, refDepthwise(x64, w64, cc.keras(), cc.rows)) }
			checkClose(t, "DX", r.read(dx), numGrad(x64, loss, fdEps), gradTol)
			checkClose(t, "DW", r.read(dw), numGrad(w64, loss, fdEps), gradTol)
			r.untouched(dx, cc.rows*g.InSize())
		})
	}
}

// TestTapRange compares tapRange with a scan of every output position.
func TestTapRange(t *testing.T) {
	for k := range 4 {
		for d := 1; d <= 3; d++ {
			for s := 1; s <= 3; s++ {
				for pad := range 4 {
					for in := 1; in <= 6; in++ {
						for out := 1; out <= 6; out++ {
							lo, hi := tapRange(k, d, s, pad, in, out)
							for o := range out {
								i := o*s + k*d - pad
								if inside, got := i >= 0 && i < in, o >= lo && o < hi; inside != got {
									t.Fatalf("tapRange(%d,%d,%d,%d,%d,%d) = [%d,%d), position %d reads %d",
										k, d, s, pad, in, out, lo, hi, o, i)
								}
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkDepthwiseConv2D runs the three depthwise ops of a MobileNet-like
// layer, DepthwiseConv2D(3×3, same) on 32×32×64 inputs at batch 32, and
// reports GFLOP/s (2·multiply-adds of the direct convolution) over the
// wall time and per CPU second.
func BenchmarkDepthwiseConv2D(b *testing.B) {
	g, err := tensor.NewDepthwiseGeom(32, 32, 64, 3, 3, 1, 1, 1, 1, 1, tensor.Same)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 32
	ops := []struct {
		name string
		op   func(x, w, y, dy, dx, dw tensor.BufferID) tensor.Op
	}{
		{"forward", func(x, w, y, _, _, _ tensor.BufferID) tensor.Op {
			return tensor.DepthwiseConv2D{X: x, W: w, Y: y, Geom: g}
		}},
		{"backward_data", func(_, w, _, dy, dx, _ tensor.BufferID) tensor.Op {
			return tensor.DepthwiseConv2DBackwardData{DY: dy, W: w, DX: dx, Geom: g}
		}},
		{"backward_filter", func(x, _, _, dy, _, dw tensor.BufferID) tensor.Op {
			return tensor.DepthwiseConv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g}
		}},
	}
	flops := 2 * float64(batch*g.OutSize()*g.KH*g.KW)
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			r := newRig(b, batch)
			x, w, y := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize()), r.batched("y", g.OutSize())
			dy, dx, dw := r.batched("dy", g.OutSize()), r.batched("dx", g.InSize()), r.fixed("dw", g.KernelSize())
			r.emit(o.op(x, w, y, dy, dx, dw))
			r.compile()
			rng := newRand(3)
			r.write(x, uniform(rng, r.plan.Elems(x), -1, 1))
			r.write(w, uniform(rng, g.KernelSize(), -1, 1))
			r.write(dy, uniform(rng, r.plan.Elems(dy), -1, 1))
			r.run(batch)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				r.run(batch)
			}
			reportFlops(b, flops*float64(b.N), time.Since(start), cpuTime()-cpu0)
		})
	}
}

// TestDepthwiseFilterTapsInParallel checks a filter gradient of 25 taps,
// which the backend sums in parallel, each in its own scratch, on a large
// enough image that the taps overlap in time. The check is the defining
// identity ⟨DW, V⟩ = Σ DY⊙depthwise(X, V) for a random V (the gradient
// of L = Σ DY⊙depthwise(X, W) is linear in DY and X alone).
func TestDepthwiseFilterTapsInParallel(t *testing.T) {
	cc := dwCase{24, 24, 8, 5, 5, 1, 1, 1, 1, 2, tensor.Same, 3, 3}
	g := cc.geom(t)
	r := newRig(t, cc.batch)
	x, dy, dw := r.batched("x", g.InSize()), r.batched("dy", g.OutSize()), r.fixed("dw", g.KernelSize())
	r.emit(tensor.DepthwiseConv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g})
	r.compile()
	rng := newRand(78)
	xv, dyv, v := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, r.plan.Elems(dy), -1, 1), uniform(rng, g.KernelSize(), -1, 1)
	r.write(x, xv)
	r.write(dy, dyv)
	r.run(cc.rows)
	// The backend sums in float64 and rounds each of the 400 gradients
	// once (relative 6e-8 of values ≲ 3·576): the projection is good to
	// ~1e-3; a tap summed into another's scratch is off by tens.
	checkAdjoint(t, "⟨DW, V⟩", r.read(dw), v, dot(f64(dyv), refDepthwise(f64(xv), f64(v), cc.keras(), cc.rows)))
}
