package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// dropoutLayer is Keras's Dropout: identity outside training.
type dropoutLayer struct {
	*layerBase
	rate float32
}

// Dropout zeroes a fraction rate of its inputs while training and scales
// the rest by 1/(1−rate). Masks come from the counter-based generator, so
// every backend draws the same mask for the same seed and step.
func Dropout(rate float32, opts ...Option) Layer {
	l := &dropoutLayer{rate: rate}
	l.layerBase = newBase("Dropout", nil, opts, l)
	if l.err == nil && (rate < 0 || rate >= 1) {
		l.err = fmt.Errorf("rate %v must be in [0, 1)", rate)
	}
	return l
}

func (l *dropoutLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	return x.Clone(), err
}

func (l *dropoutLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	if !e.training || l.rate == 0 {
		return in[0]
	}
	y := e.act("y", l.outShape)
	e.emit(tensor.Dropout{X: in[0], Y: y, Size: l.outShape.Size(), Rate: l.rate, Salt: e.nodeSalt})
	return y
}

func (l *dropoutLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	if l.rate == 0 {
		return []tensor.BufferID{dOut}
	}
	dx := e.grad("dx", l.inShapes[0])
	e.emit(tensor.DropoutBackward{DY: dOut, DX: dx, Size: l.outShape.Size(), Rate: l.rate, Salt: e.nodeSalt})
	return []tensor.BufferID{dx}
}

// getConfig writes Dropout's Keras config.
func (l *dropoutLayer) getConfig() object {
	return object{{"rate", l.rate}, {"noise_shape", nil}, {"seed", nil}}
}

// dropoutFromConfig builds a Dropout from its Keras config.
func dropoutFromConfig(c *layerCfg) Layer {
	rate := c.Number("rate", 0)
	c.Require("noise_shape")
	c.Take("seed") // Anvil's masks come from the Fit seed
	return Dropout(rate, c.opts...)
}
