package nn

import (
	"errors"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Model is a Keras model: a graph of layers from inputs to one output,
// built either functionally (NewModel) or as a Sequential stack.
type Model struct {
	name       string
	sequential bool
	seqLayers  []Layer // the stack as added, for a Sequential model
	inputs     []*Symbol
	output     *Symbol
	nodes      []*node // every layer application, inputs first (topological order)

	compiled *compiled // nil until Compile
	run      *runner   // the backend program, built on first use
	backend  tensor.Backend
	// dataBudget is SetDataBudget's bytes; 0 for the default.
	dataBudget int64

	stopTraining bool // set by StopTraining, cleared by each Fit
}

// NewModel builds a functional model from inputs to output (Keras's
// Model(inputs, outputs)). It reports any error met while the layers were
// called, naming the layer and the shapes.
func NewModel(inputs []*Symbol, output *Symbol, name ...string) (*Model, error) {
	m := &Model{inputs: inputs, output: output}
	m.name = uniqueName("model")
	if len(name) > 0 && name[0] != "" {
		m.name = name[0]
	}
	if err := m.link(); err != nil {
		return nil, err
	}
	return m, nil
}

// NewSequential stacks layers in order (Keras's Sequential). The first
// layer needs WithInputShape, unless layers are added to a model that
// starts from Input via AddInput.
func NewSequential(layers ...Layer) (*Model, error) {
	m := &Model{sequential: true, name: uniqueName("sequential")}
	for _, l := range layers {
		if err := m.Add(l); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Add appends a layer to a Sequential model and checks its shapes at once.
func (m *Model) Add(l Layer) error {
	if !m.sequential {
		return fmt.Errorf("model %q: Add works on Sequential models only", m.name)
	}
	if m.compiled != nil {
		return fmt.Errorf("model %q: cannot add layers after Compile", m.name)
	}
	if l == nil {
		return fmt.Errorf("model %q: Add(nil)", m.name)
	}
	if err := l.base().err; err != nil {
		return fmt.Errorf("model %q: layer %q: %w", m.name, l.Name(), err)
	}
	if m.output == nil {
		shape := l.base().cfg.inputShape
		if shape == nil {
			return fmt.Errorf("model %q: the first layer %q needs an input shape: pass nn.WithInputShape(...)", m.name, l.Name())
		}
		in := Input(shape...)
		m.inputs, m.output = []*Symbol{in}, in
	}
	out := l.Call(m.output)
	if out.err != nil {
		return fmt.Errorf("model %q: %w", m.name, out.err)
	}
	m.seqLayers = append(m.seqLayers, l)
	m.output = out
	return m.link()
}

// Name is the model's Keras name ("sequential", "model_1", ...).
func (m *Model) Name() string { return m.name }

// Inputs returns the model's symbolic inputs.
func (m *Model) Inputs() []*Symbol { return m.inputs }

// OutputShape is the per-sample shape of the model's output.
func (m *Model) OutputShape() tensor.Shape { return m.output.Shape() }

// Layers returns the model's layers in the order Keras lists them: the
// Input layer first for functional models, then each layer once, in
// topological order.
func (m *Model) Layers() []Layer {
	var out []Layer
	seen := map[*layerBase]bool{}
	for _, n := range m.nodes {
		if m.sequential && n.inputs == nil {
			continue // Keras's Sequential summary hides its input layer
		}
		if !seen[n.layer] {
			seen[n.layer] = true
			out = append(out, layerOf(n.layer))
		}
	}
	return out
}

// layerOf recovers the Layer interface value of a base.
func layerOf(b *layerBase) Layer { return b.impl.(Layer) }

// link checks the graph and orders its nodes.
func (m *Model) link() error {
	if m.output == nil {
		return errors.New("model has no output")
	}
	if m.output.err != nil {
		return m.output.err
	}
	isInput := map[*Symbol]bool{}
	for i, in := range m.inputs {
		if in == nil || in.node == nil || in.node.inputs != nil || in.node.layer.class != "InputLayer" {
			return fmt.Errorf("model input %d is not a symbol made by nn.Input", i)
		}
		if in.err != nil {
			return in.err
		}
		isInput[in] = true
	}
	m.nodes = nil
	visited := map[*node]bool{}
	var visit func(s *Symbol) error
	visit = func(s *Symbol) error {
		if visited[s.node] {
			return nil
		}
		visited[s.node] = true
		if s.node.inputs == nil && !isInput[s] {
			return fmt.Errorf("the output depends on input %q, which is not among the model's inputs", s.node.layer.name)
		}
		for _, in := range s.node.inputs {
			if err := visit(in); err != nil {
				return err
			}
		}
		m.nodes = append(m.nodes, s.node)
		return nil
	}
	return visit(m.output)
}

// symbolOf finds the symbol a node produced; each node has exactly one.
func (m *Model) outputsByNode() map[*node]*Symbol {
	out := map[*node]*Symbol{}
	var walk func(s *Symbol)
	walk = func(s *Symbol) {
		if _, ok := out[s.node]; ok {
			return
		}
		out[s.node] = s
		for _, in := range s.node.inputs {
			walk(in)
		}
	}
	walk(m.output)
	return out
}

// Variables returns every variable of the model in Keras's weight order.
func (m *Model) Variables() []*Variable {
	var vs []*Variable
	for _, l := range m.Layers() {
		vs = append(vs, l.Weights()...)
	}
	return vs
}

// CountParams returns the trainable and non-trainable parameter counts.
func (m *Model) CountParams() (trainable, nonTrainable int) {
	for _, v := range m.Variables() {
		if v.Trainable {
			trainable += v.Shape.Size()
		} else {
			nonTrainable += v.Shape.Size()
		}
	}
	return trainable, nonTrainable
}
