package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// separableLayer is Keras's SeparableConv2D over NHWC images: a depthwise
// convolution (depthwise_kernel [kh, kw, in, depth_multiplier]) into an
// intermediate image of in·depth_multiplier channels, then a 1×1
// convolution (pointwise_kernel [1, 1, in·depth_multiplier, filters]) and
// the bias. The 1×1 convolution is a plain Conv2D op, which both backends
// run as a GEMM over the intermediate image.
type separableLayer struct {
	*layerBase
	filters                    int
	dw                         tensor.DepthwiseGeom
	pw                         tensor.ConvGeom
	depthwise, pointwise, bias *Variable
}

// SeparableConv2D creates a depthwise separable 2-D convolution with
// filters outputs and a square kernelSize window. Options:
// WithDepthMultiplier, WithStrides, WithPadding, WithKernelSize
// (non-square windows), WithDilationRate, WithActivation, WithUseBias,
// WithDepthwiseInitializer, WithPointwiseInitializer, WithBiasInitializer.
func SeparableConv2D(filters, kernelSize int, opts ...Option) Layer {
	l := &separableLayer{filters: filters}
	l.layerBase = newBase("SeparableConv2D", []string{"strides", "padding", "kernel_size", "depth_multiplier",
		"dilation_rate", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer",
		"bias_initializer"}, opts, l)
	l.err = firstNonNil(l.err, l.cfg.windowFrom(kernelSize))
	if l.err == nil && filters <= 0 {
		l.err = fmt.Errorf("filters %d must be positive", filters)
	}
	return l
}

func (l *separableLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, false)
	if err != nil {
		return nil, err
	}
	if l.dw, err = l.cfg.depthwiseGeom(x); err != nil {
		return nil, err
	}
	mid := l.dw.OutChannels()
	if l.pw, err = tensor.NewConvGeom(l.dw.OH, l.dw.OW, mid, 1, 1, 1, 1, l.filters, tensor.Valid); err != nil {
		return nil, err
	}
	l.depthwise = l.addDepthwiseKernel(l.dw)
	pinit, _ := initializerByName(orDefault(l.cfg.conv.pointwiseInit, "glorot_uniform"))
	l.pointwise = l.addVar("pointwise_kernel", tensor.Shape{1, 1, mid, l.filters}, true, pinit)
	l.bias = l.addBiasUnlessOff(l.filters)
	return tensor.Shape{l.dw.OH, l.dw.OW, l.filters}, nil
}

// midShape is the intermediate image's shape: the depthwise output.
func (l *separableLayer) midShape() tensor.Shape {
	return tensor.Shape{l.dw.OH, l.dw.OW, l.dw.OutChannels()}
}

func (l *separableLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	mid := e.act("mid", l.midShape())
	e.emit(tensor.DepthwiseConv2D{X: in[0], W: e.param(l.depthwise), Y: mid, Geom: l.dw})
	y := e.act("y", l.outShape)
	e.emit(tensor.Conv2D{X: mid, W: e.param(l.pointwise), Y: y, Geom: l.pw})
	if l.bias != nil {
		e.emit(tensor.BiasAdd{X: y, Bias: e.param(l.bias), Y: y, Outer: l.pw.OH * l.pw.OW, C: l.filters})
	}
	return y
}

func (l *separableLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	mid := e.act("mid", l.midShape())
	e.emit(tensor.Conv2DBackwardFilter{X: mid, DY: dOut, DW: e.varGrad(l.pointwise), Geom: l.pw})
	if l.bias != nil {
		e.emit(tensor.BiasGrad{DY: dOut, DBias: e.varGrad(l.bias), Outer: l.pw.OH * l.pw.OW, C: l.filters})
	}
	dMid := e.grad("dmid", l.midShape())
	e.emit(tensor.Conv2DBackwardData{DY: dOut, W: e.param(l.pointwise), DX: dMid, Geom: l.pw})
	e.emit(tensor.DepthwiseConv2DBackwardFilter{X: in[0], DY: dMid, DW: e.varGrad(l.depthwise), Geom: l.dw})
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.DepthwiseConv2DBackwardData{DY: dMid, W: e.param(l.depthwise), DX: dx[0], Geom: l.dw})
	}
	return dx
}

// getConfig writes SeparableConv2D's Keras config in tf.keras 2.x's order:
// Conv2D's keys (its kernel keys as the Conv base writes them, though the
// layer has no such kernel), then the separable ones.
func (l *separableLayer) getConfig() object {
	useBias := l.cfg.useBias == nil || *l.cfg.useBias
	o := object{{"filters", l.filters}, {"kernel_size", pairConfig(l.cfg.kernelSize)},
		{"strides", pairConfig(l.cfg.strides)}, {"padding", string(l.cfg.padding)},
		{"data_format", "channels_last"}, {"dilation_rate", pairConfig(l.cfg.conv.dilationRate())}, {"groups", 1},
		{"activation", l.act.String()}, {"use_bias", useBias},
		{"kernel_initializer", initializerConfig("glorot_uniform")},
		{"bias_initializer", initializerConfig(orDefault(l.cfg.biasInitializer, "zeros"))}}
	o = append(o, offConfig("kernel_regularizer", "bias_regularizer", "activity_regularizer",
		"kernel_constraint", "bias_constraint")...)
	o = append(o, field{"depth_multiplier", l.cfg.conv.multiplier()},
		field{"depthwise_initializer", initializerConfig(orDefault(l.cfg.conv.depthwiseInit, "glorot_uniform"))},
		field{"pointwise_initializer", initializerConfig(orDefault(l.cfg.conv.pointwiseInit, "glorot_uniform"))})
	return append(o, offConfig("depthwise_regularizer", "pointwise_regularizer",
		"depthwise_constraint", "pointwise_constraint")...)
}

// separableFromConfig builds a SeparableConv2D from its Keras config.
func separableFromConfig(c *layerCfg) Layer {
	filters := c.Int("filters", 0)
	c.window()
	c.Take("kernel_initializer") // written by Keras's Conv base; the layer has no such kernel
	c.add(WithDepthMultiplier(c.Int("depth_multiplier", 1)),
		WithDepthwiseInitializer(c.initializer("depthwise_initializer", "glorot_uniform")),
		WithPointwiseInitializer(c.initializer("pointwise_initializer", "glorot_uniform")))
	c.biasOnly()
	return SeparableConv2D(filters, 0, c.opts...)
}
