package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// depthwiseGeoms covers depth multipliers 1-3, strides 1-2, dilation,
// TensorFlow's same padding with odd totals, a window wider than the image,
// channel counts below, at and past a block of lanes of the filter
// gradient, and enough positions for it to sum in slices.
var depthwiseGeoms = []struct {
	h, w, c, kh, kw, sh, sw, dh, dw, dm int
	pad                                 tensor.Padding
}{
	{7, 6, 3, 3, 3, 1, 1, 1, 1, 1, tensor.Same},
	{8, 7, 5, 3, 3, 2, 2, 1, 1, 2, tensor.Same}, // odd totals: padding after
	{9, 8, 2, 3, 2, 1, 1, 2, 3, 3, tensor.Valid},
	{9, 9, 4, 3, 3, 1, 1, 2, 2, 1, tensor.Same},
	{2, 3, 3, 5, 5, 1, 2, 1, 1, 2, tensor.Same},
	{6, 6, 40, 3, 3, 2, 2, 1, 1, 1, tensor.Same},  // 40 channels: two blocks of 32 lanes
	{24, 24, 5, 3, 3, 1, 1, 1, 1, 1, tensor.Same}, // filter gradient in 3 slices at batch 5, some short at rows 3
}

// TestDepthwiseKernels runs the three depthwise kernels against cpuref
// with opCase.check's tolerance: selftest.SumTol of the longest sum, a
// multiple of Σ|x·w| from the absolute-value run. Forward and backward
// data sum the same kh·kw(·dm) float32 products in the same order as
// cpuref, so only a driver's fused multiply-adds can differ (half an ulp
// of each product); the filter gradient sums rows·oh·ow products in a
// strided share and a tree in float32, where cpuref adds in float64 and
// rounds once: that sum's float32 error is what SumTol bounds.
func TestDepthwiseKernels(t *testing.T) {
	b := openBackend(t)
	for _, d := range depthwiseGeoms {
		g, err := tensor.NewDepthwiseGeom(d.h, d.w, d.c, d.kh, d.kw, d.sh, d.sw, d.dh, d.dw, d.dm, d.pad)
		must(t, err)
		for _, br := range [][2]int{{1, 1}, {5, 3}} {
			name := fmt.Sprintf("%dx%dx%d/k%dx%d/s%dx%d/d%dx%d/m%d/%s/batch%d/rows%d",
				d.h, d.w, d.c, d.kh, d.kw, d.sh, d.sw, d.dh, d.dw, d.dm, d.pad, br[0], br[1])
			t.Run(name, func(t *testing.T) {
				newMultiCase(br[0], br[1], depthwiseParts(g, br[1])...).check(t, b)
			})
		}
	}
}

// depthwiseParts are the three ops of geometry g, each on buffers of its
// own, with the length of their sums.
func depthwiseParts(g tensor.DepthwiseGeom, rows int) []opPart {
	in, out, kernel := tensor.Shape{g.H, g.W, g.C}, tensor.Shape{g.OH, g.OW, g.C * g.DM}, tensor.Shape{g.KH, g.KW, g.C, g.DM}
	return []opPart{
		func(p *tensor.Plan) (tensor.Op, int) {
			return tensor.DepthwiseConv2D{Geom: g, X: p.AddBuffer("X", tensor.ActivationBuffer, true, in),
				W: p.AddBuffer("W", tensor.ParamBuffer, false, kernel),
				Y: p.AddBuffer("Y", tensor.ActivationBuffer, true, out)}, g.KH * g.KW
		},
		func(p *tensor.Plan) (tensor.Op, int) {
			return tensor.DepthwiseConv2DBackwardData{Geom: g, DY: p.AddBuffer("DY", tensor.GradientBuffer, true, out),
				W:  p.AddBuffer("W2", tensor.ParamBuffer, false, kernel),
				DX: p.AddBuffer("DX", tensor.GradientBuffer, true, in)}, g.KH * g.KW * g.DM
		},
		func(p *tensor.Plan) (tensor.Op, int) {
			return tensor.DepthwiseConv2DBackwardFilter{Geom: g, X: p.AddBuffer("X2", tensor.ActivationBuffer, true, in),
				DY: p.AddBuffer("DY2", tensor.GradientBuffer, true, out),
				DW: p.AddBuffer("DW", tensor.GradientBuffer, false, kernel)}, rows * g.OH * g.OW
		},
	}
}

// BenchmarkDepthwiseGPU times the three depthwise kernels of a
// MobileNet-like layer, DepthwiseConv2D(3×3, same) on 32×32×64 inputs at
// batch 32, on the device the environment selects, reporting GPU time and
// GFLOP/s (2·multiply-adds of the direct convolution).
func BenchmarkDepthwiseGPU(b *testing.B) {
	be, err := NewBackend(vk.Options{})
	if err != nil {
		b.Skip(err)
	}
	defer be.Close()
	g, err := tensor.NewDepthwiseGeom(32, 32, 64, 3, 3, 1, 1, 1, 1, 1, tensor.Same)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 32
	flops := 2 * float64(batch*g.OutSize()*g.KH*g.KW)
	for i, name := range []string{"fwd", "data", "filter"} {
		part := depthwiseParts(g, batch)[i]
		b.Run(name, func(b *testing.B) { benchGPU(b, be, newMultiCase(batch, batch, part), flops) })
	}
}
