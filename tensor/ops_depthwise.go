package tensor

import "fmt"

// DepthwiseGeom is the shape of a depthwise 2-D convolution over NHWC
// images, per sample: each input channel c is convolved with its own DM
// filters, giving output channels c·DM … c·DM+DM−1 (Keras's
// DepthwiseConv2D). The kernel is stored [KH, KW, C, DM], as Keras stores
// depthwise_kernel. Taps are DH, DW apart (dilation); padding is implicit
// zeros, the padding after the input whatever is left over, as in
// TensorFlow.
type DepthwiseGeom struct {
	H, W, C         int // input height, width, channels
	KH, KW          int // window size in taps
	SH, SW          int // strides
	DH, DW          int // dilation: the distance between taps
	PadTop, PadLeft int // padding before the first row and column
	OH, OW          int // output height and width
	DM              int // depth multiplier: filters per input channel
}

// NewDepthwiseGeom computes the output size and padding of a kh×kw window
// with strides sh×sw and dilation dh×dw over an h×w×c input, as TensorFlow
// does: the window spans (k−1)·d+1 elements.
func NewDepthwiseGeom(h, w, c, kh, kw, sh, sw, dh, dw, dm int, p Padding) (DepthwiseGeom, error) {
	if kh <= 0 || kw <= 0 || dh <= 0 || dw <= 0 {
		return DepthwiseGeom{}, fmt.Errorf("window %dx%d with dilation %dx%d: sizes must be positive", kh, kw, dh, dw)
	}
	oh, pt, err := OutputSize(h, (kh-1)*dh+1, sh, p)
	if err != nil {
		return DepthwiseGeom{}, err
	}
	ow, pl, err := OutputSize(w, (kw-1)*dw+1, sw, p)
	if err != nil {
		return DepthwiseGeom{}, err
	}
	return DepthwiseGeom{H: h, W: w, C: c, KH: kh, KW: kw, SH: sh, SW: sw, DH: dh, DW: dw,
		PadTop: pt, PadLeft: pl, OH: oh, OW: ow, DM: dm}, nil
}

// InSize is the number of input elements per sample.
func (g DepthwiseGeom) InSize() int { return g.H * g.W * g.C }

// OutChannels is C·DM, the channels of the output.
func (g DepthwiseGeom) OutChannels() int { return g.C * g.DM }

// OutSize is the number of output elements per sample.
func (g DepthwiseGeom) OutSize() int { return g.OH * g.OW * g.C * g.DM }

// KernelSize is the number of weights of the kernel [KH, KW, C, DM].
func (g DepthwiseGeom) KernelSize() int { return g.KH * g.KW * g.C * g.DM }

func (g DepthwiseGeom) check() error {
	if err := positive("H, W, C, KH, KW, SH, SW, DH, DW, OH, OW, DM",
		g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.OH, g.OW, g.DM); err != nil {
		return err
	}
	if g.PadTop < 0 || g.PadLeft < 0 {
		return fmt.Errorf("padding %d, %d must not be negative", g.PadTop, g.PadLeft)
	}
	return nil
}

// DepthwiseConv2D computes
//
//	Y[n,oh,ow,c·DM+m] = Σ_{kh,kw} X[n, oh·SH+kh·DH−PadTop, ow·SW+kw·DW−PadLeft, c] · W[kh,kw,c,m]
//
// with out-of-range input reading as zero. Y is overwritten.
type DepthwiseConv2D struct {
	X, W, Y BufferID
	Geom    DepthwiseGeom
}

// Accesses implements Op.
func (o DepthwiseConv2D) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.X, g.InSize(), true), rd(o.W, g.KernelSize(), false), wr(o.Y, g.OutSize(), true)}
}

// Check implements Checker.
func (o DepthwiseConv2D) Check(*Plan) error {
	return firstErr(o.Geom.check(), required(operand{"X", o.X}, operand{"W", o.W}, operand{"Y", o.Y}))
}

// DepthwiseConv2DBackwardData overwrites DX with the gradient of
// DepthwiseConv2D with respect to its input, given DY.
type DepthwiseConv2DBackwardData struct {
	DY, W, DX BufferID
	Geom      DepthwiseGeom
}

// Accesses implements Op.
func (o DepthwiseConv2DBackwardData) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.DY, g.OutSize(), true), rd(o.W, g.KernelSize(), false), wr(o.DX, g.InSize(), true)}
}

// Check implements Checker.
func (o DepthwiseConv2DBackwardData) Check(*Plan) error {
	return firstErr(o.Geom.check(), required(operand{"DY", o.DY}, operand{"W", o.W}, operand{"DX", o.DX}))
}

// DepthwiseConv2DBackwardFilter overwrites DW with the kernel gradient of
// DepthwiseConv2D summed over the valid samples.
type DepthwiseConv2DBackwardFilter struct {
	X, DY, DW BufferID
	Geom      DepthwiseGeom
}

// Accesses implements Op.
func (o DepthwiseConv2DBackwardFilter) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.X, g.InSize(), true), rd(o.DY, g.OutSize(), true), wr(o.DW, g.KernelSize(), false)}
}

// Check implements Checker.
func (o DepthwiseConv2DBackwardFilter) Check(*Plan) error {
	return firstErr(o.Geom.check(), required(operand{"X", o.X}, operand{"DY", o.DY}, operand{"DW", o.DW}))
}
