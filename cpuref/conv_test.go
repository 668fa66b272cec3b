package cpuref

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// refConv is the convolution of tensor.Conv2D, straight from its doc
// comment, in float64 over rows samples.
func refConv(x, w []float64, g tensor.ConvGeom, rows int) []float64 {
	y := make([]float64, rows*g.OutSize())
	for n := 0; n < rows; n++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for f := 0; f < g.F; f++ {
					s := 0.0
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							ih, iw := oh*g.SH+kh-g.PadTop, ow*g.SW+kw-g.PadLeft
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							for c := 0; c < g.C; c++ {
								s += x[n*g.InSize()+(ih*g.W+iw)*g.C+c] * w[((kh*g.KW+kw)*g.C+c)*g.F+f]
							}
						}
					}
					y[n*g.OutSize()+(oh*g.OW+ow)*g.F+f] = s
				}
			}
		}
	}
	return y
}

type convCase struct {
	h, w, c, kh, kw, sh, sw, f int
	pad                        tensor.Padding
	batch, rows                int
}

func (c convCase) String() string {
	return fmt.Sprintf("%dx%dx%d_k%dx%d_s%dx%d_f%d_%s_b%d_r%d", c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, c.f, c.pad, c.batch, c.rows)
}

// geom is the geometry the ops under test get, from tensor.NewConvGeom as
// the layers build it. It must agree with keras.
func (c convCase) geom(t testing.TB) tensor.ConvGeom {
	t.Helper()
	g, err := tensor.NewConvGeom(c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, c.f, c.pad)
	if err != nil {
		t.Fatal(err)
	}
	if k := c.keras(); g != k {
		t.Fatalf("NewConvGeom = %+v, Keras's rule gives %+v", g, k)
	}
	return g
}

// keras is the geometry by Keras/TensorFlow's documented rule, worked out
// here rather than by tensor.NewConvGeom so that the references do not
// share a padding bug with the code under test. "valid": out =
// floor((in−k)/stride) + 1, no padding. "same": out = ceil(in/stride),
// pad_total = max((out−1)·stride + k − in, 0), pad_top = floor(pad_total/2),
// and the odd one out goes at the bottom (right).
func (c convCase) keras() tensor.ConvGeom {
	extent := func(in, k, s int) (out, before int) {
		if c.pad == tensor.Valid {
			return (in-k)/s + 1, 0
		}
		out = int(math.Ceil(float64(in) / float64(s)))
		total := max((out-1)*s+k-in, 0)
		return out, total / 2
	}
	oh, top := extent(c.h, c.kh, c.sh)
	ow, left := extent(c.w, c.kw, c.sw)
	return tensor.ConvGeom{H: c.h, W: c.w, C: c.c, KH: c.kh, KW: c.kw, SH: c.sh, SW: c.sw,
		PadTop: top, PadLeft: left, OH: oh, OW: ow, F: c.f}
}

// convCases cover kernel sizes 1..5, strides 1 and 2, both paddings,
// 'same' at stride 2 with odd and even totals (asymmetric: the extra row
// goes after), non-square windows and inputs, batch 1 and odd batches with
// fewer valid rows than the batch.
var convCases = []convCase{
	{5, 5, 3, 1, 1, 1, 1, 4, tensor.Valid, 1, 1}, // 1×1 stride 1: the direct path
	{6, 7, 5, 1, 1, 1, 1, 3, tensor.Same, 3, 2},  // direct, rows < batch
	{7, 5, 2, 1, 1, 2, 2, 3, tensor.Same, 3, 3},  // 1×1 stride 2 is not direct
	{6, 6, 3, 2, 2, 2, 2, 2, tensor.Valid, 2, 1},
	{7, 7, 2, 2, 2, 2, 2, 3, tensor.Same, 1, 1}, // total 1: all padding after
	{8, 8, 3, 3, 3, 2, 2, 4, tensor.Same, 3, 2}, // total 1: asymmetric
	{7, 9, 3, 3, 3, 1, 1, 5, tensor.Same, 3, 2},
	{9, 8, 2, 4, 4, 2, 2, 3, tensor.Same, 1, 1}, // totals 3 and 2
	{8, 8, 1, 4, 4, 2, 2, 2, tensor.Same, 3, 3}, // total 2: 1 before, 1 after
	{9, 7, 3, 5, 5, 2, 2, 2, tensor.Valid, 3, 2},
	{6, 5, 2, 5, 5, 1, 1, 3, tensor.Same, 2, 2}, // kernel larger than half the input
	{5, 8, 3, 3, 2, 1, 2, 4, tensor.Same, 3, 1}, // mixed kernel and stride
	{1, 1, 3, 3, 3, 1, 1, 2, tensor.Same, 3, 2}, // every tap but the centre is padding
	{6, 5, 3, 2, 1, 1, 1, 3, tensor.Same, 2, 2}, // 2×1 "same": no padding before, the output as large as the input, yet not 1×1
	{5, 6, 2, 1, 2, 1, 1, 3, tensor.Same, 2, 2}, // 1×2 alike
}

func TestConv2D(t *testing.T) {
	for i, cc := range convCases {
		t.Run(cc.String(), func(t *testing.T) { testConvForward(t, cc, uint64(100+i)) })
	}
}

func testConvForward(t *testing.T, cc convCase, seed uint64) {
	g := cc.geom(t)
	r := newRig(t, cc.batch)
	x, w, y := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize()), r.batched("y", g.OutSize())
	r.emit(tensor.Conv2D{X: x, W: w, Y: y, Geom: g})
	r.compile()
	rng := newRand(seed)
	xv, wv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, g.KernelSize(), -1, 1)
	r.write(x, xv)
	r.write(w, wv)
	r.fillSentinel(y)
	r.run(cc.rows)
	// Sums of ≤ 75 float32 products of size ≤ 1.
	checkClose(t, "Y", r.read(y), refConv(f64(xv), f64(wv), cc.keras(), cc.rows), fwdTol)
	r.untouched(y, cc.rows*g.OutSize())
}

func TestConv2DBackward(t *testing.T) {
	for i, cc := range convCases {
		t.Run(cc.String(), func(t *testing.T) { testConvBackward(t, cc, uint64(200+i)) })
	}
}

// TestConv2DBlocks lowers each sample in several im2col blocks, as a model
// with large images does, and sums the filter gradient in runs of one,
// two and all samples, and checks the results are still exact. The second
// case is a direct (1×1, stride 1) convolution, whose blocks are windows
// of the input itself rather than im2col panels.
func TestConv2DBlocks(t *testing.T) {
	saved, savedRuns := blockCap, filterChunks
	defer func() { blockCap, filterChunks = saved, savedRuns }()
	for _, cc := range []convCase{
		{8, 8, 3, 3, 3, 2, 2, 4, tensor.Same, 5, 5},
		{5, 6, 3, 1, 1, 1, 1, 4, tensor.Valid, 3, 2},
	} {
		g := cc.geom(t)
		for _, rows := range []int{1, 2} { // output rows per block
			blockCap = rows * g.OW * g.KH * g.KW * g.C
			for i, runs := range []int{1, 2, 3, 8} {
				filterChunks = runs // runs of all, 3+2, 2+2+1 and 1 samples
				testConvForward(t, cc, uint64(300+2*i))
				testConvBackward(t, cc, uint64(301+2*i))
			}
		}
	}
}

// testConvBackward checks Conv2DBackwardData and Conv2DBackwardFilter
// against central differences of L = Σ R⊙conv(X, W) with DY = R.
func testConvBackward(t *testing.T, cc convCase, seed uint64) {
	g := cc.geom(t)
	r := newRig(t, cc.batch)
	x, w := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize())
	dy, dx, dw := r.batched("dy", g.OutSize()), r.batched("dx", g.InSize()), r.fixed("dw", g.KernelSize())
	r.emit(tensor.Conv2DBackwardData{DY: dy, W: w, DX: dx, Geom: g},
		tensor.Conv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g})
	r.compile()
	rng := newRand(seed)
	xv, wv, rv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, g.KernelSize(), -1, 1), uniform(rng, r.plan.Elems(dy), -1, 1)
	r.write(x, xv)
	r.write(w, wv)
	r.write(dy, rv)
	r.fillSentinel(dx)
	r.fillSentinel(dw)
	r.run(cc.rows)

	x64, w64, r64 := f64(xv[:cc.rows*g.InSize()]), f64(wv), f64(rv[:cc.rows*g.OutSize()])
	loss := func() float64 { return dot(r64, refConv(x64, w64, cc.keras(), cc.rows)) }
	checkClose(t, "DX", r.read(dx), numGrad(x64, loss, fdEps), gradTol)
	checkClose(t, "DW", r.read(dw), numGrad(w64, loss, fdEps), gradTol)
	r.untouched(dx, cc.rows*g.InSize())
}

// BenchmarkConv2D runs the three convolution ops of each layer of the
// reference CNN (CIFAR-10, batch 32) and reports GFLOP/s over the wall time
// and per CPU second.
func BenchmarkConv2D(b *testing.B) {
	layers := []struct {
		name            string
		h, c, stride, f int
	}{{"conv1", 32, 3, 1, 32}, {"conv2", 32, 32, 2, 32}, {"conv3", 16, 32, 1, 64}, {"conv4", 16, 64, 2, 64}}
	const batch = 32
	for _, l := range layers {
		g, err := tensor.NewConvGeom(l.h, l.h, l.c, 3, 3, l.stride, l.stride, l.f, tensor.Same)
		if err != nil {
			b.Fatal(err)
		}
		ops := []struct {
			name string
			op   func(x, w, y, dy, dx, dw tensor.BufferID) tensor.Op
		}{
			{"forward", func(x, w, y, _, _, _ tensor.BufferID) tensor.Op { return tensor.Conv2D{X: x, W: w, Y: y, Geom: g} }},
			{"backward_data", func(_, w, _, dy, dx, _ tensor.BufferID) tensor.Op {
				return tensor.Conv2DBackwardData{DY: dy, W: w, DX: dx, Geom: g}
			}},
			{"backward_filter", func(x, _, _, dy, _, dw tensor.BufferID) tensor.Op {
				return tensor.Conv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g}
			}},
		}
		flops := 2 * float64(batch*g.OutSize()*g.KH*g.KW*g.C)
		for _, o := range ops {
			b.Run(l.name+"/"+o.name, func(b *testing.B) {
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
}

// TestConv2DBiasFused: a BiasAdd in place on a convolution's output is
// folded into the convolution, which must then add the bias itself.
func TestConv2DBiasFused(t *testing.T) {
	for i, cc := range []convCase{convCases[0], convCases[6], convCases[9]} {
		t.Run(cc.String(), func(t *testing.T) {
			g := cc.geom(t)
			r := newRig(t, cc.batch)
			x, w, y := r.batched("x", g.InSize()), r.fixed("w", g.KernelSize()), r.batched("y", g.OutSize())
			bias := r.fixed("bias", g.F)
			r.emit(tensor.Conv2D{X: x, W: w, Y: y, Geom: g},
				tensor.BiasAdd{X: y, Bias: bias, Y: y, Outer: g.OH * g.OW, C: g.F})
			r.compile()
			if n := len(r.prog.(*program).routines[tensor.Train]); n != 1 {
				t.Fatalf("%d kernels, want the bias folded into the convolution", n)
			}
			rng := newRand(uint64(400 + i))
			xv, wv, bv := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, g.KernelSize(), -1, 1), uniform(rng, g.F, -1, 1)
			r.write(x, xv)
			r.write(w, wv)
			r.write(bias, bv)
			r.fillSentinel(y)
			r.run(cc.rows)
			want := refConv(f64(xv), f64(wv), cc.keras(), cc.rows)
			for j := range want {
				want[j] += float64(bv[j%g.F])
			}
			checkClose(t, "Y", r.read(y), want, fwdTol)
			r.untouched(y, cc.rows*g.OutSize())
		})
	}
}

// TestConv2DBackFilterLargeKernel checks a filter gradient too large for
// one chunk of the final sum (3·3·32·64 = 18,432 values, elemChunk is
// 16,384) over several runs of samples, by its defining identity: the
// gradient of L = Σ DY⊙conv(X, W) is linear, so for any V,
// ⟨DW, V⟩ = Σ DY⊙conv(X, V), which the float64 reference convolution
// gives once (18,432 finite differences would take minutes).
//
// The same kernel has 288 steps of K (3·3·32), past one K block
// (kcMax = 256), so the forward and data-gradient products read the
// pre-packed kernel from a second block too: the forward is checked
// against the reference, DX by ⟨DX, U⟩ = Σ DY⊙conv(U, W).
func TestConv2DBackFilterLargeKernel(t *testing.T) {
	cc := convCase{4, 4, 32, 3, 3, 1, 1, 64, tensor.Same, 4, 4}
	testConvForward(t, cc, 76)
	testConvDataProjection(t, cc, 75)
	g := cc.geom(t)
	r := newRig(t, cc.batch)
	x, dy, dw := r.batched("x", g.InSize()), r.batched("dy", g.OutSize()), r.fixed("dw", g.KernelSize())
	r.emit(tensor.Conv2DBackwardFilter{X: x, DY: dy, DW: dw, Geom: g})
	r.compile()
	rng := newRand(77)
	xv, dyv, v := uniform(rng, r.plan.Elems(x), -1, 1), uniform(rng, r.plan.Elems(dy), -1, 1), uniform(rng, g.KernelSize(), -1, 1)
	r.write(x, xv)
	r.write(dy, dyv)
	r.run(cc.rows)
	// Each of the 18,432 gradients sums 64 products in float32 (relative
	// error ≲ 64·6e-8); the projection adds them with weights ≤ 1, so its
	// error is ≲ 4e-6 of Σ|DW·V| ≤ 18,432·64 — far below what dropping or
	// shifting a chunk (hundreds) changes.
	checkAdjoint(t, "⟨DW, V⟩", r.read(dw), v, dot(f64(dyv), refConv(f64(xv), f64(v), cc.keras(), cc.rows)))
}

// testConvDataProjection checks Conv2DBackwardData by its defining
// identity: for any U, ⟨DX, U⟩ = Σ DY⊙conv(U, W) (the gradient of
// L = Σ DY⊙conv(X, W) with respect to X is linear).
func testConvDataProjection(t *testing.T, cc convCase, seed uint64) {
	t.Helper()
	g := cc.geom(t)
	r := newRig(t, cc.batch)
	w, dy, dx := r.fixed("w", g.KernelSize()), r.batched("dy", g.OutSize()), r.batched("dx", g.InSize())
	r.emit(tensor.Conv2DBackwardData{DY: dy, W: w, DX: dx, Geom: g})
	r.compile()
	rng := newRand(seed)
	wv, dyv, u := uniform(rng, g.KernelSize(), -1, 1), uniform(rng, r.plan.Elems(dy), -1, 1), uniform(rng, r.plan.Elems(dx), -1, 1)
	r.write(w, wv)
	r.write(dy, dyv)
	r.run(cc.rows)
	// As for DW in TestConv2DBackFilterLargeKernel: float32 sums of ≤ 576
	// products, far below what a wrong block of the kernel changes.
	checkAdjoint(t, "⟨DX, U⟩", r.read(dx), u, dot(f64(dyv), refConv(f64(u), f64(wv), cc.keras(), cc.rows)))
}
