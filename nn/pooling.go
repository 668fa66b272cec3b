package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// poolLayer is MaxPooling2D, AveragePooling2D or GlobalAveragePooling2D.
type poolLayer struct {
	*layerBase
	kind   tensor.PoolKind
	global bool
	geom   tensor.ConvGeom
}

// MaxPooling2D takes the maximum of each window. Options: WithPoolSize
// (default 2), WithStrides (default the pool size), WithPadding.
func MaxPooling2D(opts ...Option) Layer { return newPool("MaxPooling2D", tensor.MaxPool, false, opts) }

// AveragePooling2D averages each window, ignoring padding. Options as
// MaxPooling2D.
func AveragePooling2D(opts ...Option) Layer {
	return newPool("AveragePooling2D", tensor.AvgPool, false, opts)
}

// GlobalAveragePooling2D averages each channel over the whole image,
// giving (None, channels).
func GlobalAveragePooling2D(opts ...Option) Layer {
	return newPool("GlobalAveragePooling2D", tensor.AvgPool, true, opts)
}

func newPool(class string, kind tensor.PoolKind, global bool, opts []Option) Layer {
	allowed := []string{"pool_size", "strides", "padding"}
	if global {
		allowed = nil
	}
	l := &poolLayer{kind: kind, global: global}
	l.layerBase = newBase(class, allowed, opts, l)
	if !l.cfg.set["pool_size"] {
		l.cfg.poolSize = [2]int{2, 2}
	}
	if !l.cfg.set["strides"] {
		l.cfg.strides = l.cfg.poolSize
	}
	return l
}

func (l *poolLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	if len(x) != 3 {
		return nil, fmt.Errorf("expects (height, width, channels) images, got %v", x.BatchString())
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
	return tensor.Shape{l.geom.OH, l.geom.OW, x[2]}, nil
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

// globalPoolFromConfig builds a GlobalAveragePooling2D from its Keras config.
func globalPoolFromConfig(c *layerCfg) Layer {
	c.channelsLast()
	c.Require("keepdims", "false")
	return GlobalAveragePooling2D(c.opts...)
}
