package tensor

// BiasAdd computes Y[r,c] = X[r,c] + Bias[c] for each of the Outer
// positions of every sample (Outer is 1 after Dense, OH·OW after Conv2D).
// X and Y may be the same buffer.
type BiasAdd struct {
	X, Bias, Y BufferID
	Outer, C   int
}

// Accesses implements Op.
func (o BiasAdd) Accesses() []Access {
	return []Access{rd(o.X, o.Outer*o.C, true), rd(o.Bias, o.C, false), wr(o.Y, o.Outer*o.C, true)}
}

// BiasGrad computes DBias[c] = Σ DY[r,c] over every position of every valid
// sample, overwriting DBias.
type BiasGrad struct {
	DY, DBias BufferID
	Outer, C  int
}

// Accesses implements Op.
func (o BiasGrad) Accesses() []Access {
	return []Access{rd(o.DY, o.Outer*o.C, true), wr(o.DBias, o.C, false)}
}

// Add computes Y = A + B elementwise over Size elements per sample. Y may
// alias A or B. It serves the Add layer and sums gradients where a value
// fans out. With Unbatched the buffers hold Size elements in all, not per
// sample: it sums the weight gradients of a layer called more than once.
type Add struct {
	A, B, Y   BufferID
	Size      int
	Unbatched bool
}

// Accesses implements Op.
func (o Add) Accesses() []Access {
	b := !o.Unbatched
	return []Access{rd(o.A, o.Size, b), rd(o.B, o.Size, b), wr(o.Y, o.Size, b)}
}

// Concat joins its inputs along the last axis: at each of the Outer
// positions of a sample, Y holds Widths[0] values of Inputs[0], then
// Widths[1] values of Inputs[1], and so on.
type Concat struct {
	Inputs []BufferID
	Widths []int
	Y      BufferID
	Outer  int
}

// Accesses implements Op.
func (o Concat) Accesses() []Access {
	total := 0
	var acc []Access
	for i, in := range o.Inputs {
		acc = append(acc, rd(in, o.Outer*o.Widths[i], true))
		total += o.Widths[i]
	}
	return append(acc, wr(o.Y, o.Outer*total, true))
}

// Split is the backward of Concat: it copies each slice of X along the last
// axis into its own output.
type Split struct {
	X       BufferID
	Outputs []BufferID
	Widths  []int
	Outer   int
}

// Accesses implements Op.
func (o Split) Accesses() []Access {
	total := 0
	var acc []Access
	for i, out := range o.Outputs {
		acc = append(acc, wr(out, o.Outer*o.Widths[i], true))
		total += o.Widths[i]
	}
	return append(acc, rd(o.X, o.Outer*total, true))
}

// Check implements Checker.
func (o BiasAdd) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"X", o.X}, operand{"Bias", o.Bias}, operand{"Y", o.Y}))
}

// Check implements Checker.
func (o BiasGrad) Check(*Plan) error {
	return firstErr(positive("Outer, C", o.Outer, o.C), required(operand{"DY", o.DY}, operand{"DBias", o.DBias}))
}

// Check implements Checker.
func (o Add) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"A", o.A}, operand{"B", o.B}, operand{"Y", o.Y}))
}

// Check implements Checker.
func (o Concat) Check(*Plan) error {
	return firstErr(checkWidths(o.Inputs, o.Widths, o.Outer), required(operand{"the concatenated buffer", o.Y}))
}

// Check implements Checker.
func (o Split) Check(*Plan) error {
	return firstErr(checkWidths(o.Outputs, o.Widths, o.Outer), required(operand{"the concatenated buffer", o.X}))
}
