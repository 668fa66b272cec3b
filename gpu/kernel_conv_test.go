package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// convGeoms covers kernel sizes 1, 3, 4 and 5, strides 1 and 2 (also
// unequal), valid padding and TensorFlow's same padding with even and odd
// totals (odd puts the extra row and column after the input), on inputs
// that are not square and channel counts that fit no tile.
var convGeoms = []struct {
	h, w, c, kh, kw, sh, sw, f int
	pad                        tensor.Padding
}{
	{5, 6, 3, 1, 1, 1, 1, 4, tensor.Valid},  // 1×1: the input is its own panel
	{6, 5, 2, 1, 1, 2, 2, 3, tensor.Same},   // 1×1 stride 2: phases without taps
	{7, 6, 3, 3, 3, 1, 1, 5, tensor.Same},   // total padding 2 (even)
	{8, 7, 3, 3, 3, 2, 2, 5, tensor.Same},   // rows: total 1 (odd); columns: 2 (even)
	{7, 9, 2, 4, 4, 1, 1, 3, tensor.Same},   // total 3 (odd), even kernel
	{9, 8, 2, 4, 4, 2, 2, 6, tensor.Same},   // stride 2, even kernel
	{9, 7, 3, 5, 5, 1, 2, 4, tensor.Same},   // total 4, unequal strides
	{9, 10, 2, 5, 3, 2, 1, 3, tensor.Valid}, // valid, unequal kernel and strides
	{6, 6, 17, 3, 3, 2, 2, 33, tensor.Same}, // channels and filters past a tile edge
}

func geomName(g tensor.ConvGeom) string {
	return fmt.Sprintf("%dx%dx%d/k%dx%d/s%dx%d/p%d,%d/f%d", g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PadTop, g.PadLeft, g.F)
}

func makeGeom(t *testing.T, i int) tensor.ConvGeom {
	c := convGeoms[i]
	g, err := tensor.NewConvGeom(c.h, c.w, c.c, c.kh, c.kw, c.sh, c.sw, c.f, c.pad)
	must(t, err)
	return g
}

func convFwdCase(g tensor.ConvGeom, batch, rows int) opCase {
	return newOpCase(batch, rows, g.KH*g.KW*g.C, func(p *tensor.Plan) tensor.Op {
		return tensor.Conv2D{Geom: g,
			X: p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C}),
			W: p.AddBuffer("W", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F}),
			Y: p.AddBuffer("Y", tensor.ActivationBuffer, true, tensor.Shape{g.OH, g.OW, g.F})}
	})
}

func convDataCase(g tensor.ConvGeom, batch, rows int) opCase {
	return newOpCase(batch, rows, g.KH*g.KW*g.F, func(p *tensor.Plan) tensor.Op {
		return tensor.Conv2DBackwardData{Geom: g,
			DY: p.AddBuffer("DY", tensor.GradientBuffer, true, tensor.Shape{g.OH, g.OW, g.F}),
			W:  p.AddBuffer("W", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F}),
			DX: p.AddBuffer("DX", tensor.GradientBuffer, true, tensor.Shape{g.H, g.W, g.C})}
	})
}

func convFilterCase(g tensor.ConvGeom, batch, rows int) opCase {
	return newOpCase(batch, rows, rows*g.OH*g.OW, func(p *tensor.Plan) tensor.Op {
		return tensor.Conv2DBackwardFilter{Geom: g,
			X:  p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C}),
			DY: p.AddBuffer("DY", tensor.GradientBuffer, true, tensor.Shape{g.OH, g.OW, g.F}),
			DW: p.AddBuffer("DW", tensor.GradientBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F})}
	})
}

var convCases = []struct {
	name string
	make func(g tensor.ConvGeom, batch, rows int) opCase
}{{"fwd", convFwdCase}, {"data", convDataCase}, {"filter", convFilterCase}}

// TestConvKernels runs the three convolution kernels on every geometry
// with the tile this device picks, at batch 1 and at an odd batch with
// fewer valid rows.
func TestConvKernels(t *testing.T) {
	b := openBackend(t)
	for i := range convGeoms {
		g := makeGeom(t, i)
		for _, cc := range convCases {
			for _, br := range [][2]int{{1, 1}, {3, 2}} {
				t.Run(fmt.Sprintf("%s/%s/batch%d/rows%d", cc.name, geomName(g), br[0], br[1]), func(t *testing.T) {
					cc.make(g, br[0], br[1]).check(t, b)
				})
			}
		}
	}
}

// TestConvKernelTiles runs the three kernels with every tile a device may
// pick, on geometries with stride 2 and odd padding.
func TestConvKernelTiles(t *testing.T) {
	b := openBackend(t)
	for _, tl := range allTiles {
		for _, i := range []int{3, 8} {
			g := makeGeom(t, i)
			for _, cc := range convCases {
				t.Run(fmt.Sprintf("%s/%s/%s", tl.name, cc.name, geomName(g)), func(t *testing.T) {
					skipUnlessFits(t, b, tl.tile)
					withTile(tl.tile, 0, func() { cc.make(g, 3, 3).check(t, b) })
				})
			}
		}
	}
}

// TestConvFilterSplitK sums the filter gradient in slices, some of them
// empty when the batch is short.
func TestConvFilterSplitK(t *testing.T) {
	b := openBackend(t)
	g := makeGeom(t, 3)
	for _, tl := range allTiles {
		for _, rows := range []int{1, 5} {
			t.Run(fmt.Sprintf("%s/rows%d", tl.name, rows), func(t *testing.T) {
				skipUnlessFits(t, b, tl.tile)
				withTile(tl.tile, 6, func() { convFilterCase(g, 5, rows).check(t, b) })
			})
		}
	}
}
