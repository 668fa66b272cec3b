package tensor

import "fmt"

// PoolKind selects max or average pooling.
type PoolKind int

// The pooling kinds.
const (
	MaxPool PoolKind = iota
	AvgPool
)

// Pool2D pools each channel over KH×KW windows (Geom.F is unused). Padded
// positions are ignored: max takes the largest real element, average divides
// by the number of real elements in the window, as TensorFlow does.
type Pool2D struct {
	Kind PoolKind
	X, Y BufferID
	Geom ConvGeom
}

// Accesses implements Op.
func (o Pool2D) Accesses() []Access {
	return []Access{rd(o.X, o.Geom.InSize(), true), wr(o.Y, o.Geom.PoolOutSize(), true)}
}

// Pool2DBackward overwrites DX with the gradient of Pool2D. Max pooling
// routes each output's gradient to the first (lowest kh, then kw) maximal
// input of its window, recomputed from X.
type Pool2DBackward struct {
	Kind      PoolKind
	X, DY, DX BufferID
	Geom      ConvGeom
}

// Accesses implements Op.
func (o Pool2DBackward) Accesses() []Access {
	g := o.Geom
	return []Access{rd(o.X, g.InSize(), true), rd(o.DY, g.PoolOutSize(), true), wr(o.DX, g.InSize(), true)}
}

// checkPool checks what both pooling ops share.
func checkPool(kind PoolKind, g ConvGeom) error {
	if kind != MaxPool && kind != AvgPool {
		return fmt.Errorf("unknown pooling kind %d", kind)
	}
	return g.check(false)
}

// Check implements Checker.
func (o Pool2D) Check(*Plan) error {
	return firstErr(checkPool(o.Kind, o.Geom), required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// Check implements Checker. Max pooling reads X to find each window's
// maximum; average pooling does not.
func (o Pool2DBackward) Check(*Plan) error {
	if err := firstErr(checkPool(o.Kind, o.Geom), required(operand{"DY", o.DY}, operand{"DX", o.DX})); err != nil {
		return err
	}
	if o.Kind == MaxPool {
		return required(operand{"X", o.X})
	}
	return nil
}
