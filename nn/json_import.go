package nn

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// maxImportParams bounds the weights a model read from a file may have
// (1 GiB of float32): building the model allocates them at once, and a
// hostile or corrupt file must not be able to exhaust memory. It is a
// variable only so that the fuzz test can lower it.
var maxImportParams = 1 << 28

// kerasDoc is the top level of Keras's to_json output.
type kerasDoc struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

// kerasGraph is a model's config: its layers and, for functional models,
// which layer outputs are the model's inputs and output.
type kerasGraph struct {
	Name         string       `json:"name"`
	Layers       []kerasEntry `json:"layers"`
	InputLayers  any          `json:"input_layers"`
	OutputLayers any          `json:"output_layers"`
}

// kerasEntry is one layer of a model's config.
type kerasEntry struct {
	ClassName    string         `json:"class_name"`
	Config       map[string]any `json:"config"`
	Name         string         `json:"name"`
	InboundNodes any            `json:"inbound_nodes"`
}

// ModelFromJSON rebuilds a model from Keras's model.to_json() layout, as
// ToJSON writes it or as tf.keras 2.x (and Keras 3) export it: Sequential
// (the input shape from an InputLayer entry or from the first layer's
// batch_input_shape; also Keras 2.0's bare list of layers) and Functional
// (also the older class name "Model"). Weights are freshly initialised;
// LoadModel also restores them.
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
	return m, nil
}

func modelFromJSON(data []byte) (*Model, error) {
	var doc kerasDoc
	if err := decodeJSON(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	var g kerasGraph
	switch doc.ClassName {
	case "Sequential":
		// Keras 2.0-2.2 wrote a Sequential config as the bare list of layers.
		if bytes.HasPrefix(bytes.TrimSpace(doc.Config), []byte("[")) {
			if err := decodeJSON(doc.Config, &g.Layers); err != nil {
				return nil, fmt.Errorf("config: %w", err)
			}
		} else if err := decodeJSON(doc.Config, &g); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return sequentialFromJSON(g)
	case "Functional", "Model":
		if err := decodeJSON(doc.Config, &g); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return functionalFromJSON(g)
	}
	return nil, fmt.Errorf("class_name %q: want \"Sequential\", \"Functional\" or \"Model\" (is this a Keras model.to_json() file?)", doc.ClassName)
}

// decodeJSON decodes keeping numbers exact (json.Number), so integers and
// float32 settings are parsed at their own precision.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

func sequentialFromJSON(g kerasGraph) (*Model, error) {
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
		if err := c.checkAxes(len(l.base().inShapes[0])); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sequentialInput makes the input of a Sequential model from its first
// entry: an InputLayer, or a layer that carries batch_input_shape (whose
// input Keras names "<layer>_input").
func sequentialInput(e kerasEntry) (*Symbol, error) {
	if e.ClassName == "InputLayer" {
		return inputFromEntry(e)
	}
	name := entryName(e)
	dims, err := batchInputShape(e.Config)
	if err != nil {
		return nil, fmt.Errorf("layer %q (%s), the first of the Sequential model: %w", name, e.ClassName, err)
	}
	return InputNamed(name+"_input", dims...), nil
}

// inputFromEntry builds an InputLayer entry's symbolic input.
func inputFromEntry(e kerasEntry) (*Symbol, error) {
	name := entryName(e)
	dims, err := batchInputShape(e.Config)
	if err != nil {
		return nil, fmt.Errorf("layer %q (InputLayer): %w", name, err)
	}
	c := newLayerCfg("InputLayer", name, e.Config)
	c.require("sparse", "false")
	c.require("ragged", "false")
	if err := c.done(); err != nil {
		return nil, err
	}
	s := InputNamed(name, dims...)
	return s, s.Err()
}

// batchInputShape reads Keras's batch_input_shape (Keras 3: batch_shape),
// [batch, d1, d2, ...], and returns the per-sample dimensions.
func batchInputShape(cfg map[string]any) ([]int, error) {
	v := cfg["batch_input_shape"]
	if v == nil {
		v = cfg["batch_shape"]
	}
	l, ok := v.([]any)
	if !ok || len(l) < 2 {
		return nil, fmt.Errorf("no batch_input_shape: Anvil needs the input shape, e.g. [null, 32, 32, 3]")
	}
	dims := make([]int, len(l)-1)
	size := 1.0
	for i, x := range l[1:] {
		n, err := toInt(x)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("batch_input_shape %s: dimension %d must be a fixed positive size (Anvil has no variable-size inputs)", compact(v), i+1)
		}
		dims[i], size = n, size*float64(n)
	}
	if size > float64(maxImportParams) {
		return nil, fmt.Errorf("batch_input_shape %s: %.0f values per sample is more than Anvil loads (%d)", compact(v), size, maxImportParams)
	}
	return dims, nil
}

// entryName is a layer's name: the entry's, else its config's.
func entryName(e kerasEntry) string {
	if e.Name != "" {
		return e.Name
	}
	s, _ := e.Config["name"].(string)
	return s
}

// layerFromEntry builds one non-input layer from its entry.
func layerFromEntry(e kerasEntry) (Layer, *layerCfg, error) {
	name := entryName(e)
	if name == "" {
		return nil, nil, fmt.Errorf("a %s layer has no name", e.ClassName)
	}
	build, ok := layerImporters[e.ClassName]
	if !ok {
		return nil, nil, fmt.Errorf("layer %q: class %q is not supported (Anvil has %v)", name, e.ClassName, supportedClasses())
	}
	if e.Config == nil {
		e.Config = map[string]any{}
	}
	c := newLayerCfg(e.ClassName, name, e.Config)
	l := build(c)
	if err := c.done(); err != nil {
		return nil, nil, err
	}
	if err := l.base().err; err != nil {
		return nil, nil, fmt.Errorf("layer %q (%s): %w", name, e.ClassName, err)
	}
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
		if s := in[0]; len(s) == 3 {
			k := l.cfg.kernelSize
			n = (float64(k[0])*float64(k[1])*float64(s[2]) + 1) * float64(l.filters)
		}
	case *batchNormLayer:
		if s := in[0]; len(s) > 0 {
			n = 4 * float64(s[len(s)-1])
		}
	}
	if float64(*total)+n > float64(maxImportParams) {
		return fmt.Errorf("layer %q would bring the model past %d weights, more than Anvil loads from a file", l.Name(), maxImportParams)
	}
	*total += int(n)
	return nil
}
