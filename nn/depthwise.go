package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// depthwiseLayer is Keras's DepthwiseConv2D over NHWC images: each input
// channel convolved with its own depth_multiplier filters, kernel
// depthwise_kernel [kh, kw, in, depth_multiplier], bias [in·depth_multiplier].
type depthwiseLayer struct {
	*layerBase
	geom         tensor.DepthwiseGeom
	kernel, bias *Variable
}

// DepthwiseConv2D creates a depthwise 2-D convolution with a square
// kernelSize window. Options: WithDepthMultiplier, WithStrides,
// WithPadding, WithKernelSize (non-square windows), WithDilationRate,
// WithActivation, WithUseBias, WithDepthwiseInitializer,
// WithBiasInitializer.
func DepthwiseConv2D(kernelSize int, opts ...Option) Layer {
	l := &depthwiseLayer{}
	l.layerBase = newBase("DepthwiseConv2D", []string{"strides", "padding", "kernel_size", "depth_multiplier",
		"dilation_rate", "activation", "use_bias", "depthwise_initializer", "bias_initializer"}, opts, l)
	l.err = firstNonNil(l.err, l.cfg.windowFrom(kernelSize))
	return l
}

// depthwiseGeom is the geometry of a depthwise convolution configured by c
// over the image x.
func (c *config) depthwiseGeom(x tensor.Shape) (tensor.DepthwiseGeom, error) {
	k, s, d := c.kernelSize, c.strides, c.conv.dilationRate()
	return tensor.NewDepthwiseGeom(x[0], x[1], x[2], k[0], k[1], s[0], s[1], d[0], d[1], c.conv.multiplier(), c.padding)
}

// addDepthwiseKernel creates the depthwise_kernel of geometry g. Keras's
// fans of a [kh, kw, in, dm] kernel: kh·kw·in in, kh·kw·dm out.
func (b *layerBase) addDepthwiseKernel(g tensor.DepthwiseGeom) *Variable {
	init, _ := initializerByName(orDefault(b.cfg.conv.depthwiseInit, "glorot_uniform"))
	return b.addVar("depthwise_kernel", tensor.Shape{g.KH, g.KW, g.C, g.DM}, true, init)
}

// addBiasUnlessOff creates a bias of n elements unless use_bias is off.
func (b *layerBase) addBiasUnlessOff(n int) *Variable {
	if b.cfg.useBias != nil && !*b.cfg.useBias {
		return nil
	}
	init, _ := initializerByName(orDefault(b.cfg.biasInitializer, "zeros"))
	return b.addVar("bias", tensor.Shape{n}, true, init)
}

func (l *depthwiseLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, false)
	if err != nil {
		return nil, err
	}
	if l.geom, err = l.cfg.depthwiseGeom(x); err != nil {
		return nil, err
	}
	l.kernel = l.addDepthwiseKernel(l.geom)
	l.bias = l.addBiasUnlessOff(l.geom.OutChannels())
	return tensor.Shape{l.geom.OH, l.geom.OW, l.geom.OutChannels()}, nil
}

func (l *depthwiseLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.DepthwiseConv2D{X: in[0], W: e.param(l.kernel), Y: y, Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasAdd{X: y, Bias: e.param(l.bias), Y: y, Outer: l.geom.OH * l.geom.OW, C: l.geom.OutChannels()})
	}
	return y
}

func (l *depthwiseLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	e.emit(tensor.DepthwiseConv2DBackwardFilter{X: in[0], DY: dOut, DW: e.varGrad(l.kernel), Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasGrad{DY: dOut, DBias: e.varGrad(l.bias), Outer: l.geom.OH * l.geom.OW, C: l.geom.OutChannels()})
	}
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.DepthwiseConv2DBackwardData{DY: dOut, W: e.param(l.kernel), DX: dx[0], Geom: l.geom})
	}
	return dx
}

// getConfig writes DepthwiseConv2D's Keras config in tf.keras 2.x's order:
// Conv2D's keys without filters and the kernel's, then the depthwise ones.
func (l *depthwiseLayer) getConfig() object {
	useBias := l.cfg.useBias == nil || *l.cfg.useBias
	o := object{{"kernel_size", pairConfig(l.cfg.kernelSize)}, {"strides", pairConfig(l.cfg.strides)},
		{"padding", string(l.cfg.padding)}, {"data_format", "channels_last"},
		{"dilation_rate", pairConfig(l.cfg.conv.dilationRate())}, {"groups", 1},
		{"activation", l.act.String()}, {"use_bias", useBias},
		{"bias_initializer", initializerConfig(orDefault(l.cfg.biasInitializer, "zeros"))}}
	o = append(o, offConfig("bias_regularizer", "activity_regularizer", "bias_constraint")...)
	o = append(o, field{"depth_multiplier", l.cfg.conv.multiplier()},
		field{"depthwise_initializer", initializerConfig(orDefault(l.cfg.conv.depthwiseInit, "glorot_uniform"))})
	return append(o, offConfig("depthwise_regularizer", "depthwise_constraint")...)
}

// depthwiseFromConfig builds a DepthwiseConv2D from its Keras config.
func depthwiseFromConfig(c *layerCfg) Layer {
	c.window()
	c.add(WithDepthMultiplier(c.Int("depth_multiplier", 1)),
		WithDepthwiseInitializer(c.initializer("depthwise_initializer", "glorot_uniform")))
	c.biasOnly()
	return DepthwiseConv2D(0, c.opts...)
}

// window reads what every convolution's config shares: the window,
// strides, padding, data format, dilation and groups.
func (c *layerCfg) window() {
	k := c.Pair("kernel_size", [2]int{0, 0})
	s := c.Pair("strides", [2]int{1, 1})
	d := c.Pair("dilation_rate", [2]int{1, 1})
	c.add(WithKernelSize(k[0], k[1]), WithStrides(s[0], s[1]), WithPadding(c.String("padding", "valid")),
		WithDilationRate(d[0], d[1]))
	c.channelsLast()
	c.Require("groups", "1")
}

// biasOnly reads the activation and the bias of a layer whose kernels have
// their own initializer keys.
func (c *layerCfg) biasOnly() {
	c.activation("activation")
	if !c.Bool("use_bias", true) {
		c.add(WithUseBias(false))
	}
	c.add(WithBiasInitializer(c.initializer("bias_initializer", "zeros")))
}

// depthwiseParams is the number of weights a depthwise kernel of window k
// and multiplier dm over in channels has, with its bias.
func depthwiseParams(k [2]int, in, dm int, bias bool) float64 {
	n := float64(k[0]) * float64(k[1]) * float64(in) * float64(dm)
	if bias {
		n += float64(in) * float64(dm)
	}
	return n
}
