package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// augmentLayer is one of Keras's random image layers (RandomFlip,
// RandomTranslation, RandomZoom, RandomCrop, RandomContrast). It acts only
// while training, inside the recorded step: each image's parameters come
// from the counter-based generator keyed by (Fit seed, step, the node's
// salt, the image's global index), so runs, resumed runs and
// data-parallel splits draw the same augmentation. Outside training it is
// the identity (RandomCrop: a centred crop and resize, as Keras).
//
// Flips, crops and contrast have gradients; translations and zooms (and
// RandomCrop's resize) do not, so Compile refuses one that trainable
// layers feed (put augmentation at the input).
type augmentLayer struct {
	*layerBase
	kind          tensor.AugmentKind // AugmentFixed stands for RandomContrast
	mode          string             // RandomFlip
	height, width Factor             // RandomTranslation, RandomZoom, RandomContrast (height)
	cropH, cropW  int                // RandomCrop
	h, w, c       int
}

func newAugment(class string, allowed []string, opts []Option, l *augmentLayer) *augmentLayer {
	l.layerBase = newBase(class, allowed, opts, l)
	return l
}

// RandomFlip flips each training image horizontally and/or vertically,
// each with probability ½. mode is "horizontal_and_vertical" (Keras's
// default), "horizontal" or "vertical".
func RandomFlip(mode string, opts ...Option) Layer {
	l := newAugment("RandomFlip", nil, opts, &augmentLayer{kind: tensor.AugmentFlip, mode: mode})
	if _, err := indexOf("mode", mode, []string{"horizontal_and_vertical", "horizontal", "vertical"}); err != nil && l.err == nil {
		l.err = err
	}
	return l
}

// RandomTranslation shifts each training image by a random fraction of
// its height (heightFactor) and width (widthFactor); positive moves down
// and right. Options: WithFillMode (default "reflect"), WithInterpolation
// (default "bilinear"), WithFillValue.
func RandomTranslation(heightFactor, widthFactor Factor, opts ...Option) Layer {
	l := newAugment("RandomTranslation", []string{"fill_mode", "interpolation", "fill_value"}, opts,
		&augmentLayer{kind: tensor.AugmentTranslate, height: heightFactor, width: widthFactor})
	l.checkFactors(heightFactor, widthFactor)
	return l
}

// RandomZoom zooms each training image by a random factor 1+f, f from
// heightFactor (positive zooms out); WithWidthFactor gives the width its
// own range, else the aspect is kept. Options as RandomTranslation.
func RandomZoom(heightFactor Factor, opts ...Option) Layer {
	l := newAugment("RandomZoom", []string{"fill_mode", "interpolation", "fill_value", "width_factor"}, opts,
		&augmentLayer{kind: tensor.AugmentZoom, height: heightFactor})
	l.width = l.cfg.aug.widthFactor
	l.checkFactors(heightFactor, l.width)
	return l
}

// RandomCrop cuts a random height×width window of each training image
// larger than that in both dimensions. Otherwise, and outside training,
// it cuts the largest centred window of that aspect ratio and resizes it
// bilinearly (half-pixel centres) to height×width, as Keras documents.
// Unlike Keras, which crops a whole batch at one offset, each image draws
// its own offset (so a data-parallel split augments as one process does).
func RandomCrop(height, width int, opts ...Option) Layer {
	l := newAugment("RandomCrop", nil, opts, &augmentLayer{kind: tensor.AugmentCrop, cropH: height, cropW: width})
	if l.err == nil && (height <= 0 || width <= 0) {
		l.err = fmt.Errorf("height %d and width %d must be positive", height, width)
	}
	return l
}

// RandomContrast multiplies each training image's deviation from its
// per-channel mean by a random factor in [1−lower, 1+upper] (factor: one
// number for lower = upper, or a pair) and clips to WithValueRange
// (default [0, 255]), as Keras's (x − mean)·factor + mean. A single
// number f gives [1−f, 1+f] as Keras documents (Keras 3's code reads it
// as the pair (0, f), i.e. [1, 1+f], and saves that pair, which Anvil
// reads back as Keras runs it).
func RandomContrast(factor Factor, opts ...Option) Layer {
	l := newAugment("RandomContrast", []string{"value_range"}, opts,
		&augmentLayer{kind: tensor.AugmentFixed, height: factor})
	if !l.cfg.set["value_range"] {
		l.cfg.aug.valueRange = [2]float32{0, 255}
	}
	// contrastRange's check is the whole check: with the lower bound in
	// [0, 1] and the upper at least the lower, the range lies above 0.
	if _, _, err := l.contrastRange(); err != nil && l.err == nil {
		l.err = err
	}
	return l
}

// checkFactors validates a translation or zoom range: within [−1, 1], and
// a zoom factor 1+f above 0.
func (l *augmentLayer) checkFactors(fs ...Factor) {
	for i, f := range fs {
		if f == nil && i > 0 && l.kind == tensor.AugmentZoom {
			continue
		}
		lo, hi, err := f.bounds(true)
		if err == nil && (lo < -1 || hi > 1 || (l.kind == tensor.AugmentZoom && lo <= -1)) {
			err = fmt.Errorf("factor %v must lie in [-1, 1] (a zoom's lower bound above -1)", []float32(f))
		}
		if err != nil && l.err == nil {
			l.err = err
		}
	}
}

// contrastRange is RandomContrast's factor range [1−lower, 1+upper].
func (l *augmentLayer) contrastRange() (lo, hi float32, err error) {
	lower, upper, err := l.height.bounds(false)
	if err == nil && (lower < 0 || lower > 1) {
		err = fmt.Errorf("factor %v: the lower bound must lie in [0, 1]", []float32(l.height))
	}
	return 1 - lower, 1 + upper, err
}

func (l *augmentLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, false)
	if err != nil {
		return nil, err
	}
	l.h, l.w, l.c = x[0], x[1], x[2]
	if l.kind == tensor.AugmentCrop {
		return tensor.Shape{l.cropH, l.cropW, l.c}, nil
	}
	return x.Clone(), nil
}

func (l *augmentLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	if l.class == "RandomContrast" {
		if !e.training {
			return in[0]
		}
		lo, hi, _ := l.contrastRange()
		y := e.act("y", l.outShape)
		r := l.cfg.aug.valueRange
		e.emit(tensor.RandomContrast2D{X: in[0], Y: y, Pixels: l.h * l.w, C: l.c, Lo: lo, Hi: hi,
			Min: r[0], Max: r[1], Salt: e.nodeSalt})
		return y
	}
	kind := l.kind
	if !e.training || (kind == tensor.AugmentCrop && !(l.h > l.cropH && l.w > l.cropW)) {
		if kind != tensor.AugmentCrop {
			return in[0]
		}
		kind = tensor.AugmentFixed
	}
	y := e.act("y", l.outShape)
	e.emit(l.transform(kind, in[0], y, e.nodeSalt))
	return y
}

// transform is the layer's Transform2D op.
func (l *augmentLayer) transform(kind tensor.AugmentKind, x, y tensor.BufferID, salt uint32) tensor.Transform2D {
	a := l.cfg.aug
	o := tensor.Transform2D{X: x, Y: y, H: l.h, W: l.w, C: l.c, OH: l.outShape[0], OW: l.outShape[1], Kind: kind,
		Interp: a.interp, Fill: a.fill, FillValue: a.fillValue, Salt: salt}
	switch kind {
	case tensor.AugmentFlip:
		if l.mode != "vertical" {
			o.WidthHi = 1
		}
		if l.mode != "horizontal" {
			o.HeightHi = 1
		}
	case tensor.AugmentTranslate, tensor.AugmentZoom:
		o.HeightLo, o.HeightHi, _ = l.height.bounds(true)
		if l.width == nil {
			o.SameZoom = true
		} else {
			o.WidthLo, o.WidthHi, _ = l.width.bounds(true)
		}
	}
	return o
}

func (l *augmentLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if !need[0] {
		return []tensor.BufferID{tensor.NoBuffer}
	}
	// Compile lets only the layers hasGradient accepts get here.
	dx := e.grad("dx", l.inShapes[0])
	if l.class == "RandomContrast" {
		lo, hi, _ := l.contrastRange()
		r := l.cfg.aug.valueRange
		e.emit(tensor.RandomContrast2DBackward{X: in[0], DY: dOut, DX: dx, Pixels: l.h * l.w, C: l.c, Lo: lo, Hi: hi,
			Min: r[0], Max: r[1], Salt: e.nodeSalt})
	} else {
		e.emit(tensor.Transform2DBackward{DY: dOut, DX: dx, Op: l.transform(l.kind, in[0], out, e.nodeSalt)})
	}
	return []tensor.BufferID{dx}
}

// hasGradient reports whether the layer has a backward in training:
// flips, crops of larger images and contrast do; translations, zooms and
// the resize of RandomCrop (images not larger than the crop) do not.
func (l *augmentLayer) hasGradient() bool {
	switch l.kind {
	case tensor.AugmentTranslate, tensor.AugmentZoom:
		return false
	case tensor.AugmentCrop:
		return l.h > l.cropH && l.w > l.cropW
	}
	return true
}

// checkAugmentation refuses a random layer without a gradient
// (RandomTranslation, RandomZoom, RandomCrop resizing) that trainable
// layers feed.
func (m *Model) checkAugmentation() error {
	needs := m.needsGrad()
	for _, n := range m.nodes {
		l, ok := n.layer.impl.(*augmentLayer)
		if !ok || l.hasGradient() {
			continue
		}
		for _, in := range n.inputs {
			if needs[in.node] {
				return fmt.Errorf("layer %q (%s) follows trainable layers, and Anvil computes no gradient through a random translation, zoom or resize: put it at the model's input, before any layer with weights",
					n.layer.name, n.layer.class)
			}
		}
	}
	return nil
}
