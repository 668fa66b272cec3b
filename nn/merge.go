package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// mergeLayer is Add or Concatenate (along the last axis).
type mergeLayer struct {
	*layerBase
	concat bool
	widths []int
	outer  int
}

// Add sums its inputs, which must share one shape.
func Add(opts ...Option) Layer {
	l := &mergeLayer{}
	l.layerBase = newBase("Add", nil, opts, l)
	return l
}

// Concatenate joins its inputs along the last axis; the other axes must
// match.
func Concatenate(opts ...Option) Layer {
	l := &mergeLayer{concat: true}
	l.layerBase = newBase("Concatenate", nil, opts, l)
	return l
}

func (l *mergeLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("needs at least two inputs, got %d", len(in))
	}
	first := in[0]
	out := first.Clone()
	l.widths = nil
	for i, s := range in {
		if !l.concat && !s.Equal(first) {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: Add needs equal shapes", i, s.BatchString(), first.BatchString())
		}
		if l.concat && (len(s) != len(first) || !s[:len(s)-1].Equal(first[:len(first)-1])) {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: all axes but the last must match", i, s.BatchString(), first.BatchString())
		}
		l.widths = append(l.widths, s[len(s)-1])
		if l.concat && i > 0 {
			out[len(out)-1] += s[len(s)-1]
		}
	}
	l.outer = first.Size() / first[len(first)-1]
	return out, nil
}

func (l *mergeLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	if l.concat {
		e.emit(tensor.Concat{Inputs: append([]tensor.BufferID(nil), in...), Widths: l.widths, Y: y, Outer: l.outer})
		return y
	}
	n := l.outShape.Size()
	e.emit(tensor.Add{A: in[0], B: in[1], Y: y, Size: n})
	for _, b := range in[2:] {
		e.emit(tensor.Add{A: y, B: b, Y: y, Size: n})
	}
	return y
}

func (l *mergeLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	dx := make([]tensor.BufferID, len(in))
	if !l.concat {
		for i := range dx {
			dx[i] = dOut // the gradient of a sum reaches every addend unchanged
		}
		return dx
	}
	for i := range dx {
		dx[i] = e.grad(fmt.Sprintf("dx%d", i), l.inShapes[i])
	}
	e.emit(tensor.Split{X: dOut, Outputs: dx, Widths: l.widths, Outer: l.outer})
	return dx
}

// getConfig writes the Keras config of Add or Concatenate.
func (l *mergeLayer) getConfig() object {
	if l.concat {
		return object{{"axis", -1}}
	}
	return object{}
}

// concatenateFromConfig builds a Concatenate from its Keras config.
func concatenateFromConfig(c *layerCfg) Layer {
	c.Axis("axis")
	return Concatenate(c.opts...)
}
