package tensor

import "fmt"

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
)

var actNames = map[string]ActFn{"linear": Linear, "relu": ReLU, "leaky_relu": LeakyReLU,
	"sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}

// ParseActFn looks an activation up by its Keras name; "" means linear.
func ParseActFn(name string) (ActFn, error) {
	if name == "" {
		return Linear, nil
	}
	if f, ok := actNames[name]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown activation %q (known: linear, relu, leaky_relu, sigmoid, tanh, softmax)", name)
}

func (f ActFn) String() string {
	for name, g := range actNames {
		if g == f {
			return name
		}
	}
	return fmt.Sprintf("ActFn(%d)", int(f))
}

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

// ActivationBackward computes DX = DY·Fn'(X). ReLU and LeakyReLU read X;
// Sigmoid, Tanh and Softmax read Y (the forward output), which is cheaper.
// The unused one may be NoBuffer. DX may alias DY except for Softmax.
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
	if fn < Linear || fn > Softmax {
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

// Check implements Checker: ReLU and LeakyReLU need X, the others Y.
func (o ActivationBackward) Check(*Plan) error {
	if err := firstErr(checkAct(o.Fn, o.Size, o.Width), required(operand{"DY", o.DY}, operand{"DX", o.DX})); err != nil {
		return err
	}
	switch o.Fn {
	case ReLU, LeakyReLU:
		return required(operand{"X", o.X})
	case Sigmoid, Tanh, Softmax:
		return required(operand{"Y", o.Y})
	}
	return nil
}
