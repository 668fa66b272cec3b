package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// upSamplingLayer is Keras's UpSampling2D with nearest interpolation.
type upSamplingLayer struct {
	*layerBase
	h, w, c int
}

// UpSampling2D repeats each pixel of an image into a block of WithSize
// (default 2×2). Only Keras's interpolation "nearest" is supported.
func UpSampling2D(opts ...Option) Layer {
	l := &upSamplingLayer{}
	l.layerBase = newBase("UpSampling2D", []string{"size"}, opts, l)
	if !l.cfg.set["size"] {
		l.cfg.poolSize = [2]int{2, 2}
	}
	return l
}

func (l *upSamplingLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, false)
	if err != nil {
		return nil, err
	}
	l.h, l.w, l.c = x[0], x[1], x[2]
	s := l.cfg.poolSize
	return tensor.Shape{l.h * s[0], l.w * s[1], l.c}, nil
}

func (l *upSamplingLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	s := l.cfg.poolSize
	e.emit(tensor.UpSample2D{X: in[0], Y: y, H: l.h, W: l.w, C: l.c, SH: s[0], SW: s[1]})
	return y
}

func (l *upSamplingLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if !need[0] {
		return []tensor.BufferID{tensor.NoBuffer}
	}
	dx := e.grad("dx", l.inShapes[0])
	s := l.cfg.poolSize
	e.emit(tensor.UpSample2DBackward{DY: dOut, DX: dx, H: l.h, W: l.w, C: l.c, SH: s[0], SW: s[1]})
	return []tensor.BufferID{dx}
}

// getConfig writes UpSampling2D's Keras config.
func (l *upSamplingLayer) getConfig() object {
	return object{{"size", pairConfig(l.cfg.poolSize)}, {"data_format", "channels_last"}, {"interpolation", "nearest"}}
}

// upSamplingFromConfig builds an UpSampling2D from its Keras config.
func upSamplingFromConfig(c *layerCfg) Layer {
	s := c.Pair("size", [2]int{2, 2})
	c.add(WithSize(s[0], s[1]))
	c.channelsLast()
	c.Require("interpolation", `"nearest"`)
	return UpSampling2D(c.opts...)
}

// WithSize sets UpSampling2D's block: one number or (rows, columns).
func WithSize(hw ...int) Option {
	return opt("size", func(c *config) error {
		v, err := pair("size", hw)
		c.poolSize = v
		return err
	})
}
