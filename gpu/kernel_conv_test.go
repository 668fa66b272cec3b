package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
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

// The three convolution ops of geometry g as plan parts, for rows valid
// rows, with the length of their sums.
func convFwdPart(g tensor.ConvGeom, rows int) opPart {
	return func(p *tensor.Plan) (tensor.Op, int) {
		return tensor.Conv2D{Geom: g,
			X: p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C}),
			W: p.AddBuffer("W", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F}),
			Y: p.AddBuffer("Y", tensor.ActivationBuffer, true, tensor.Shape{g.OH, g.OW, g.F})}, g.KH * g.KW * g.C
	}
}

func convDataPart(g tensor.ConvGeom, rows int) opPart {
	return func(p *tensor.Plan) (tensor.Op, int) {
		return tensor.Conv2DBackwardData{Geom: g,
			DY: p.AddBuffer("DY", tensor.GradientBuffer, true, tensor.Shape{g.OH, g.OW, g.F}),
			W:  p.AddBuffer("W", tensor.ParamBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F}),
			DX: p.AddBuffer("DX", tensor.GradientBuffer, true, tensor.Shape{g.H, g.W, g.C})}, g.KH * g.KW * g.F
	}
}

func convFilterPart(g tensor.ConvGeom, rows int) opPart {
	return func(p *tensor.Plan) (tensor.Op, int) {
		return tensor.Conv2DBackwardFilter{Geom: g,
			X:  p.AddBuffer("X", tensor.ActivationBuffer, true, tensor.Shape{g.H, g.W, g.C}),
			DY: p.AddBuffer("DY", tensor.GradientBuffer, true, tensor.Shape{g.OH, g.OW, g.F}),
			DW: p.AddBuffer("DW", tensor.GradientBuffer, false, tensor.Shape{g.KH, g.KW, g.C, g.F})}, rows * g.OH * g.OW
	}
}

var convCases = []struct {
	name string
	part func(g tensor.ConvGeom, rows int) opPart
}{{"fwd", convFwdPart}, {"data", convDataPart}, {"filter", convFilterPart}}

func convCase(part func(g tensor.ConvGeom, rows int) opPart, g tensor.ConvGeom, batch, rows int) opCase {
	return newMultiCase(batch, rows, part(g, rows))
}

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
					convCase(cc.part, g, br[0], br[1]).check(t, b)
				})
			}
		}
	}
}

// TestConvKernelTiles runs the three kernels, in one plan, with every
// other tile a device may pick (TestConvKernels covers the default one) on
// one geometry: stride 2, odd padding, channels and filters past a tile
// edge, an output of several tiles and a short batch.
func TestConvKernelTiles(t *testing.T) {
	b := openBackend(t)
	g, err := tensor.NewConvGeom(8, 7, 17, 3, 3, 2, 2, 33, tensor.Same)
	must(t, err)
	const batch, rows = 5, 4
	for _, tl := range allTiles {
		if isDefaultTile(b, tl.tile) {
			continue
		}
		t.Run(fmt.Sprintf("%s/%s", tl.name, geomName(g)), func(t *testing.T) {
			skipUnlessFits(t, b, tl.tile)
			var parts []opPart
			for _, cc := range convCases {
				parts = append(parts, cc.part(g, rows))
			}
			withTile(tl.tile, 0, func() { newMultiCase(batch, rows, parts...).check(t, b) })
		})
	}
}

// TestConvFilterSplitK sums the filter gradient in slices, some of them
// empty when the batch is short, on the default tile and the shared-memory
// one.
func TestConvFilterSplitK(t *testing.T) {
	b := openBackend(t)
	g := makeGeom(t, 3)
	def, err := chooseTile(b.Info(), 256, 256)
	must(t, err)
	for _, tile := range []gemmTile{def, tileGPU} {
		for _, rows := range []int{1, 5} {
			t.Run(fmt.Sprintf("%+v/rows%d", tile, rows), func(t *testing.T) {
				withTile(tile, 6, func() { convCase(convFilterPart, g, 5, rows).check(t, b) })
			})
		}
	}
}

// BenchmarkConvGPU times the three kernels of one layer of the reference
// CNN (DESIGN.md): Conv2D(32, 3×3, strides 2, same) on 32×32×32 inputs at
// batch 32, on the device the environment selects, reporting GPU time and
// GFLOP/s (2·multiply-adds of the direct convolution).
func BenchmarkConvGPU(b *testing.B) {
	be, err := NewBackend(vk.Options{})
	if err != nil {
		b.Skip(err)
	}
	defer be.Close()
	g, err := tensor.NewConvGeom(32, 32, 32, 3, 3, 2, 2, 32, tensor.Same)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 32
	flops := 2 * float64(batch*g.OH*g.OW*g.F*g.KH*g.KW*g.C)
	for _, cc := range convCases {
		b.Run(cc.name, func(b *testing.B) { benchGPU(b, be, convCase(cc.part, g, batch, batch), flops) })
	}
}

// TestConvKernelAligned runs the three kernels on a geometry whose GEMMs
// are whole tiles of the smallest warp tile (M = 256 positions per sample,
// N = 32 filters or channels, K = 288 taps or positions), so that its
// aligned path, without bounds checks, runs for each of them. (Every warp
// tile this geometry aligns runs; TestConvKernelTiles covers the rest
// unaligned.)
func TestConvKernelAligned(t *testing.T) {
	b := openBackend(t)
	g, err := tensor.NewConvGeom(16, 16, 32, 3, 3, 1, 1, 32, tensor.Same)
	must(t, err)
	if al := tileWarp32.alignFor(g.OH*g.OW, g.F, g.KH*g.KW*g.C, false); !al.aligned {
		t.Fatalf("%s is not aligned for %s", tileWarp32.name(), geomName(g))
	}
	for _, tl := range allTiles {
		if !tl.tile.alignFor(g.OH*g.OW, g.F, g.KH*g.KW*g.C, false).aligned {
			continue
		}
		t.Run(tl.name, func(t *testing.T) {
			skipUnlessFits(t, b, tl.tile)
			var parts []opPart
			for _, cc := range convCases {
				parts = append(parts, cc.part(g, 1))
			}
			withTile(tl.tile, 0, func() { newMultiCase(2, 1, parts...).check(t, b) })
		})
	}
}
