package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// convTransposeLayer is Keras's Conv2DTranspose over NHWC images, kernel
// [kh, kw, filters, in] as Keras stores it. A transposed convolution is
// the data gradient of the Conv2D that maps its output back to its input,
// with the same kernel: TensorFlow defines conv2d_transpose that way. So
// it lowers onto the Conv2D ops with geom, that Conv2D's geometry (input
// the layer's output, filters the layer's input channels):
//
//	forward:          Y  = Conv2DBackwardData(DY: X, W)
//	backward data:    DX = Conv2D(X: DY, W)
//	backward filter:  DW = Conv2DBackwardFilter(X: DY, DY: X)
type convTransposeLayer struct {
	*layerBase
	filters      int
	geom         tensor.ConvGeom
	kernel, bias *Variable
}

// Conv2DTranspose creates a transposed 2-D convolution with filters
// outputs and a square kernelSize window. Options: WithStrides,
// WithPadding, WithKernelSize (non-square windows), WithActivation,
// WithUseBias, WithKernelInitializer, WithBiasInitializer. The output size
// is Keras's with output_padding None: in·stride for "same", in·stride +
// max(kernel − stride, 0) for "valid". Dilation is not supported.
func Conv2DTranspose(filters, kernelSize int, opts ...Option) Layer {
	l := &convTransposeLayer{filters: filters}
	l.layerBase = newBase("Conv2DTranspose", []string{"strides", "padding", "kernel_size", "dilation_rate",
		"activation", "use_bias", "kernel_initializer", "bias_initializer"}, opts, l)
	l.err = firstNonNil(l.err, l.cfg.windowFrom(kernelSize))
	if l.err == nil && filters <= 0 {
		l.err = fmt.Errorf("filters %d must be positive", filters)
	}
	if d := l.cfg.conv.dilationRate(); l.err == nil && d != [2]int{1, 1} {
		l.err = fmt.Errorf("dilation_rate %v is not supported by Conv2DTranspose (only 1): use strides, or UpSampling2D then Conv2D", d)
	}
	return l
}

// convMaxIndex bounds the elements of one sample of a layer's output: the
// kernels index them with 32 bits.
const convMaxIndex = 1<<31 - 1

// transposeExtent is Keras's deconv_output_length with output_padding None
// and dilation 1: the output extent of a transposed window k, stride s,
// over an input of extent in.
func transposeExtent(in, k, s int, p tensor.Padding) int {
	if p == tensor.Same {
		return in * s
	}
	return in*s + max(k-s, 0)
}

func (l *convTransposeLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := imageInput(in, false)
	if err != nil {
		return nil, err
	}
	k, s := l.cfg.kernelSize, l.cfg.strides
	// The output grows with the strides; the kernels index a sample with
	// 32 bits, so a size past that is refused before it can overflow.
	rows := float64(x[0])*float64(s[0]) + float64(k[0])
	cols := float64(x[1])*float64(s[1]) + float64(k[1])
	if rows*cols*float64(l.filters) > convMaxIndex {
		return nil, fmt.Errorf("strides %v over %v would make an output of more than 2³¹ elements per sample; use smaller strides or fewer filters", s, x.BatchString())
	}
	oh, ow := transposeExtent(x[0], k[0], s[0], l.cfg.padding), transposeExtent(x[1], k[1], s[1], l.cfg.padding)
	l.geom, err = tensor.NewConvGeom(oh, ow, l.filters, k[0], k[1], s[0], s[1], x[2], l.cfg.padding)
	if err != nil {
		return nil, err
	}
	if l.geom.OH != x[0] || l.geom.OW != x[1] {
		// Keras's output size always maps back onto the input; this guards
		// the lowering, not the user.
		return nil, fmt.Errorf("output %dx%d does not convolve back to the input %dx%d", oh, ow, x[0], x[1])
	}
	kinit, _ := initializerByName(orDefault(l.cfg.kernelInitializer, "glorot_uniform"))
	// Keras's fans of the [kh, kw, filters, in] kernel: kh·kw·filters in,
	// kh·kw·in out.
	l.kernel = l.addVar("kernel", tensor.Shape{k[0], k[1], l.filters, x[2]}, true, kinit)
	l.bias = l.addBiasUnlessOff(l.filters)
	return tensor.Shape{oh, ow, l.filters}, nil
}

func (l *convTransposeLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.Conv2DBackwardData{DY: in[0], W: e.param(l.kernel), DX: y, Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasAdd{X: y, Bias: e.param(l.bias), Y: y, Outer: l.geom.H * l.geom.W, C: l.filters})
	}
	return y
}

func (l *convTransposeLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	e.emit(tensor.Conv2DBackwardFilter{X: dOut, DY: in[0], DW: e.varGrad(l.kernel), Geom: l.geom})
	if l.bias != nil {
		e.emit(tensor.BiasGrad{DY: dOut, DBias: e.varGrad(l.bias), Outer: l.geom.H * l.geom.W, C: l.filters})
	}
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0])
		e.emit(tensor.Conv2D{X: dOut, W: e.param(l.kernel), Y: dx[0], Geom: l.geom})
	}
	return dx
}

// getConfig writes Conv2DTranspose's Keras config: Conv2D's keys, then
// output_padding (always None: Keras infers the output size).
func (l *convTransposeLayer) getConfig() object {
	o := object{{"filters", l.filters}, {"kernel_size", pairConfig(l.cfg.kernelSize)},
		{"strides", pairConfig(l.cfg.strides)}, {"padding", string(l.cfg.padding)},
		{"data_format", "channels_last"}, {"dilation_rate", []int{1, 1}}, {"groups", 1}}
	o = append(o, l.kernelAndBiasConfig()...)
	return append(o, offConfig("output_padding")...)
}

// convTransposeFromConfig builds a Conv2DTranspose from its Keras config.
func convTransposeFromConfig(c *layerCfg) Layer {
	filters := c.Int("filters", 0)
	c.window()
	c.Require("output_padding") // only None: the size Keras infers
	c.kernelAndBias()
	return Conv2DTranspose(filters, 0, c.opts...)
}
