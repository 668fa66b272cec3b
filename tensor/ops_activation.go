package tensor

import (
	"fmt"
	"strings"
)

// ActFn is an activation function.
type ActFn int

// The activation functions, by Keras name.
const (
	Linear    ActFn = iota // identity
	ReLU                   // max(x, 0)
	LeakyReLU              // x if x > 0 else Alpha·x
	Sigmoid                // 1/(1+e^−x)
	Tanh                   // tanh(x)
	Softmax                // e^x / Σ e^x over groups of Width consecutive elements
	GELU                   // x·Φ(x) = x/2·(1 + erf(x/√2)): Keras's gelu, approximate=False
	SiLU                   // x·sigmoid(x): Keras's silu, alias swish
	ELU                    // x if x > 0 else e^x − 1: Keras's elu, alpha 1
	SELU                   // λ·(x if x > 0 else α·(e^x − 1)), Keras's constants SELUAlpha, SELUScale
	Softplus               // log(1 + e^x)
)

// Keras's selu constants (keras.activations.selu).
const (
	SELUAlpha = 1.67326324
	SELUScale = 1.05070098
)

// actNames lists each function's Keras name, indexed by ActFn.
var actNames = []string{"linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax",
	"gelu", "silu", "elu", "selu", "softplus"}

// actAliases are other Keras names for the same functions.
var actAliases = map[string]ActFn{"swish": SiLU}

// ParseActFn looks an activation up by its Keras name; "" means linear.
func ParseActFn(name string) (ActFn, error) {
	if name == "" {
		return Linear, nil
	}
	for i, n := range actNames {
		if n == name {
			return ActFn(i), nil
		}
	}
	if f, ok := actAliases[name]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown activation %q (known: %s, swish)", name, strings.Join(actNames, ", "))
}

// String returns the function's Keras name (the one Keras 3 saves).
func (f ActFn) String() string {
	if f.Valid() {
		return actNames[f]
	}
	return fmt.Sprintf("ActFn(%d)", int(f))
}

// Valid reports whether f is one of the functions above.
func (f ActFn) Valid() bool { return f >= Linear && int(f) < len(actNames) }

// BackwardReadsY reports whether ActivationBackward computes f' from Y,
// the forward output (sigmoid, tanh, softmax: cheaper); the others read X.
func (f ActFn) BackwardReadsY() bool { return f == Sigmoid || f == Tanh || f == Softmax }

// Activation computes Y = Fn(X) over Size elements per sample. Softmax
// normalises over each group of Width consecutive elements (the last axis);
// the other functions ignore Width. Alpha is LeakyReLU's negative slope.
// X and Y may be the same buffer except for Softmax.
type Activation struct {
	Fn          ActFn
	X, Y        BufferID
	Size, Width int
	Alpha       float32
}

// Accesses implements Op.
func (o Activation) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), wr(o.Y, o.Size, true)}
}

// ActivationBackward computes DX = DY·Fn'(X). Sigmoid, Tanh and Softmax
// read Y (the forward output), which is cheaper; the others read X (see
// BackwardReadsY). The unused one may be NoBuffer. DX may alias DY except for Softmax.
type ActivationBackward struct {
	Fn           ActFn
	X, Y, DY, DX BufferID
	Size, Width  int
	Alpha        float32
}

// Accesses implements Op.
func (o ActivationBackward) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), rd(o.Y, o.Size, true), rd(o.DY, o.Size, true), wr(o.DX, o.Size, true)}
}

// checkAct checks what both activation ops share.
func checkAct(fn ActFn, size, width int) error {
	if err := positive("Size", size); err != nil {
		return err
	}
	if !fn.Valid() {
		return fmt.Errorf("unknown activation %v", fn)
	}
	if fn == Softmax && (width <= 0 || size%width != 0) {
		return fmt.Errorf("softmax Width %d must be positive and divide Size %d", width, size)
	}
	return nil
}

// Check implements Checker.
func (o Activation) Check(*Plan) error {
	return firstErr(checkAct(o.Fn, o.Size, o.Width), required(operand{"X", o.X}, operand{"Y", o.Y}))
}

// Check implements Checker: each function needs X or Y (BackwardReadsY);
// Linear needs neither.
func (o ActivationBackward) Check(*Plan) error {
	if err := firstErr(checkAct(o.Fn, o.Size, o.Width), required(operand{"DY", o.DY}, operand{"DX", o.DX})); err != nil {
		return err
	}
	switch {
	case o.Fn == Linear:
		return nil
	case o.Fn.BackwardReadsY():
		return required(operand{"Y", o.Y})
	}
	return required(operand{"X", o.X})
}
