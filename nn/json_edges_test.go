package nn

import (
	"testing"
)

// TestKerasJSONAtTheEdges loads Keras files edited to the edges of what
// the importer accepts: a Sequential model of one layer loads, one of
// only an InputLayer is refused; a functional model's output naming a
// node its layer does not have is refused (one past the last node, where
// an off-by-one would index out of range); and LayerNormalization with
// an initializer other than Keras's default is refused by name.
func TestKerasJSONAtTheEdges(t *testing.T) {
	firstLayers := func(n int) func(map[string]any) {
		return func(doc map[string]any) {
			cfg := doc["config"].(map[string]any)
			cfg["layers"] = cfg["layers"].([]any)[:n]
		}
	}
	onlyFlatten := func(doc map[string]any) {
		cfg := doc["config"].(map[string]any)
		cfg["layers"] = cfg["layers"].([]any)[1:2] // Flatten, which carries batch_input_shape
	}
	m, err := ModelFromJSON(mutateKeras(t, "cifar_mlp_sequential_tf2.json", onlyFlatten))
	if err != nil {
		t.Fatalf("a Sequential model of one Flatten layer: %v", err)
	}
	if got := m.output.shape.BatchString(); got != "(None, 3072)" {
		t.Errorf("a Sequential model of one Flatten layer outputs %s, want (None, 3072)", got)
	}
	_, err = ModelFromJSON(mutateKeras(t, "cifar_mlp_sequential_tf2.json", firstLayers(1)))
	wantErr(t, err, "the Sequential model has no layers")

	pastLastNode := func(doc map[string]any) {
		doc["config"].(map[string]any)["output_layers"] = []any{[]any{"activation", 1, 0}}
	}
	_, err = ModelFromJSON(mutateKeras(t, "cifar_cnn_functional_tf2.json", pastLastNode))
	wantErr(t, err, `["activation", 1, 0] names no tensor of the model`)

	onesBeta := func(doc map[string]any) {
		entry(doc, "layer_normalization")["config"].(map[string]any)["beta_initializer"] =
			map[string]any{"module": "keras.initializers", "class_name": "Ones", "config": map[string]any{}, "registered_name": nil}
	}
	_, err = ModelFromJSON(mutateKeras(t, "augmented_cnn_sequential_keras3.json", onesBeta))
	wantErr(t, err, "beta_initializer", "is not supported")
}
