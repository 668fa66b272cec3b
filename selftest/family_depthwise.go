package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/tensor"
)

// depthwiseFamilies cover the depthwise convolution ops, forward and
// backward, and a whole model of the layers that use them
// (SeparableConv2D, DepthwiseConv2D) and of Conv2DTranspose, which runs on
// the Conv2D ops.
//
// Tolerances: forward and backward data sum kh·kw (times dm) float32
// products in the same order on both backends, so only a driver's fused
// multiply-adds differ: SumTol of that many terms. The filter gradient sums
// rows·oh·ow products, in float64 in cpuref and in float32 strided shares
// and a tree on the GPU: SumTol of rows·oh·ow terms.
func depthwiseFamilies() []family {
	small := models.Image{H: 8, W: 8, C: 3, Classes: 10}
	return []family{
		{name: "depthwise-conv2d", build: depthwiseCases},
		{name: "model-convs", model: &modelCase{name: "separable/depthwise/transposed CNN", build: convsModel,
			im: small, samples: 12, batch: 8, epochs: 10}},
	}
}

// depthwiseGeoms draws windows 1-4, strides 1-2 (dilation 1-2 at stride
// 1), multipliers 1-3 and both paddings.
func depthwiseGeoms(r *rand.Rand) []tensor.DepthwiseGeom {
	var gs []tensor.DepthwiseGeom
	for k := 1; k <= 4; k++ {
		for _, pad := range []tensor.Padding{tensor.Valid, tensor.Same} {
			s, d := between(r, 1, 2), 1
			if s == 1 {
				d = between(r, 1, 2)
			}
			eff := (k-1)*d + 1
			h, w := between(r, eff, eff+5), between(r, eff, eff+5)
			g, err := tensor.NewDepthwiseGeom(h, w, between(r, 1, 5), k, k, s, s, d, d, between(r, 1, 3), pad)
			if err != nil {
				panic(err) // h, w ≥ the dilated window: every draw is valid
			}
			gs = append(gs, g)
		}
	}
	return gs
}

func depthwiseName(g tensor.DepthwiseGeom) string {
	return fmt.Sprintf("%dx%dx%d k%dx%d s%d d%d p%d,%d m%d", g.H, g.W, g.C, g.KH, g.KW, g.SH, g.DH, g.PadTop, g.PadLeft, g.DM)
}

func depthwiseCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	gs := depthwiseGeoms(r)
	for i, g := range gs {
		p := fmt.Sprintf("dw%d ", i)
		desc := "depthwise " + depthwiseName(g)
		in, out, k := []int{g.H, g.W, g.C}, []int{g.OH, g.OW, g.C * g.DM}, []int{g.KH, g.KW, g.C, g.DM}
		c.emit(desc, tensor.DepthwiseConv2D{Geom: g, X: c.buf(p+"X", tensor.ActivationBuffer, true, in...),
			W: c.buf(p+"W", tensor.ParamBuffer, false, k...), Y: c.buf(p+"Y", tensor.ActivationBuffer, true, out...)},
			fixed(SumTol(g.KH*g.KW)))
		c.emit(desc+" data", tensor.DepthwiseConv2DBackwardData{Geom: g,
			DY: c.buf(p+"DY", tensor.GradientBuffer, true, out...), W: c.buf(p+"W2", tensor.ParamBuffer, false, k...),
			DX: c.buf(p+"DX", tensor.GradientBuffer, true, in...)}, fixed(SumTol(g.KH*g.KW*g.DM)))
		c.emit(desc+" filter", tensor.DepthwiseConv2DBackwardFilter{Geom: g,
			X: c.buf(p+"X2", tensor.ActivationBuffer, true, in...), DY: c.buf(p+"DY2", tensor.GradientBuffer, true, out...),
			DW: c.buf(p+"DW", tensor.GradientBuffer, false, k...)},
			func(rows int) Tol { return SumTol(rows * g.OH * g.OW) })
	}
	c.name = fmt.Sprintf("%d geometries: windows 1-4, strides 1-2, dilation 1-2, multipliers 1-3, %s",
		len(gs), batchName(batch, rows))
	return []*opCase{c}
}

// convsModel is a small classifier made of the three layers: separable
// (multiplier 2), depthwise (stride 2), transposed (stride 2), each "same".
func convsModel(im models.Image) (*nn.Model, error) {
	return nn.NewSequential(
		nn.SeparableConv2D(8, 3, nn.WithPadding("same"), nn.WithDepthMultiplier(2), nn.WithActivation("relu"),
			nn.WithInputShape(im.H, im.W, im.C)),
		nn.DepthwiseConv2D(3, nn.WithStrides(2), nn.WithPadding("same"), nn.WithActivation("relu")),
		nn.Conv2DTranspose(4, 3, nn.WithStrides(2), nn.WithPadding("same"), nn.WithActivation("relu")),
		nn.Flatten(), nn.Dense(im.Classes, nn.WithActivation("softmax")))
}
