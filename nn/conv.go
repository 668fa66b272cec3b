package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// conv2DLayer is Keras's Conv2D over NHWC images, kernel [kh, kw, in,
// filters], or Conv1D over (steps, channels) sequences, kernel [k, in,
// filters]: a sequence is an image of height 1 in the same memory, so
// Conv1D runs through the 2-D ops with KH = SH = 1.
type conv2DLayer struct {
	*layerBase
	filters      int
	oneD         bool
	geom         tensor.ConvGeom
	kernel, bias *Variable
}

// Conv2D creates a 2-D convolution with filters outputs and a square
// kernelSize window. Options: WithStrides, WithPadding, WithKernelSize
// (non-square windows), WithActivation, WithUseBias,
// WithKernelInitializer, WithBiasInitializer, WithKernelRegularizer.
func Conv2D(filters, kernelSize int, opts ...Option) Layer {
	l := &conv2DLayer{filters: filters}
	l.layerBase = newBase("Conv2D", []string{"strides", "padding", "kernel_size", "activation", "use_bias",
		"kernel_initializer", "bias_initializer", "kernel_regularizer"}, opts, l)
	l.err = firstNonNil(l.err, l.cfg.windowFrom(kernelSize))
	if l.err == nil && filters <= 0 {
		l.err = fmt.Errorf("filters %d must be positive", filters)
	}
	return l
}

// Conv1D creates a 1-D convolution over (steps, channels) sequences with
// filters outputs and a window of kernelSize steps. Options: WithStrides
// (one number), WithPadding ("valid" or "same"; Keras's "causal" is not
// supported), WithActivation, WithUseBias, WithKernelInitializer,
// WithBiasInitializer, WithKernelRegularizer.
func Conv1D(filters, kernelSize int, opts ...Option) Layer {
	l := &conv2DLayer{filters: filters, oneD: true}
	l.layerBase = newBase("Conv1D", []string{"strides", "padding", "activation", "use_bias",
		"kernel_initializer", "bias_initializer", "kernel_regularizer"}, opts, l)
	l.cfg.kernelSize = [2]int{1, kernelSize}
	l.cfg.strides[0] = 1
	if l.err == nil && (filters <= 0 || kernelSize <= 0) {
		l.err = fmt.Errorf("filters %d and kernel size %d must be positive", filters, kernelSize)
	}
	return l
}

func (l *conv2DLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, l.oneD)
	if err != nil {
		return nil, err
	}
	k, s := l.cfg.kernelSize, l.cfg.strides
	l.geom, err = tensor.NewConvGeom(x[0], x[1], x[2], k[0], k[1], s[0], s[1], l.filters, l.cfg.padding)
	if err != nil {
		return nil, err
	}
	kinit, _ := initializerByName(orDefault(l.cfg.kernelInitializer, "glorot_uniform"))
	shape := tensor.Shape{k[0], k[1], x[2], l.filters}
	if l.oneD {
		shape = shape[1:]
	}
	l.kernel = l.addVar("kernel", shape, true, kinit)
	if l.cfg.useBias == nil || *l.cfg.useBias {
		binit, _ := initializerByName(orDefault(l.cfg.biasInitializer, "zeros"))
		l.bias = l.addVar("bias", tensor.Shape{l.filters}, true, binit)
	}
	return outShape(l.oneD, l.geom.OH, l.geom.OW, l.filters), nil
}

// imageInput checks the one input of a 2-D layer, (height, width,
// channels), or of a 1-D one, (steps, channels), and returns it as an
// image: a sequence has height 1.
func imageInput(in []tensor.Shape, oneD bool) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	switch {
	case oneD && len(x) == 2:
		return tensor.Shape{1, x[0], x[1]}, nil
	case oneD:
		return nil, fmt.Errorf("expects (steps, channels) sequences, got %v; add a Reshape first", x.BatchString())
	case len(x) != 3:
		return nil, fmt.Errorf("expects (height, width, channels) images, got %v; add a Reshape first", x.BatchString())
	}
	return x, nil
}

// outShape is a 2-D layer's output (h, w, c), or a 1-D one's (w, c).
func outShape(oneD bool, h, w, c int) tensor.Shape {
	if oneD {
		return tensor.Shape{w, c}
	}
	return tensor.Shape{h, w, c}
}

func (l *conv2DLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.Conv2D{X: in[0], W: e.param(l.kernel), Y: y, Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasAdd{X: y, Bias: e.param(l.bias), Y: y, Outer: l.geom.OH * l.geom.OW, C: l.filters})
	}
	return y
}

func (l *conv2DLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	e.emit(tensor.Conv2DBackwardFilter{X: in[0], DY: dOut, DW: e.varGrad(l.kernel), Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasGrad{DY: dOut, DBias: e.varGrad(l.bias), Outer: l.geom.OH * l.geom.OW, C: l.filters})
	}
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.Conv2DBackwardData{DY: dOut, W: e.param(l.kernel), DX: dx[0], Geom: l.geom})
	}
	return dx
}

// getConfig writes Conv2D's or Conv1D's Keras config.
func (l *conv2DLayer) getConfig() object {
	if l.oneD {
		o := object{{"filters", l.filters}, {"kernel_size", []int{l.cfg.kernelSize[1]}},
			{"strides", []int{l.cfg.strides[1]}}, {"padding", string(l.cfg.padding)},
			{"data_format", "channels_last"}, {"dilation_rate", []int{1}}, {"groups", 1}}
		return append(o, l.kernelAndBiasConfig()...)
	}
	o := object{{"filters", l.filters}, {"kernel_size", pairConfig(l.cfg.kernelSize)},
		{"strides", pairConfig(l.cfg.strides)}, {"padding", string(l.cfg.padding)},
		{"data_format", "channels_last"}, {"dilation_rate", []int{1, 1}}, {"groups", 1}}
	return append(o, l.kernelAndBiasConfig()...)
}

// conv2DFromConfig builds a Conv2D from its Keras config.
func conv2DFromConfig(c *layerCfg) Layer {
	filters := c.Int("filters", 0)
	k := c.Pair("kernel_size", [2]int{0, 0})
	s := c.Pair("strides", [2]int{1, 1})
	c.add(WithKernelSize(k[0], k[1]), WithStrides(s[0], s[1]), WithPadding(c.String("padding", "valid")))
	c.channelsLast()
	c.Require("dilation_rate", "1", "[1,1]")
	c.Require("groups", "1")
	c.kernelAndBias()
	return Conv2D(filters, k[0], c.opts...)
}

// conv1DFromConfig builds a Conv1D from its Keras config.
func conv1DFromConfig(c *layerCfg) Layer {
	filters := c.Int("filters", 0)
	k, s := c.single("kernel_size", 0), c.single("strides", 1)
	c.add(WithStrides(1, s), WithPadding(c.String("padding", "valid")))
	c.channelsLast()
	c.Require("dilation_rate", "1", "[1]")
	c.Require("groups", "1")
	c.kernelAndBias()
	return Conv1D(filters, k, c.opts...)
}
