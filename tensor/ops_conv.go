package tensor

// ConvGeom is the shape of a 2-D convolution or pooling window over NHWC
// images, per sample. Padding is implicit zeros (ignored by pooling); the
// padding after the input is whatever is left over, as in TensorFlow.
type ConvGeom struct {
	H, W, C         int // input height, width, channels
	KH, KW          int // window size
	SH, SW          int // strides
	PadTop, PadLeft int // padding before the first row and column
	OH, OW          int // output height and width
	F               int // output channels (filters); pooling keeps C
}

// NewConvGeom computes the output size and padding of a window of kh×kw
// with strides sh×sw over an h×w×c input.
func NewConvGeom(h, w, c, kh, kw, sh, sw, filters int, p Padding) (ConvGeom, error) {
	oh, pt, err := OutputSize(h, kh, sh, p)
	if err != nil {
		return ConvGeom{}, err
	}
	ow, pl, err := OutputSize(w, kw, sw, p)
	if err != nil {
		return ConvGeom{}, err
	}
	return ConvGeom{H: h, W: w, C: c, KH: kh, KW: kw, SH: sh, SW: sw,
		PadTop: pt, PadLeft: pl, OH: oh, OW: ow, F: filters}, nil
}

// InSize is the number of input elements per sample.
func (g ConvGeom) InSize() int { return g.H * g.W * g.C }

// OutSize is the number of output elements per sample of a convolution.
func (g ConvGeom) OutSize() int { return g.OH * g.OW * g.F }

// KernelSize is the number of weights of a convolution kernel, stored
// [KH, KW, C, F] as Keras does.
func (g ConvGeom) KernelSize() int { return g.KH * g.KW * g.C * g.F }

// PoolOutSize is the number of output elements per sample of a pooling.
func (g ConvGeom) PoolOutSize() int { return g.OH * g.OW * g.C }

// Conv2D computes Y[n,oh,ow,f] = Σ X[n, oh·SH+kh−PadTop, ow·SW+kw−PadLeft, c]
// · W[kh,kw,c,f], with out-of-range input reading as zero. Y is overwritten.
type Conv2D struct {
	X, W, Y BufferID
	Geom    ConvGeom
}

// Accesses implements Op.
func (o Conv2D) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.X, g.InSize(), true), rd(o.W, g.KernelSize(), false), wr(o.Y, g.OutSize(), true)}
}

// Conv2DBackwardData computes the gradient with respect to the input,
// DX = ∂L/∂X given DY = ∂L/∂Y, overwriting DX.
type Conv2DBackwardData struct {
	DY, W, DX BufferID
	Geom      ConvGeom
}

// Accesses implements Op.
func (o Conv2DBackwardData) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.DY, g.OutSize(), true), rd(o.W, g.KernelSize(), false), wr(o.DX, g.InSize(), true)}
}

// Conv2DBackwardFilter computes the kernel gradient DW = ∂L/∂W summed over
// the valid samples, overwriting DW.
type Conv2DBackwardFilter struct {
	X, DY, DW BufferID
	Geom      ConvGeom
}

// Accesses implements Op.
func (o Conv2DBackwardFilter) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.X, g.InSize(), true), rd(o.DY, g.OutSize(), true), wr(o.DW, g.KernelSize(), false)}
}

// Check implements Checker.
func (o Conv2D) Check(*Plan) error {
	return firstErr(o.Geom.check(true), required(operand{"X", o.X}, operand{"W", o.W}, operand{"Y", o.Y}))
}

// Check implements Checker.
func (o Conv2DBackwardData) Check(*Plan) error {
	return firstErr(o.Geom.check(true), required(operand{"DY", o.DY}, operand{"W", o.W}, operand{"DX", o.DX}))
}

// Check implements Checker.
func (o Conv2DBackwardFilter) Check(*Plan) error {
	return firstErr(o.Geom.check(true), required(operand{"X", o.X}, operand{"DY", o.DY}, operand{"DW", o.DW}))
}
