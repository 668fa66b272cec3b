package nn

import (
	"encoding/json"
	"fmt"

	"github.com/anvil-ml/anvil/format/kerasjson"
)

// ToJSON returns the model's architecture in the layout of Keras's
// model.to_json(): {"class_name": "Sequential" or "Functional", "config":
// {"name", "layers", ...}, "keras_version", "backend"}. It holds no
// weights (SaveModel writes those). Sequential models list an InputLayer
// first, as tf.keras 2.x does, and their first layer also carries
// batch_input_shape, so older readers find the input shape too. Each
// layer's "dtype" is its policy: "float32", or under mixed precision
// tf.keras 2's {"class_name": "Policy", "config": {"name":
// "mixed_float16"}} (mixed_policy.go).
func (m *Model) ToJSON() ([]byte, error) {
	if m.output == nil {
		return nil, fmt.Errorf("to_json %q: the model has no layers", m.name)
	}
	if err := m.checkUniqueNames(); err != nil {
		return nil, fmt.Errorf("to_json %q: %w", m.name, err)
	}
	class, cfg := "Functional", m.functionalJSON()
	if m.sequential {
		class, cfg = "Sequential", m.sequentialJSON()
	}
	doc := object{{"class_name", class}, {"config", cfg}, {"keras_version", kerasjson.LayoutVersion}, {"backend", "tensorflow"}}
	return json.Marshal(doc) // one line, as Keras's to_json writes it
}

// checkUniqueNames rejects two layers with one name: files refer to layers
// (and weights to variables) by name.
func (m *Model) checkUniqueNames() error {
	seen := map[string]bool{}
	for _, n := range m.nodes {
		if name := n.layer.name; seen[name] && !sameLayerNodes(m, name) {
			return fmt.Errorf("two layers are named %q: give them distinct names with nn.WithName", name)
		}
		seen[n.layer.name] = true
	}
	return nil
}

// sameLayerNodes reports whether every node called name belongs to one
// layer (a shared layer is called several times under one name).
func sameLayerNodes(m *Model, name string) bool {
	var first *layerBase
	for _, n := range m.nodes {
		if n.layer.name != name {
			continue
		}
		if first == nil {
			first = n.layer
		}
		if n.layer != first {
			return false
		}
	}
	return true
}

func (m *Model) sequentialJSON() object {
	in := m.inputs[0]
	layers := []any{inputLayerJSON(in)}
	for i, l := range m.Layers() {
		var extra object
		if i == 0 {
			extra = object{{"batch_input_shape", kerasjson.BatchShape(in.shape)}}
		}
		layers = append(layers, object{{"class_name", l.ClassName()}, {"config", layerConfigJSON(l.base(), m.dtypeJSON(l.base()), extra)}})
	}
	return object{{"name", m.name}, {"layers", layers}}
}

// layerConfigJSON is a layer's whole config: the keys every layer has, then
// its own (getConfig).
func layerConfigJSON(b *layerBase, dtype any, extra object) object {
	o := object{{"name", b.name}, {"trainable", true}, {"dtype", dtype}}
	o = append(o, extra...)
	return append(o, b.impl.(configWriter).getConfig()...)
}

func inputLayerJSON(in *Symbol) object {
	cfg := object{{"batch_input_shape", kerasjson.BatchShape(in.shape)}, {"dtype", "float32"},
		{"sparse", false}, {"ragged", false}, {"name", in.node.layer.name}}
	return object{{"class_name", "InputLayer"}, {"config", cfg}}
}

// functionalJSON writes each layer once with its inbound nodes. A node
// refers to the k-th call (within this model) of the layer that produced
// each input, as Keras's node indices do.
func (m *Model) functionalJSON() object {
	index := m.nodeIndices()
	ref := func(s *Symbol) []any { return []any{s.node.layer.name, index[s.node], 0} }
	var layers []any
	for _, l := range m.Layers() {
		b := l.base()
		var entry object
		if in := m.inputFor(b); in != nil {
			entry = inputLayerJSON(in)
		} else {
			entry = object{{"class_name", b.class}, {"config", layerConfigJSON(b, m.dtypeJSON(b), nil)}}
		}
		nodes := []any{}
		for _, n := range m.nodes {
			if n.layer != b || n.inputs == nil {
				continue
			}
			var ins []any
			for _, s := range n.inputs {
				ins = append(ins, append(ref(s), object{}))
			}
			nodes = append(nodes, ins)
		}
		layers = append(layers, append(entry, field{"name", b.name}, field{"inbound_nodes", nodes}))
	}
	var inputs []any
	for _, s := range m.inputs {
		inputs = append(inputs, ref(s))
	}
	return object{{"name", m.name}, {"layers", layers}, {"input_layers", inputs},
		{"output_layers", []any{ref(m.output)}}}
}

// nodeIndices numbers each layer's nodes in the order the model runs them.
func (m *Model) nodeIndices() map[*node]int {
	count := map[*layerBase]int{}
	out := map[*node]int{}
	for _, n := range m.nodes {
		out[n] = count[n.layer]
		count[n.layer]++
	}
	return out
}

// inputFor returns the model input made by an InputLayer (nil for others).
func (m *Model) inputFor(b *layerBase) *Symbol {
	for _, s := range m.inputs {
		if s.node.layer == b {
			return s
		}
	}
	return nil
}
