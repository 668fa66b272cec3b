package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// augmentFamilies: the random image transforms and contrast with their
// gradients, Rescale, and Normalize with its gradient.
func augmentFamilies() []family {
	return []family{{name: "augment", build: augmentCases}}
}

// AugmentTol is the tolerance of Transform2D and RandomContrast2D on
// inputs in [-1, 1). Both backends derive the source points with the same
// float32 products and sums, each correctly rounded (`precise` in the
// shaders forbids fused multiply-adds), so the points and the nearest
// reads (and the backward's gathers) match exactly. What may differ: the
// channel mean of the contrast (and the gradient's s/pixels),
// a serial float32 sum divided in a division Vulkan allows 2.5 ulp; the
// output carries it times (1 + f) ≤ 3; and a driver flushing a subnormal
// weight·value term. 16·ε absolute covers both with room. (A contrast
// value within an ulp of a clip bound could also flip the gradient's mask;
// random inputs land there with odds of order 1e-7 per value.)
var AugmentTol = Tol{Abs: 16 * Eps32}

// NormalizeTol: Vulkan's sqrt and division are within a few ulp, not
// correctly rounded; the result is relative to its own size.
var NormalizeTol = Tol{Rel: 16 * Eps32}

func augmentCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "augment"
	c.steps = 2
	kinds := []tensor.AugmentKind{tensor.AugmentFixed, tensor.AugmentFlip, tensor.AugmentTranslate,
		tensor.AugmentZoom, tensor.AugmentCrop}
	for i, kind := range kinds {
		h, w, ch := between(r, 1, 9), between(r, 1, 9), between(r, 1, 4)
		oh, ow := h, w
		if kind == tensor.AugmentCrop {
			oh, ow = between(r, 1, h), between(r, 1, w)
		}
		if kind == tensor.AugmentFixed {
			oh, ow = between(r, 1, 9), between(r, 1, 9)
		}
		o := tensor.Transform2D{H: h, W: w, C: ch, OH: oh, OW: ow, Kind: kind,
			HeightLo: -0.4, HeightHi: 0.3, WidthLo: -0.2, WidthHi: 0.5, SameZoom: r.IntN(2) == 0,
			Interp: tensor.Interpolation(r.IntN(2)), Fill: tensor.FillMode(r.IntN(5)), FillValue: 0.25,
			Salt: r.Uint32()}
		p := fmt.Sprintf("aug%d ", i)
		o.X = c.buf(p+"X", tensor.ActivationBuffer, true, h, w, ch)
		o.Y = c.buf(p+"Y", tensor.ActivationBuffer, true, oh, ow, ch)
		desc := fmt.Sprintf("kind %d %dx%dx%d to %dx%d interp %d fill %d", kind, h, w, ch, oh, ow, o.Interp, o.Fill)
		c.emit("Transform2D "+desc, o, fixed(AugmentTol))
		if kind == tensor.AugmentFlip || kind == tensor.AugmentCrop {
			c.emit("Transform2DBackward "+desc, tensor.Transform2DBackward{
				DY: c.buf(p+"DY", tensor.GradientBuffer, true, oh, ow, ch),
				DX: c.buf(p+"DX", tensor.GradientBuffer, true, h, w, ch), Op: o}, nil)
		}
	}
	px, ch := between(r, 1, 40), between(r, 1, 4)
	c.emit(fmt.Sprintf("RandomContrast2D %d pixels %d channels", px, ch), tensor.RandomContrast2D{
		X:      c.buf("contrast X", tensor.ActivationBuffer, true, px, ch),
		Y:      c.buf("contrast Y", tensor.ActivationBuffer, true, px, ch),
		Pixels: px, C: ch, Lo: 0.2, Hi: 1.8, Min: -0.5, Max: 0.75, Salt: r.Uint32()}, fixed(AugmentTol))
	cb := tensor.RandomContrast2DBackward{X: c.buf("contrast X2", tensor.ActivationBuffer, true, px, ch),
		DY:     c.buf("contrast DY", tensor.GradientBuffer, true, px, ch),
		DX:     c.buf("contrast DX", tensor.GradientBuffer, true, px, ch),
		Pixels: px, C: ch, Lo: 0.2, Hi: 1.8, Min: -0.5, Max: 0.75, Salt: r.Uint32()}
	c.emit(fmt.Sprintf("RandomContrast2DBackward %d pixels %d channels", px, ch), cb, fixed(AugmentTol))
	size := between(r, 1, 50)
	c.emit(fmt.Sprintf("Rescale %d", size), tensor.Rescale{X: c.buf("rescale X", tensor.ActivationBuffer, true, size),
		Y: c.buf("rescale Y", tensor.ActivationBuffer, true, size), Size: size, Scale: 1.0 / 255, Offset: -0.5}, nil)
	width, inner := between(r, 1, 5), between(r, 1, 3)
	size = width * inner * between(r, 1, 4)
	mean := c.buf("norm mean", tensor.StateBuffer, false, width)
	variance := c.buf("norm variance", tensor.StateBuffer, false, width)
	v := uniform(r, width, 1)
	for j := range v {
		v[j] = v[j] * v[j] * 4 // non-negative, some near 0
	}
	v[0] = 0 // the epsilon floor
	c.init[variance] = v
	desc := fmt.Sprintf("size %d width %d inner %d", size, width, inner)
	c.emit("Normalize "+desc, tensor.Normalize{X: c.buf("norm X", tensor.ActivationBuffer, true, size),
		Y: c.buf("norm Y", tensor.ActivationBuffer, true, size), Mean: mean, Variance: variance,
		Size: size, Width: width, Inner: inner}, fixed(NormalizeTol))
	c.emit("NormalizeBackward "+desc, tensor.NormalizeBackward{DY: c.buf("norm DY", tensor.GradientBuffer, true, size),
		DX: c.buf("norm DX", tensor.GradientBuffer, true, size), Variance: variance,
		Size: size, Width: width, Inner: inner}, fixed(NormalizeTol))
	return []*opCase{c}
}
