package tensor

import "fmt"

// Rescale computes Y = X·Scale + Offset over Size values per sample
// (Keras's Rescaling; its backward is Rescale of DY with Offset 0). The
// product is rounded before the sum on every backend.
type Rescale struct {
	X, Y          BufferID
	Size          int
	Scale, Offset float32
}

// Accesses implements Op.
func (o Rescale) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), wr(o.Y, o.Size, true)}
}

// Check implements Checker.
func (o Rescale) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// NormalizeEpsilon is the floor of Normalize's standard deviation, Keras's
// backend.epsilon().
const NormalizeEpsilon = 1e-7

// Normalize is Keras's Normalization: Y = (X − Mean[c]) / max(sqrt(
// Variance[c]), NormalizeEpsilon), where element i of a sample belongs to
// c = (i / Inner) mod Width: Width values along the normalised axis, Inner
// the size of the axes after it. Mean and Variance are unbatched buffers of
// Width values.
type Normalize struct {
	X, Y, Mean, Variance BufferID
	Size, Width, Inner   int
}

// Accesses implements Op.
func (o Normalize) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), rd(o.Mean, o.Width, false), rd(o.Variance, o.Width, false),
		wr(o.Y, o.Size, true)}
}

// Check implements Checker.
func (o Normalize) Check(*Plan) error {
	return checkNormalize(o.Size, o.Width, o.Inner,
		operand{"X", o.X}, operand{"Y", o.Y}, operand{"Mean", o.Mean}, operand{"Variance", o.Variance})
}

// NormalizeBackward is Normalize's gradient:
// DX = DY / max(sqrt(Variance[c]), NormalizeEpsilon).
type NormalizeBackward struct {
	DY, DX, Variance   BufferID
	Size, Width, Inner int
}

// Accesses implements Op.
func (o NormalizeBackward) Accesses() []Access {
	return []Access{rd(o.DY, o.Size, true), rd(o.Variance, o.Width, false), wr(o.DX, o.Size, true)}
}

// Check implements Checker.
func (o NormalizeBackward) Check(*Plan) error {
	return checkNormalize(o.Size, o.Width, o.Inner,
		operand{"DY", o.DY}, operand{"DX", o.DX}, operand{"Variance", o.Variance})
}

// checkNormalize checks what both normalisation ops share: the axis must
// tile the sample.
func checkNormalize(size, width, inner int, ops ...operand) error {
	if err := positive("Size, Width, Inner", size, width, inner); err != nil {
		return err
	}
	if size%(width*inner) != 0 {
		return fmt.Errorf("an axis of %d×%d values does not tile a sample of %d", width, inner, size)
	}
	return required(ops...)
}
