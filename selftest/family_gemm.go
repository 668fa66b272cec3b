package selftest

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// The GEMM-like families: every output is a sum of products, so each gets
// SumTol of its sums' length.
func gemmFamilies() []family {
	return []family{
		{name: "matmul", build: matMulCases},
		{name: "conv2d", build: convCases(convForward)},
		{name: "conv2d-backward-data", build: convCases(convData)},
		{name: "conv2d-backward-filter", build: convCases(convFilter)},
	}
}

// matMulCases covers the four transpose pairs and the three batch axes,
// each with a small random shape and one with a dimension of up to 130
// (past the edge of every GEMM tile), in one plan.
func matMulCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "MatMul, 4 transposes × 3 batch axes × 2 random shapes, " + batchName(batch, rows)
	for i := range 24 {
		ta, tb := i&1 == 1, i&2 == 2
		axis := tensor.BatchAxis(i / 4 % 3)
		m, n, k := between(r, 1, 24), between(r, 1, 24), between(r, 1, 24)
		if i >= 12 {
			m, n, k = between(r, 1, 130), between(r, 1, 130), between(r, 1, 130)
		}
		o := tensor.MatMul{M: m, N: n, K: k, TransA: ta, TransB: tb, Batch: axis}
		acc := o.Accesses()
		desc := fmt.Sprintf("MatMul %dx%dx%d batch-axis %d transA %v transB %v", m, n, k, axis, ta, tb)
		name := fmt.Sprintf("matmul%d ", i)
		o.A = c.buf(name+"A", tensor.ActivationBuffer, acc[0].Batched, m*k)
		o.B = c.buf(name+"B", tensor.ParamBuffer, acc[1].Batched, k*n)
		o.C = c.buf(name+"C", tensor.ActivationBuffer, acc[2].Batched, m*n)
		c.emit(desc, o, func(rows int) Tol {
			if axis == tensor.BatchK {
				return SumTol(k * rows)
			}
			return SumTol(k)
		})
	}
	return []*opCase{c}
}

// convGeoms draws one geometry for every kernel size 1..5 and padding
// (valid, same), with the strides 1..3 dealt out among them from a random
// offset (each stride appears three or four times; another seed pairs them
// differently), on non-square inputs with random channel and filter counts,
// plus, for convolutions, one whose channels and filters cross a tile edge.
// Every kernel-size, stride and padding value is covered while the count
// stays small: a driver compiles a pipeline per geometry, which takes a
// CPU driver a good fraction of a second.
func convGeoms(r *rand.Rand, filters bool) []tensor.ConvGeom {
	var gs []tensor.ConvGeom
	offset := r.IntN(3)
	for k := 1; k <= 5; k++ {
		for pi, pad := range []tensor.Padding{tensor.Valid, tensor.Same} {
			s := (2*k+pi+offset)%3 + 1
			h, w := between(r, k, k+5), between(r, k, k+5)
			f := 0
			if filters {
				f = between(r, 1, 6)
			}
			g, err := tensor.NewConvGeom(h, w, between(r, 1, 4), k, k, s, s, f, pad)
			if err != nil {
				panic(err) // h, w ≥ k: every draw is valid
			}
			gs = append(gs, g)
		}
	}
	if filters {
		g, err := tensor.NewConvGeom(8, 7, 17, 3, 3, 2, 2, 33, tensor.Same)
		if err != nil {
			panic(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// geomName describes a window geometry.
func geomName(g tensor.ConvGeom) string {
	return fmt.Sprintf("%dx%dx%d k%dx%d s%d p%d,%d f%d", g.H, g.W, g.C, g.KH, g.KW, g.SH, g.PadTop, g.PadLeft, g.F)
}

// convOp adds one convolution op of geometry g, named by prefix, to c.
type convOp func(c *opCase, g tensor.ConvGeom, prefix string)

// convDesc describes one convolution op's geometry.
func convDesc(p string) string { return strings.TrimSpace(p) }

func convForward(c *opCase, g tensor.ConvGeom, p string) {
	c.emit(convDesc(p), tensor.Conv2D{Geom: g,
		X: c.buf(p+"X", tensor.ActivationBuffer, true, g.H, g.W, g.C),
		W: c.buf(p+"W", tensor.ParamBuffer, false, g.KH, g.KW, g.C, g.F),
		Y: c.buf(p+"Y", tensor.ActivationBuffer, true, g.OH, g.OW, g.F)}, fixed(SumTol(g.KH*g.KW*g.C)))
}

func convData(c *opCase, g tensor.ConvGeom, p string) {
	c.emit(convDesc(p), tensor.Conv2DBackwardData{Geom: g,
		DY: c.buf(p+"DY", tensor.GradientBuffer, true, g.OH, g.OW, g.F),
		W:  c.buf(p+"W", tensor.ParamBuffer, false, g.KH, g.KW, g.C, g.F),
		DX: c.buf(p+"DX", tensor.GradientBuffer, true, g.H, g.W, g.C)}, fixed(SumTol(g.KH*g.KW*g.F)))
}

func convFilter(c *opCase, g tensor.ConvGeom, p string) {
	c.emit(convDesc(p), tensor.Conv2DBackwardFilter{Geom: g,
		X:  c.buf(p+"X", tensor.ActivationBuffer, true, g.H, g.W, g.C),
		DY: c.buf(p+"DY", tensor.GradientBuffer, true, g.OH, g.OW, g.F),
		DW: c.buf(p+"DW", tensor.GradientBuffer, false, g.KH, g.KW, g.C, g.F)},
		func(rows int) Tol { return SumTol(rows * g.OH * g.OW) })
}

// convCases puts one op per geometry into one plan.
func convCases(add convOp) func(r *rand.Rand) []*opCase {
	return func(r *rand.Rand) []*opCase {
		batch, rows := batchRows(r)
		c := newCase(batch, rows...)
		gs := convGeoms(r, true)
		for i, g := range gs {
			add(c, g, fmt.Sprintf("conv%d %s ", i, geomName(g)))
		}
		c.name = fmt.Sprintf("%d geometries: kernels 1-5, valid and same, strides 1-3, %s", len(gs), batchName(batch, rows))
		return []*opCase{c}
	}
}
