package tensor

import "fmt"

// The mixed-precision family (Keras's "mixed_float16" policy): Cast rounds
// the operands of the products to binary16, and dynamic loss scaling keeps
// small gradients representable in it, as Keras's LossScaleOptimizer does.
// Every decision of loss scaling is taken on the backend from buffers, so
// a step never waits for the host:
//
//	ApplyLossScale   dLoss ·= scale                (after the loss)
//	UnscaleGrad      grad /= scale; Found = 1 if any grad is not finite
//	CopyBuffer       backup = state                (before each update)
//	... the optimizer updates ...
//	RevertIfFound    state = backup when Found     (after each update)
//	UpdateLossScale  halve the scale when Found, else double it after
//	                 GrowthSteps finite steps in a row; clear Found
//
// The loss-scale buffer holds two float32 values: the scale and the count
// of finite steps since it last changed.

// LossScaleSize is the number of float32 values of a loss-scale buffer.
const LossScaleSize = 2

// Cast rounds Size values per sample (in all when not Batched) of X to the
// nearest binary16 value (ties to even, overflow to ±Inf; see
// Float16Bits) into Y. Y is a Float16 buffer, or a Float32 one that then
// holds the rounded values.
type Cast struct {
	X, Y    BufferID
	Size    int
	Batched bool
}

// Accesses implements Op.
func (o Cast) Accesses() []Access {
	return []Access{rd(o.X, o.Size, o.Batched), wr(o.Y, o.Size, o.Batched)}
}

// Check implements Checker.
func (o Cast) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// ApplyLossScale multiplies Size values per sample (in all when not
// Batched) of X in place by the scale in LossScale[0].
type ApplyLossScale struct {
	X, LossScale BufferID
	Size         int
	Batched      bool
}

// Accesses implements Op.
func (o ApplyLossScale) Accesses() []Access {
	return []Access{rd(o.LossScale, 1, false), rd(o.X, o.Size, o.Batched), wr(o.X, o.Size, o.Batched)}
}

// Check implements Checker.
func (o ApplyLossScale) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"X", o.X}, operand{"LossScale", o.LossScale}))
}

// UnscaleGrad divides the Size values of Grad in place by LossScale[0] and
// sets Found[0] to 1 when any of them is not finite (it never clears it).
type UnscaleGrad struct {
	Grad, LossScale, Found BufferID
	Size                   int
}

// Accesses implements Op.
func (o UnscaleGrad) Accesses() []Access {
	return []Access{rd(o.LossScale, 1, false), rd(o.Grad, o.Size, false), wr(o.Grad, o.Size, false),
		rd(o.Found, 1, false), wr(o.Found, 1, false)}
}

// Check implements Checker.
func (o UnscaleGrad) Check(*Plan) error {
	return firstErr(positive("Size", o.Size),
		required(operand{"Grad", o.Grad}, operand{"LossScale", o.LossScale}, operand{"Found", o.Found}))
}

// CopyBuffer copies the first Size values of X to Y (whole buffers, not
// batched).
type CopyBuffer struct {
	X, Y BufferID
	Size int
}

// Accesses implements Op.
func (o CopyBuffer) Accesses() []Access {
	return []Access{rd(o.X, o.Size, false), wr(o.Y, o.Size, false)}
}

// Check implements Checker.
func (o CopyBuffer) Check(*Plan) error {
	return firstErr(positive("Size", o.Size), required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// RevertIfFound copies the first Size values of Backup back to Y when
// Found[0] is not 0, and leaves Y alone otherwise: it undoes an update of a
// step whose gradients were not finite.
type RevertIfFound struct {
	Backup, Y, Found BufferID
	Size             int
}

// Accesses implements Op.
func (o RevertIfFound) Accesses() []Access {
	return []Access{rd(o.Found, 1, false), rd(o.Backup, o.Size, false), rd(o.Y, o.Size, false), wr(o.Y, o.Size, false)}
}

// Check implements Checker.
func (o RevertIfFound) Check(*Plan) error {
	return firstErr(positive("Size", o.Size),
		required(operand{"Backup", o.Backup}, operand{"Y", o.Y}, operand{"Found", o.Found}))
}

// UpdateLossScale is Keras's dynamic loss scaling: when Found[0] is not 0
// it halves LossScale[0] and zeroes the count LossScale[1]; otherwise it
// adds one to the count and, when the count reaches GrowthSteps, doubles
// the scale and zeroes the count. Then it clears Found[0] for the next step.
type UpdateLossScale struct {
	LossScale, Found BufferID
	GrowthSteps      int
}

// Accesses implements Op.
func (o UpdateLossScale) Accesses() []Access {
	return []Access{rd(o.Found, 1, false), wr(o.Found, 1, false),
		rd(o.LossScale, LossScaleSize, false), wr(o.LossScale, LossScaleSize, false)}
}

// Check implements Checker.
func (o UpdateLossScale) Check(*Plan) error {
	if o.GrowthSteps <= 0 || o.GrowthSteps > 1<<24 {
		return fmt.Errorf("GrowthSteps %d must be in 1..2^24 (the count is a float32)", o.GrowthSteps)
	}
	return required(operand{"LossScale", o.LossScale}, operand{"Found", o.Found})
}

// halfKindOK reports whether b may hold Float16: only transient buffers,
// which Cast writes within a step.
func halfKindOK(b Buffer) bool {
	return b.DType == Float16 && (b.Kind == ActivationBuffer || b.Kind == GradientBuffer)
}

// checkHalfAccesses keeps Float16 buffers where backends handle them:
// written only by Cast, read only as the two operands of a product (MatMul
// and the convolutions), both half, so a product reads one kind of operand.
func (p *Plan) checkHalfAccesses(op Op) error {
	half := func(id BufferID) bool { return id != NoBuffer && p.Buffers[id].DType == Float16 }
	switch o := op.(type) {
	case Cast:
		if half(o.X) {
			return fmt.Errorf("Cast reads buffer %q, which is float16; cast from float32", p.Buffers[o.X].Name)
		}
		return nil
	case MatMul:
		return p.checkHalfProduct(op, o.A, o.B, o.C)
	case Conv2D:
		return p.checkHalfProduct(op, o.X, o.W, o.Y)
	case Conv2DBackwardData:
		return p.checkHalfProduct(op, o.DY, o.W, o.DX)
	case Conv2DBackwardFilter:
		return p.checkHalfProduct(op, o.X, o.DY, o.DW)
	}
	for _, a := range op.Accesses() {
		if half(a.Buf) {
			return fmt.Errorf("%T cannot access buffer %q, which is float16 (only Cast writes float16 and only the products read it)", op, p.Buffers[a.Buf].Name)
		}
	}
	return nil
}

// NextLossScale is UpdateLossScale's rule on one (scale, count) pair, the
// reference both backends follow: halve and restart the count after a
// non-finite step, else count it and double once growth steps are counted.
func NextLossScale(scale, count float32, found bool, growth float32) (float32, float32) {
	if found {
		return scale / 2, 0
	}
	if count+1 >= growth {
		return scale * 2, 0
	}
	return scale, count + 1
}

// checkHalfProduct checks a product's two operands a and b (both float16
// or both float32) and its float32 output c.
func (p *Plan) checkHalfProduct(op Op, a, b, c BufferID) error {
	half := func(id BufferID) bool { return id != NoBuffer && p.Buffers[id].DType == Float16 }
	if half(a) != half(b) {
		return fmt.Errorf("%T reads %q (%v) and %q (%v): both operands must be float16 or both float32",
			op, p.Buffers[a].Name, p.Buffers[a].DType, p.Buffers[b].Name, p.Buffers[b].DType)
	}
	if half(c) {
		return fmt.Errorf("%T writes buffer %q, which is float16; products are written in float32", op, p.Buffers[c].Name)
	}
	return nil
}
