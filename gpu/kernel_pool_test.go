package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// poolGeoms covers windows 1 to 5, strides 1 and 2 (overlapping windows
// and gaps between them), valid padding and same padding with even and odd
// totals, where the padded windows at the edges hold fewer real elements.
var poolGeoms = []struct {
	h, w, c, kh, kw, sh, sw int
	pad                     tensor.Padding
}{
	{6, 7, 3, 2, 2, 2, 2, tensor.Valid}, // the usual 2×2/2; the last column is dropped
	{7, 6, 2, 3, 3, 2, 2, tensor.Same},  // rows: total 2; columns: total 1 (odd)
	{5, 6, 2, 3, 3, 1, 1, tensor.Same},  // overlapping windows, total 2
	{6, 5, 3, 4, 4, 1, 2, tensor.Same},  // even window: total 3 (odd) rows
	{9, 8, 2, 5, 5, 2, 2, tensor.Same},  // wide window, stride 2
	{5, 5, 1, 1, 1, 2, 2, tensor.Valid}, // 1×1 stride 2: gradient gaps
}

func poolGeom(t *testing.T, i int) tensor.ConvGeom {
	c := poolGeoms[i]
	g, err := tensor.NewConvGeom(c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, 0, c.pad)
	must(t, err)
	return g
}

// poolTerms is the error model of a pooling case for opCase.check: max
// pooling only selects, so it must match exactly (0 terms); average
// pooling sums a window in cpuref's order and then multiplies by the
// reciprocal of the count, which Vulkan computes to within 2.5 ulp rather
// than correctly rounded, so it gets the bound of a sum of KH·KW terms.
func poolTerms(kind tensor.PoolKind, g tensor.ConvGeom) int {
	if kind == tensor.MaxPool {
		return 0
	}
	return g.KH * g.KW
}

func poolCase(kind tensor.PoolKind, g tensor.ConvGeom, batch, rows int) opCase {
	return newOpCase(batch, rows, poolTerms(kind, g), func(p *tensor.Plan) tensor.Op {
		return tensor.Pool2D{Kind: kind, Geom: g,
			X: p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C}),
			Y: p.AddBuffer("Y", tensor.ActivationBuffer, true, tensor.Shape{g.OH, g.OW, g.C})}
	})
}

// poolBackCase's gradient sums up to ⌈KH/SH⌉·⌈KW/SW⌉ window contributions
// per element in cpuref's order; average pooling scales each by the
// reciprocal of its count (within 2.5 ulp on Vulkan), so its bound is that
// of a sum of KH·KW terms. Max pooling adds the same DY values in the same
// order and must match exactly. Average pooling does not read X.
func poolBackCase(kind tensor.PoolKind, g tensor.ConvGeom, batch, rows int) opCase {
	return newOpCase(batch, rows, poolTerms(kind, g), func(p *tensor.Plan) tensor.Op {
		o := tensor.Pool2DBackward{Kind: kind, Geom: g, X: tensor.NoBuffer,
			DY: p.AddBuffer("DY", tensor.GradientBuffer, true, tensor.Shape{g.OH, g.OW, g.C}),
			DX: p.AddBuffer("DX", tensor.GradientBuffer, true, tensor.Shape{g.H, g.W, g.C})}
		if kind == tensor.MaxPool {
			o.X = p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C})
		}
		return o
	})
}

// TestPoolKernels runs both pooling kernels, max and average, on every
// geometry at batch 1 and at an odd batch with fewer valid rows.
func TestPoolKernels(t *testing.T) {
	b := openBackend(t)
	kinds := map[tensor.PoolKind]string{tensor.MaxPool: "max", tensor.AvgPool: "avg"}
	for i := range poolGeoms {
		g := poolGeom(t, i)
		for kind, kname := range kinds {
			for _, br := range [][2]int{{1, 1}, {3, 2}} {
				name := fmt.Sprintf("%s/%dx%dx%d/k%dx%d/s%dx%d/p%d,%d/batch%d/rows%d", kname,
					g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PadTop, g.PadLeft, br[0], br[1])
				t.Run("fwd/"+name, func(t *testing.T) { poolCase(kind, g, br[0], br[1]).check(t, b) })
				t.Run("back/"+name, func(t *testing.T) { poolBackCase(kind, g, br[0], br[1]).check(t, b) })
			}
		}
	}
}

// TestMaxPoolTies checks that ties go to the first maximum of a window in
// both directions: with every input equal, each window's gradient lands
// on its top-left real element only.
func TestMaxPoolTies(t *testing.T) {
	b := openBackend(t)
	g := poolGeom(t, 2) // overlapping 3×3 windows
	c := poolBackCase(tensor.MaxPool, g, 2, 2)
	in := c.inputs(5)
	for id := range in {
		if c.plan.Buffers[id].Name == "X" {
			in[id] = filledWith(len(in[id]), 0.5)
		}
	}
	got := c.runGPU(t, b, in)
	want := c.runCPU(t, in)
	for id, w := range want {
		for i := range w {
			if got[id][i] != w[i] {
				t.Fatalf("%s[%d]: got %v, want %v", c.plan.Buffers[id].Name, i, got[id][i], w[i])
			}
		}
	}
}
