package tensor

import "fmt"

// Transform2DBackward is the gradient of a Transform2D whose map moves
// whole pixels one to one (AugmentFlip, AugmentCrop): each input pixel
// receives the gradient of the output pixel that read it, or 0 when none
// did. Op is the forward op; its X and Y are not read. The draws are the
// forward op's (same seed, step, Salt and rows).
type Transform2DBackward struct {
	DY, DX BufferID
	Op     Transform2D
}

// Accesses implements Op.
func (o Transform2DBackward) Accesses() []Access {
	f := o.Op
	return []Access{rd(o.DY, f.OH*f.OW*f.C, true), wr(o.DX, f.H*f.W*f.C, true)}
}

// Check implements Checker.
func (o Transform2DBackward) Check(p *Plan) error {
	f := o.Op
	if f.Kind != AugmentFlip && f.Kind != AugmentCrop {
		return fmt.Errorf("transform kind %d has no backward: only flips and crops move whole pixels", f.Kind)
	}
	f.X, f.Y = o.DX, o.DY // the forward op's own checks, on these buffers
	return f.Check(p)
}

// RandomContrast2DBackward is the gradient of RandomContrast2D, given its
// input X: per image and channel,
//
//	DX_j = f·m_j·DY_j + (1−f)·(Σ_i m_i·DY_i)/Pixels,
//
// with f the forward op's factor and m_i = 1 where the clip left pixel i's
// value unchanged (Min ≤ (x_i − mean)·f + mean ≤ Max), else 0. The sum
// runs in pixel order in float32.
type RandomContrast2DBackward struct {
	X, DY, DX        BufferID
	Pixels, C        int
	Lo, Hi, Min, Max float32
	Salt             uint32
}

// Accesses implements Op.
func (o RandomContrast2DBackward) Accesses() []Access {
	n := o.Pixels * o.C
	return []Access{rd(o.X, n, true), rd(o.DY, n, true), wr(o.DX, n, true)}
}

// Check implements Checker.
func (o RandomContrast2DBackward) Check(p *Plan) error {
	f := RandomContrast2D{X: o.X, Y: o.DX, Pixels: o.Pixels, C: o.C, Lo: o.Lo, Hi: o.Hi, Min: o.Min, Max: o.Max}
	return firstErr(f.Check(p), required(operand{"DY", o.DY}))
}
