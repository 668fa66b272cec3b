package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// poolLayer is a pooling layer: MaxPooling2D, AveragePooling2D, their 1-D
// forms, or a global pooling. A 1-D layer pools a (steps, channels)
// sequence as an image of height 1 (the same memory), and a global one
// pools with one window over the whole input, so every form runs through
// the Pool2D ops.
type poolLayer struct {
	*layerBase
	kind   tensor.PoolKind
	global bool
	oneD   bool
	geom   tensor.ConvGeom
}

// MaxPooling2D takes the maximum of each window. Options: WithPoolSize
// (default 2), WithStrides (default the pool size), WithPadding.
func MaxPooling2D(opts ...Option) Layer {
	return newPool("MaxPooling2D", tensor.MaxPool, false, false, opts)
}

// AveragePooling2D averages each window, ignoring padding. Options as
// MaxPooling2D.
func AveragePooling2D(opts ...Option) Layer {
	return newPool("AveragePooling2D", tensor.AvgPool, false, false, opts)
}

// MaxPooling1D takes the maximum of each window of a (steps, channels)
// sequence. Options: WithPoolSize (one number, default 2), WithStrides
// (default the pool size), WithPadding.
func MaxPooling1D(opts ...Option) Layer {
	return newPool("MaxPooling1D", tensor.MaxPool, false, true, opts)
}

// AveragePooling1D averages each window of a sequence, ignoring padding.
// Options as MaxPooling1D.
func AveragePooling1D(opts ...Option) Layer {
	return newPool("AveragePooling1D", tensor.AvgPool, false, true, opts)
}

// GlobalMaxPooling2D takes each channel's maximum over the whole image,
// giving (None, channels).
func GlobalMaxPooling2D(opts ...Option) Layer {
	return newPool("GlobalMaxPooling2D", tensor.MaxPool, true, false, opts)
}

// GlobalAveragePooling1D averages each channel over a whole sequence,
// giving (None, channels).
func GlobalAveragePooling1D(opts ...Option) Layer {
	return newPool("GlobalAveragePooling1D", tensor.AvgPool, true, true, opts)
}

// GlobalMaxPooling1D takes each channel's maximum over a whole sequence,
// giving (None, channels).
func GlobalMaxPooling1D(opts ...Option) Layer {
	return newPool("GlobalMaxPooling1D", tensor.MaxPool, true, true, opts)
}

// GlobalAveragePooling2D averages each channel over the whole image,
// giving (None, channels).
func GlobalAveragePooling2D(opts ...Option) Layer {
	return newPool("GlobalAveragePooling2D", tensor.AvgPool, true, false, opts)
}

func newPool(class string, kind tensor.PoolKind, global, oneD bool, opts []Option) Layer {
	allowed := []string{"pool_size", "strides", "padding"}
	if global {
		allowed = nil
	}
	l := &poolLayer{kind: kind, global: global, oneD: oneD}
	l.layerBase = newBase(class, allowed, opts, l)
	if !l.cfg.set["pool_size"] {
		l.cfg.poolSize = [2]int{2, 2}
	}
	if oneD {
		l.cfg.poolSize[0], l.cfg.strides[0] = 1, 1
	}
	if !l.cfg.set["strides"] {
		l.cfg.strides = l.cfg.poolSize
	}
	return l
}

func (l *poolLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, l.oneD)
	if err != nil {
		return nil, err
	}
	k, s, pad := l.cfg.poolSize, l.cfg.strides, l.cfg.padding
	if l.global {
		k, s, pad = [2]int{x[0], x[1]}, [2]int{1, 1}, tensor.Valid
	}
	l.geom, err = tensor.NewConvGeom(x[0], x[1], x[2], k[0], k[1], s[0], s[1], x[2], pad)
	if err != nil {
		return nil, err
	}
	if l.global {
		return tensor.Shape{x[2]}, nil
	}
	return outShape(l.oneD, l.geom.OH, l.geom.OW, x[2]), nil
}

func (l *poolLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.Pool2D{Kind: l.kind, X: in[0], Y: y, Geom: l.geom})
	return y
}

func (l *poolLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if !need[0] {
		return []tensor.BufferID{tensor.NoBuffer}
	}
	dx := e.grad("dx", l.inShapes[0])
	e.emit(tensor.Pool2DBackward{Kind: l.kind, X: in[0], DY: dOut, DX: dx, Geom: l.geom})
	return []tensor.BufferID{dx}
}

// getConfig writes the Keras config of a pooling layer.
func (l *poolLayer) getConfig() object {
	if l.global {
		return object{{"data_format", "channels_last"}, {"keepdims", false}}
	}
	if l.oneD {
		return object{{"pool_size", []int{l.cfg.poolSize[1]}}, {"padding", string(l.cfg.padding)},
			{"strides", []int{l.cfg.strides[1]}}, {"data_format", "channels_last"}}
	}
	return object{{"pool_size", pairConfig(l.cfg.poolSize)}, {"padding", string(l.cfg.padding)},
		{"strides", pairConfig(l.cfg.strides)}, {"data_format", "channels_last"}}
}

// poolFromConfig builds MaxPooling2D or AveragePooling2D (ctor) from its
// Keras config.
func poolFromConfig(c *layerCfg, ctor func(...Option) Layer) Layer {
	p := c.Pair("pool_size", [2]int{2, 2})
	c.add(WithPoolSize(p[0], p[1]), WithPadding(c.String("padding", "valid")))
	if _, ok := c.Vals["strides"]; ok && c.Vals["strides"] != nil {
		s := c.Pair("strides", p)
		c.add(WithStrides(s[0], s[1]))
	}
	c.channelsLast()
	return ctor(c.opts...)
}

// pool1DFromConfig builds MaxPooling1D or AveragePooling1D (ctor) from its
// Keras config.
func pool1DFromConfig(c *layerCfg, ctor func(...Option) Layer) Layer {
	p := c.single("pool_size", 2)
	c.add(WithPoolSize(1, p), WithPadding(c.String("padding", "valid")))
	if v, ok := c.Vals["strides"]; ok && v != nil {
		c.add(WithStrides(1, c.single("strides", p)))
	}
	c.channelsLast()
	return ctor(c.opts...)
}

// globalPoolFromConfig builds a global pooling layer (ctor) from its Keras
// config.
func globalPoolFromConfig(c *layerCfg, ctor func(...Option) Layer) Layer {
	c.channelsLast()
	c.Require("keepdims", "false")
	return ctor(c.opts...)
}
