// Package kerasjson is the layout of Keras's model.to_json() documents,
// which Anvil writes as model.json and reads from Keras: the top-level
// {"class_name": "Sequential" or "Functional", "config": {...}}, each
// layer's {"class_name", "config", "name", "inbound_nodes"} entry, the
// inbound-node references of both tf.keras 2.x and Keras 3, serialized
// initializers, and a strict reader for one layer's config map.
//
// It knows the file format only, not Anvil's layers: package nn, which
// imports it, turns configs into layers and layers into configs (each
// layer type beside its own code, as Keras's get_config and from_config
// are). Decoding keeps numbers exact (json.Number), and every reader treats
// its input as untrusted: errors name the layer and key, nothing panics.
package kerasjson

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// LayoutVersion is the tf.keras release whose to_json layout Anvil
// writes; tf.keras 2.x and Keras 3 both read it.
const LayoutVersion = "2.15.0"

// Doc is the top level of a to_json document.
type Doc struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

// Graph is a model's config: its layers and, for functional models, which
// layer outputs are the model's inputs and output.
type Graph struct {
	Name         string  `json:"name"`
	Layers       []Entry `json:"layers"`
	InputLayers  any     `json:"input_layers"`
	OutputLayers any     `json:"output_layers"`
}

// Entry is one layer of a model's config.
type Entry struct {
	ClassName    string         `json:"class_name"`
	Config       map[string]any `json:"config"`
	Name         string         `json:"name"`
	InboundNodes any            `json:"inbound_nodes"`
}

// Model class names as Parse returns them.
const (
	Sequential = "Sequential"
	Functional = "Functional"
)

// Parse reads a to_json document and returns its class (Sequential or
// Functional; the older "Model" reads as Functional) and its config. It
// also reads Keras 2.0-2.2's Sequential config, a bare list of layers.
func Parse(data []byte) (class string, g Graph, err error) {
	var doc Doc
	if err := Decode(data, &doc); err != nil {
		return "", g, fmt.Errorf("not valid JSON: %w", err)
	}
	switch doc.ClassName {
	case Sequential:
		if bytes.HasPrefix(bytes.TrimSpace(doc.Config), []byte("[")) {
			err = Decode(doc.Config, &g.Layers)
		} else {
			err = Decode(doc.Config, &g)
		}
	case Functional, "Model":
		doc.ClassName, err = Functional, Decode(doc.Config, &g)
	default:
		return "", g, fmt.Errorf("class_name %q: want \"Sequential\", \"Functional\" or \"Model\" (is this a Keras model.to_json() file?)", doc.ClassName)
	}
	if err != nil {
		return "", g, fmt.Errorf("config: %w", err)
	}
	return doc.ClassName, g, nil
}

// Decode decodes keeping numbers exact (json.Number), so integers and
// float32 settings are parsed at their own precision, and rejects data
// after the JSON value.
func Decode(data []byte, v any) error {
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

// EntryName is a layer's name: the entry's, else its config's.
func EntryName(e Entry) string {
	if e.Name != "" {
		return e.Name
	}
	s, _ := e.Config["name"].(string)
	return s
}

// BatchInputShape reads Keras's batch_input_shape (Keras 3: batch_shape),
// [batch, d1, d2, ...], and returns the per-sample dimensions, which must
// be fixed and hold at most maxValues values in all.
func BatchInputShape(cfg map[string]any, maxValues int) ([]int, error) {
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
		n, err := ToInt(x)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("batch_input_shape %s: dimension %d must be a fixed positive size (Anvil has no variable-size inputs)", Compact(v), i+1)
		}
		dims[i], size = n, size*float64(n)
	}
	if size > float64(maxValues) {
		return nil, fmt.Errorf("batch_input_shape %s: %.0f values per sample is more than Anvil loads (%d)", Compact(v), size, maxValues)
	}
	return dims, nil
}
