package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// maxImportParams bounds the weights a model read from a file may have
// (1 GiB of float32): building the model allocates them at once, and a
// hostile or corrupt file must not be able to exhaust memory. It is a
// variable only so that the fuzz test can lower it.
var maxImportParams = 1 << 28

// ModelFromJSON rebuilds a model from Keras's model.to_json() layout, as
// ToJSON writes it or as tf.keras 2.x (and Keras 3) export it: Sequential
// (the input shape from an InputLayer entry or from the first layer's
// batch_input_shape; also Keras 2.0's bare list of layers) and Functional
// (also the older class name "Model"). Weights are freshly initialised;
// LoadModel also restores them.
//
// Each layer's dtype policy ("float32" or "mixed_float16", as tf.keras 2.x
// or Keras 3 writes it) is read: a model with a mixed_float16 layer is a
// mixed-precision model, whose float32 layers keep their products in
// float32 (mixed_policy.go).
//
// A class or setting Anvil does not implement (channels_first, dilation,
// groups, a regularizer, an axis other than the last, ...) is an error
// naming the layer and the key: the result is never a silently different
// model.
//
// Layers keep the names in the file and, as in Keras, do not advance the
// automatic name counters: a Dense created afterwards is named as if no
// file had been read, except that automatic names skip any name the file
// used, so a new layer never collides with a loaded one.
func ModelFromJSON(data []byte) (*Model, error) {
	m, err := modelFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("model architecture: %w", err)
	}
	taken := []string{m.name}
	for _, n := range m.nodes {
		taken = append(taken, n.layer.name)
	}
	reserveNames(taken...)
	m.settleImportedPolicies()
	return m, nil
}

func modelFromJSON(data []byte) (*Model, error) {
	class, g, err := kerasjson.Parse(data)
	if err != nil {
		return nil, err
	}
	if class == kerasjson.Sequential {
		return sequentialFromJSON(g)
	}
	return functionalFromJSON(g)
}

func sequentialFromJSON(g kerasjson.Graph) (*Model, error) {
	entries := g.Layers
	if len(entries) == 0 || (len(entries) == 1 && entries[0].ClassName == "InputLayer") {
		return nil, fmt.Errorf("the Sequential model has no layers")
	}
	in, err := sequentialInput(entries[0])
	if err != nil {
		return nil, err
	}
	if entries[0].ClassName == "InputLayer" {
		entries = entries[1:]
	}
	m := &Model{sequential: true, name: orDefault(g.Name, "sequential"), inputs: []*Symbol{in}, output: in}
	params := 0
	seen := map[string]bool{in.node.layer.name: true}
	for _, e := range entries {
		l, c, err := layerFromEntry(e)
		if err != nil {
			return nil, err
		}
		if seen[l.Name()] {
			return nil, fmt.Errorf("two layers are named %q; Keras requires unique names", l.Name())
		}
		seen[l.Name()] = true
		if err := countParams(&params, l, []tensor.Shape{m.output.shape}); err != nil {
			return nil, err
		}
		if err := m.Add(l); err != nil {
			return nil, err
		}
		if err := c.CheckAxes(len(l.base().inShapes[0])); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sequentialInput makes the input of a Sequential model from its first
// entry: an InputLayer, or a layer that carries batch_input_shape (whose
// input Keras names "<layer>_input").
func sequentialInput(e kerasjson.Entry) (*Symbol, error) {
	if e.ClassName == "InputLayer" {
		return inputFromEntry(e)
	}
	name := kerasjson.EntryName(e)
	dims, err := kerasjson.BatchInputShape(e.Config, maxImportParams)
	if err != nil {
		return nil, fmt.Errorf("layer %q (%s), the first of the Sequential model: %w", name, e.ClassName, err)
	}
	return InputNamed(name+"_input", dims...), nil
}

// inputFromEntry builds an InputLayer entry's symbolic input.
func inputFromEntry(e kerasjson.Entry) (*Symbol, error) {
	name := kerasjson.EntryName(e)
	dims, err := kerasjson.BatchInputShape(e.Config, maxImportParams)
	if err != nil {
		return nil, fmt.Errorf("layer %q (InputLayer): %w", name, err)
	}
	c := newLayerCfg("InputLayer", name, e.Config)
	c.Require("sparse", "false")
	c.Require("ragged", "false")
	if err := c.Done(); err != nil {
		return nil, err
	}
	s := InputNamed(name, dims...)
	return s, s.Err()
}

// layerFromEntry builds one non-input layer from its entry.
func layerFromEntry(e kerasjson.Entry) (Layer, *layerCfg, error) {
	name := kerasjson.EntryName(e)
	if name == "" {
		return nil, nil, fmt.Errorf("a %s layer has no name", e.ClassName)
	}
	build, ok := layerFromConfig[e.ClassName]
	if !ok {
		return nil, nil, fmt.Errorf("layer %q: class %q is not supported (Anvil has %v)", name, e.ClassName, supportedClasses())
	}
	if e.Config == nil {
		e.Config = map[string]any{}
	}
	c := newLayerCfg(e.ClassName, name, e.Config)
	l := build(c)
	if err := c.Done(); err != nil {
		return nil, nil, err
	}
	if err := l.base().err; err != nil {
		return nil, nil, fmt.Errorf("layer %q (%s): %w", name, e.ClassName, err)
	}
	l.base().cfg.dtype = c.Policy // settled by settleImportedPolicies
	return l, c, nil
}

// countParams adds the weights l will create on inputs of shapes in to
// *total and fails past maxImportParams, before anything is allocated.
func countParams(total *int, l Layer, in []tensor.Shape) error {
	var n float64
	switch l := l.(type) {
	case *denseLayer:
		if s := in[0]; len(s) > 0 {
			n = float64(s[len(s)-1]+1) * float64(l.units)
		}
	case *conv2DLayer:
		if s := in[0]; len(s) == 3 || (l.oneD && len(s) == 2) {
			k := l.cfg.kernelSize
			n = (float64(k[0])*float64(k[1])*float64(s[len(s)-1]) + 1) * float64(l.filters)
		}
	case *embeddingLayer:
		n = float64(l.inputDim) * float64(l.outputDim)
	case *batchNormLayer:
		if s := in[0]; len(s) > 0 {
			n = 4 * float64(s[len(s)-1])
		}
	case *convTransposeLayer:
		if s := in[0]; len(s) == 3 {
			k := l.cfg.kernelSize
			n = (float64(k[0])*float64(k[1])*float64(s[2]) + 1) * float64(l.filters)
		}
	case *depthwiseLayer:
		if s := in[0]; len(s) == 3 {
			n = depthwiseParams(l.cfg.kernelSize, s[2], l.cfg.conv.multiplier(), true)
		}
	case *separableLayer:
		if s := in[0]; len(s) == 3 {
			mid := float64(s[2]) * float64(l.cfg.conv.multiplier())
			n = depthwiseParams(l.cfg.kernelSize, s[2], l.cfg.conv.multiplier(), false) + (mid+1)*float64(l.filters)
		}
	}
	if float64(*total)+n > float64(maxImportParams) {
		return fmt.Errorf("layer %q would bring the model past %d weights, more than Anvil loads from a file", l.Name(), maxImportParams)
	}
	*total += int(n)
	return nil
}
