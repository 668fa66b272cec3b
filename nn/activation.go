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

// getConfig writes the Keras config of Activation, ReLU, LeakyReLU or
// Softmax.
func (l *activationLayer) getConfig() object {
	switch l.class {
	case "LeakyReLU":
		return object{{"alpha", l.alpha}} // tf.keras 2.x's name; Keras 3 reads it too
	case "ReLU":
		return object{{"max_value", nil}, {"negative_slope", 0.0}, {"threshold", 0.0}}
	case "Softmax":
		return object{{"axis", -1}}
	}
	return object{{"activation", l.act.String()}}
}

// leakyReLUFromConfig builds a LeakyReLU from its Keras config.
func leakyReLUFromConfig(c *layerCfg) Layer {
	slope := c.Number("alpha", 0.3) // tf.keras 2.x
	slope = c.Number("negative_slope", slope)
	return LeakyReLU(append(c.opts, WithNegativeSlope(slope))...)
}

// reluFromConfig builds a ReLU from its Keras config.
func reluFromConfig(c *layerCfg) Layer {
	c.Require("max_value")
	c.Require("negative_slope", "0", "0.0")
	c.Require("threshold", "0", "0.0")
	return ReLU(c.opts...)
}

// activationFromConfig builds an Activation from its Keras config.
func activationFromConfig(c *layerCfg) Layer {
	name := c.String("activation", "")
	if name == "" {
		c.Fail("activation", "missing: name the activation, e.g. \"relu\"")
	}
	return Activation(name, c.opts...)
}

// softmaxFromConfig builds a Softmax from its Keras config.
func softmaxFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	return Softmax(c.opts...)
}
