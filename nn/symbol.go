package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Symbol is a symbolic tensor (Keras's KerasTensor): the output of an Input
// or of a layer call, with a known per-sample shape, from which a
// functional model is built.
type Symbol struct {
	shape tensor.Shape
	node  *node
	err   error
}

// node is one layer application in the graph.
type node struct {
	layer  *layerBase
	inputs []*Symbol
}

// Shape is the per-sample shape (without the batch dimension).
func (s *Symbol) Shape() tensor.Shape { return s.shape.Clone() }

// Err is the error from building the layer that produced this symbol, if any.
func (s *Symbol) Err() error { return s.err }

// inputLayer is Keras's InputLayer: a graph source with no ops.
type inputLayer struct {
	*layerBase
	shape tensor.Shape
}

// Input creates a symbolic input of one sample's shape, as keras.Input.
func Input(dims ...int) *Symbol {
	return InputNamed("", dims...)
}

// InputNamed is Input with a given layer name.
func InputNamed(name string, dims ...int) *Symbol {
	im := &inputLayer{shape: tensor.Shape(dims).Clone()}
	if name == "" {
		name = uniqueName("input")
	}
	b := newBase("InputLayer", nil, []Option{WithName(name)}, im)
	im.layerBase = b
	s := &Symbol{shape: im.shape.Clone(), node: &node{layer: b}}
	if err := checkDims(dims); err != nil {
		s.err = fmt.Errorf("Input: %w", err)
		return s
	}
	b.built, b.outShape = true, im.shape.Clone()
	return s
}

func (l *inputLayer) build(in []tensor.Shape) (tensor.Shape, error) { return l.shape, nil }

// forward is never called: the planner binds inputs to input buffers.
func (l *inputLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	return tensor.NoBuffer
}

func (l *inputLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	return nil
}
