package nn

import (
	"github.com/anvil-ml/anvil/tensor"
)

// activationSlope is the negative slope of the "leaky_relu" activation
// function (WithActivation("leaky_relu"), Activation("leaky_relu")): Keras's
// activations.leaky_relu defaults to 0.2 (tf.nn.leaky_relu's alpha in
// tf.keras 2.x, negative_slope in Keras 3), unlike the LeakyReLU layer's 0.3.
const activationSlope = 0.2

// activationLayer is any layer that only applies an activation: Activation,
// ReLU, LeakyReLU and Softmax. The planner emits the activation itself (so
// a final softmax can fuse with the loss); the layer's own ops are none.
type activationLayer struct{ *layerBase }

func newActivationLayer(class string, act tensor.ActFn, alpha float32, allowed []string, opts []Option) *activationLayer {
	l := &activationLayer{}
	l.layerBase = newBase(class, allowed, opts, l)
	l.act, l.alpha = act, alpha
	return l
}

// Activation applies an activation by Keras name (see WithActivation).
func Activation(name string, opts ...Option) Layer {
	l := newActivationLayer("Activation", tensor.Linear, activationSlope, nil, opts)
	act, err := tensor.ParseActFn(name)
	if l.err == nil {
		l.act, l.err = act, err
	}
	return l
}

// ReLU applies max(x, 0).
func ReLU(opts ...Option) Layer {
	return newActivationLayer("ReLU", tensor.ReLU, 0, nil, opts)
}

// LeakyReLU applies x for x > 0 and slope·x otherwise; the slope defaults
// to 0.3 as in Keras (WithNegativeSlope changes it).
func LeakyReLU(opts ...Option) Layer {
	l := newActivationLayer("LeakyReLU", tensor.LeakyReLU, 0.3, []string{"negative_slope"}, opts)
	if l.cfg.set["negative_slope"] {
		l.alpha = l.cfg.alpha
	}
	return l
}

// Softmax applies softmax over the last axis.
func Softmax(opts ...Option) Layer {
	return newActivationLayer("Softmax", tensor.Softmax, 0, nil, opts)
}

func (l *activationLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	return x.Clone(), err
}

func (l *activationLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID { return in[0] }

func (l *activationLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	return []tensor.BufferID{dOut}
}
