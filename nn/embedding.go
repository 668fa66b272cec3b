package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// embeddingLayer is Keras's Embedding: each integer index of a sample's
// sequence selects a row of the embeddings matrix [input_dim, output_dim].
type embeddingLayer struct {
	*layerBase
	inputDim, outputDim int
	positions           int // indices per sample
	embeddings          *Variable
}

// Embedding maps integer indices in 0..inputDim-1 to outputDim-vectors.
// Its input is a model input of any per-sample shape, holding the indices
// as float32 whole numbers; Fit, Evaluate and Predict reject any other
// value with an error naming the sample. The output adds an axis of
// outputDim. Options: WithEmbeddingsInitializer (default "random_uniform",
// Keras's "uniform": U(-0.05, 0.05)), WithEmbeddingsRegularizer. Keras's
// mask_zero is not supported.
func Embedding(inputDim, outputDim int, opts ...Option) Layer {
	l := &embeddingLayer{inputDim: inputDim, outputDim: outputDim}
	l.layerBase = newBase("Embedding", []string{"embeddings_initializer", "embeddings_regularizer"}, opts, l)
	if l.err == nil && (inputDim <= 0 || outputDim <= 0) {
		l.err = fmt.Errorf("input_dim %d and output_dim %d must be positive", inputDim, outputDim)
	}
	return l
}

// WithEmbeddingsInitializer sets an Embedding's initializer (the names
// WithKernelInitializer takes); the embeddings are the layer's kernel.
func WithEmbeddingsInitializer(name string) Option {
	return opt("embeddings_initializer", func(c *config) error {
		_, err := initializerByName(name)
		c.kernelInitializer = name
		return err
	})
}

func (l *embeddingLayer) build(in []tensor.Shape) (tensor.Shape, error) {
	x, err := oneInput(in)
	if err != nil {
		return nil, err
	}
	l.positions = x.Size()
	init, _ := initializerByName(l.initializerName())
	l.embeddings = l.addVar("embeddings", tensor.Shape{l.inputDim, l.outputDim}, true, init)
	return append(x.Clone(), l.outputDim), nil
}

func (l *embeddingLayer) initializerName() string {
	return orDefault(l.cfg.kernelInitializer, "random_uniform")
}

func (l *embeddingLayer) forward(e *emitter, in []tensor.BufferID) tensor.BufferID {
	y := e.act("y", l.outShape)
	e.emit(tensor.EmbeddingLookup{Indices: in[0], Table: e.param(l.embeddings), Y: y,
		Positions: l.positions, Dim: l.outputDim, Vocab: l.inputDim})
	return y
}

// backward writes the embeddings' gradient. Indices have no gradient;
// checkEmbeddingInputs makes every Embedding take a model input, so no
// layer before it asks for one.
func (l *embeddingLayer) backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID {
	e.emit(tensor.EmbeddingBackward{Indices: in[0], DY: dOut, DTable: e.varGrad(l.embeddings),
		Positions: l.positions, Dim: l.outputDim, Vocab: l.inputDim})
	dx := []tensor.BufferID{tensor.NoBuffer}
	if need[0] {
		dx[0] = e.grad("dx", l.inShapes[0]) // unreachable: see checkEmbeddingInputs
	}
	return dx
}

// checkEmbeddingInputs checks every Embedding's indices: the layer must
// take a model input (Anvil passes no gradient through indices, as Keras
// does not), and each value must be a whole number below input_dim.
func (m *Model) checkEmbeddingInputs(xs []*tensor.Tensor, what string) error {
	for _, n := range m.nodes {
		l, ok := n.layer.impl.(*embeddingLayer)
		if !ok {
			continue
		}
		i := m.inputIndex(n.inputs[0])
		if i < 0 {
			return fmt.Errorf("%s: Embedding %q must take a model input (its indices), not another layer's output", what, l.name)
		}
		x := xs[i]
		for j, v := range x.Data {
			if _, ok := tensor.EmbeddingIndex(v, l.inputDim); !ok {
				return fmt.Errorf("%s: input %d holds %v at sample %d, which Embedding %q cannot look up: indices must be whole numbers in 0..%d",
					what, i, v, j/x.RowSize(), l.name, l.inputDim-1)
			}
		}
	}
	return nil
}

// inputIndex returns which model input s is, or -1.
func (m *Model) inputIndex(s *Symbol) int {
	for i, in := range m.inputs {
		if in.node == s.node { // every symbol, an Input's too, has its node
			return i
		}
	}
	return -1
}

// getConfig writes Embedding's Keras config (Keras 3's keys; tf.keras
// 2.x's input_length is left out, as Keras 3 rejects it).
func (l *embeddingLayer) getConfig() object {
	o := object{{"input_dim", l.inputDim}, {"output_dim", l.outputDim},
		{"embeddings_initializer", initializerConfig(l.initializerName())}}
	o = append(o, field{"embeddings_regularizer", l.regularizerJSON("embeddings")})
	o = append(o, offConfig("activity_regularizer", "embeddings_constraint")...)
	return append(o, field{"mask_zero", false})
}

// embeddingFromConfig builds an Embedding from its Keras config.
func embeddingFromConfig(c *layerCfg) Layer {
	inputDim, outputDim := c.Int("input_dim", 0), c.Int("output_dim", 0)
	if c.Vals["embeddings_initializer"] == "uniform" { // Keras's default, by its short name
		c.Vals["embeddings_initializer"] = "random_uniform"
	}
	c.add(WithEmbeddingsInitializer(c.initializer("embeddings_initializer", "random_uniform")))
	if r, ok := c.regularizer("embeddings_regularizer"); ok {
		c.add(WithEmbeddingsRegularizer(r))
	}
	c.Require("mask_zero", "false")
	c.Take("input_length") // tf.keras 2.x's record of the input shape
	return Embedding(inputDim, outputDim, c.opts...)
}
