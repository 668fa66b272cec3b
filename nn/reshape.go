package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// reshapeLayer is Flatten or Reshape: a view that changes the shape and
// keeps the buffer, so it emits no ops.
type reshapeLayer struct {
	*layerBase
	target tensor.Shape // nil for Flatten; may hold one -1
}

// Flatten flattens each sample to one axis.
func Flatten(opts ...Option) Layer {
	l := &reshapeLayer{}
	l.layerBase = newBase("Flatten", nil, opts, l)
	return l
}

// Reshape gives each sample a new shape with the same number of elements;
// one dimension may be -1 and is then inferred.
func Reshape(dims []int, opts ...Option) Layer {
	l := &reshapeLayer{target: tensor.Shape(dims).Clone()}
	l.layerBase = newBase("Reshape", nil, opts, l)
	return l
}

func (l *reshapeLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	if l.target == nil {
		return tensor.Shape{x.Size()}, nil
	}
	return inferShape(l.target, x.Size())
}

// inferShape resolves a -1 in target so that it holds n elements.
func inferShape(target tensor.Shape, n int) (tensor.Shape, error) {
	out, known, free := target.Clone(), 1, -1
	for i, d := range out {
		switch {
		case d == -1 && free < 0:
			free = i
		case d <= 0:
			return nil, fmt.Errorf("target shape %v: dimensions must be positive, with at most one -1", target)
		default:
			known *= d
		}
	}
	if free >= 0 && known > 0 && n%known == 0 {
		out[free] = n / known
	}
	if out.Size() != n || (free >= 0 && out[free] <= 0) {
		return nil, fmt.Errorf("cannot reshape %d elements per sample to %v", n, target)
	}
	return out, nil
}

func (l *reshapeLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID { return in[0] }

func (l *reshapeLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	return []tensor.BufferID{dOut}
}

// getConfig writes the Keras config of Flatten or Reshape.
func (l *reshapeLayer) getConfig() object {
	if l.target == nil {
		return object{{"data_format", "channels_last"}}
	}
	return object{{"target_shape", []int(l.target)}}
}

// flattenFromConfig builds a Flatten from its Keras config.
func flattenFromConfig(c *layerCfg) Layer {
	c.channelsLast()
	return Flatten(c.opts...)
}

// reshapeFromConfig builds a Reshape from its Keras config.
func reshapeFromConfig(c *layerCfg) Layer {
	v, _ := c.Take("target_shape")
	dims, err := configInts(v)
	if err != nil {
		c.Fail("target_shape", "%v", err)
	}
	return Reshape(dims, c.opts...)
}
