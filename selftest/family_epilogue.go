package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// epilogueFamilies: a product followed by its bias and rectifier, as nn
// lowers Dense and Conv2D layers, which a GPU backend may fold into the
// product's store (gpu/fuse_epilogue.go). The ops are the plan's own, so
// the reference runs them one by one and the backend under test however
// it records them.
func epilogueFamilies() []family {
	return []family{{name: "gemm-epilogue", build: epilogueCases}}
}

// epilogueCases: MatMuls batched along M of random shapes (up to 130, past
// every tile edge) and one convolution, each followed by an in-place
// BiasAdd and a ReLU or LeakyReLU into a buffer of its own, or by the bias
// alone, or by an in-place ReLU without bias.
//
// Tolerance: the biased product is a sum of k products and the bias,
// SumTol(k+1). A rectifier has slope at most 1 and maps the magnitude run's
// |pre| to itself, so its output keeps that bound.
func epilogueCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "MatMul and Conv2D with bias and rectifier, " + batchName(batch, rows)
	for i := range 8 {
		m, n, k := between(r, 1, 24), between(r, 1, 130), between(r, 1, 130)
		name := fmt.Sprintf("epi%d ", i)
		o := tensor.MatMul{M: m, N: n, K: k, Batch: tensor.BatchM,
			A: c.buf(name+"A", tensor.ActivationBuffer, true, m*k),
			B: c.buf(name+"B", tensor.ParamBuffer, false, k*n),
			C: c.buf(name+"pre", tensor.ActivationBuffer, true, m*n)}
		c.emit(fmt.Sprintf("MatMul %dx%dx%d", m, n, k), o, fixed(SumTol(k)))
		c.epilogue(name, o.C, m, n, k, i)
	}
	g, err := tensor.NewConvGeom(between(r, 3, 9), between(r, 3, 9), between(r, 1, 4), 3, 3, 2, 2, between(r, 1, 40), tensor.Same)
	if err != nil {
		panic(err) // every draw is at least the window
	}
	conv := tensor.Conv2D{Geom: g,
		X: c.buf("conv X", tensor.ActivationBuffer, true, g.H, g.W, g.C),
		W: c.buf("conv W", tensor.ParamBuffer, false, g.KH, g.KW, g.C, g.F),
		Y: c.buf("conv pre", tensor.ActivationBuffer, true, g.OH, g.OW, g.F)}
	k := g.KH * g.KW * g.C
	c.emit("Conv2D "+geomName(g), conv, fixed(SumTol(k)))
	c.epilogue("conv ", conv.Y, g.OH*g.OW, g.F, k, 2)
	return []*opCase{c}
}

// epilogue emits the tail of variant v (mod 4) after a product pre of
// rows×cols per sample with k-term sums: bias and ReLU, bias and
// LeakyReLU, bias alone, in-place ReLU alone.
func (c *opCase) epilogue(name string, pre tensor.BufferID, rows, cols, k, v int) {
	tol := fixed(SumTol(k + 1))
	if v%4 != 3 {
		c.emit(fmt.Sprintf("BiasAdd %d channels", cols), tensor.BiasAdd{X: pre, Y: pre, Outer: rows, C: cols,
			Bias: c.buf(name+"bias", tensor.ParamBuffer, false, cols)}, tol)
	}
	fn, out := tensor.ReLU, pre
	switch v % 4 {
	case 0:
		out = c.buf(name+"out", tensor.ActivationBuffer, true, rows*cols)
	case 1:
		fn, out = tensor.LeakyReLU, c.buf(name+"out", tensor.ActivationBuffer, true, rows*cols)
	case 2:
		return
	}
	c.emit(fmt.Sprintf("Activation %v", fn), tensor.Activation{Fn: fn, X: pre, Y: out, Size: rows * cols, Width: cols, Alpha: 0.3}, tol)
}
