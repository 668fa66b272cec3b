package tensor

import "fmt"

// Dropout zeroes each element with probability Rate and scales the rest by
// 1/(1−Rate). Element i of sample n is kept when
// Uniform(seed, step, Salt, (RowOffset+n)·Size+i) ≥ Rate, with
// StepArgs.RowOffset, so every backend draws the same mask for the same
// seed and step, and the backward pass recomputes it instead of storing it.
type Dropout struct {
	X, Y BufferID
	Size int
	Rate float32
	Salt uint32
}

// Accesses implements Op.
func (o Dropout) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), wr(o.Y, o.Size, true)}
}

// DropoutBackward computes DX = DY·mask/(1−Rate) with the mask of the
// Dropout op that has the same Salt, Size and Rate.
type DropoutBackward struct {
	DY, DX BufferID
	Size   int
	Rate   float32
	Salt   uint32
}

// Accesses implements Op.
func (o DropoutBackward) Accesses() []Access {
	return []Access{rd(o.DY, o.Size, true), wr(o.DX, o.Size, true)}
}

// checkDropout checks what both dropout ops share: the rate, and that
// every element index of a full batch fits the generator's 32-bit counter.
func checkDropout(p *Plan, in, out operand, size int, rate float32) error {
	if err := positive("Size", size); err != nil {
		return err
	}
	if !(rate >= 0 && rate < 1) {
		return fmt.Errorf("dropout rate %v must be in [0, 1)", rate)
	}
	if uint64(p.Batch)*uint64(size) > 1<<32 {
		return fmt.Errorf("dropout over %d×%d elements overflows the 32-bit element index", p.Batch, size)
	}
	return required(in, out)
}

// Check implements Checker.
func (o Dropout) Check(p *Plan) error {
	return checkDropout(p, operand{"input", o.X}, operand{"output", o.Y}, o.Size, o.Rate)
}

// Check implements Checker.
func (o DropoutBackward) Check(p *Plan) error {
	return checkDropout(p, operand{"input", o.DY}, operand{"output", o.DX}, o.Size, o.Rate)
}
