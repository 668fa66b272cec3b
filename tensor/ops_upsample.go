package tensor

// UpSample2D is Keras's UpSampling2D with nearest interpolation: each
// pixel of an H×W×C image becomes an SH×SW block,
//
//	Y[h·SH+i, w·SW+j, c] = X[h, w, c]   for i < SH, j < SW.
type UpSample2D struct {
	X, Y            BufferID
	H, W, C, SH, SW int
}

// Accesses implements Op.
func (o UpSample2D) Accesses() []Access {
	n := o.H * o.W * o.C
	return []Access{rd(o.X, n, true), wr(o.Y, n*o.SH*o.SW, true)}
}

// Check implements Checker.
func (o UpSample2D) Check(*Plan) error {
	return firstErr(positive("H, W, C, SH, SW", o.H, o.W, o.C, o.SH, o.SW),
		required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// UpSample2DBackward overwrites DX with the gradient of UpSample2D: each
// pixel's sum of its block of DY, added in order of i then j in float32,
// as every backend does.
type UpSample2DBackward struct {
	DY, DX          BufferID
	H, W, C, SH, SW int
}

// Accesses implements Op.
func (o UpSample2DBackward) Accesses() []Access {
	n := o.H * o.W * o.C
	return []Access{rd(o.DY, n*o.SH*o.SW, true), wr(o.DX, n, true)}
}

// Check implements Checker.
func (o UpSample2DBackward) Check(*Plan) error {
	return firstErr(positive("H, W, C, SH, SW", o.H, o.W, o.C, o.SH, o.SW),
		required(operand{"DY", o.DY}, operand{"DX", o.DX}))
}
