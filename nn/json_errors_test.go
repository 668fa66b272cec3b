package nn

import (
	"encoding/json"
	"strings"
	"testing"
)

// mutateKeras decodes a testdata file, lets edit change it, and re-encodes.
func mutateKeras(t *testing.T, file string, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readKeras(t, file), &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// entry finds a layer entry of a decoded model by name.
func entry(doc map[string]any, name string) map[string]any {
	for _, l := range doc["config"].(map[string]any)["layers"].([]any) {
		e := l.(map[string]any)
		if e["config"].(map[string]any)["name"] == name {
			return e
		}
	}
	panic("no layer " + name)
}

// setKey sets one config key of the named layer of the reference CNN.
func setKey(layer, key string, v any) func(map[string]any) {
	return func(doc map[string]any) { entry(doc, layer)["config"].(map[string]any)[key] = v }
}

func TestUnsupportedKerasSettingsAreErrors(t *testing.T) {
	cnn := "cifar_cnn_functional_tf2.json"
	l2 := map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.01}}
	cases := []struct {
		name string
		edit func(map[string]any)
		want []string
	}{
		{"channels_first", setKey("conv2d", "data_format", "channels_first"), []string{`"conv2d"`, "data_format", "channels_first"}},
		{"dilation", setKey("conv2d_1", "dilation_rate", []any{2, 2}), []string{`"conv2d_1"`, "dilation_rate", "[2,2]"}},
		{"groups", setKey("conv2d", "groups", 2), []string{`"conv2d"`, "groups"}},
		{"bn axis", setKey("batch_normalization", "axis", []any{1}), []string{`"batch_normalization"`, `"axis"`, "last axis"}},
		{"bias regularizer", setKey("dense", "bias_regularizer", l2), []string{`"dense"`, "bias_regularizer", "L2"}},
		{"frozen", setKey("dense", "trainable", false), []string{`"dense"`, "trainable"}},
		{"float16", setKey("dense", "dtype", "float16"), []string{`"dense"`, "dtype", "float16"}},
		{"center off", setKey("batch_normalization_4", "center", false), []string{`"batch_normalization_4"`, "center"}},
		{"noise shape", setKey("dropout", "noise_shape", []any{1, 128}), []string{`"dropout"`, "noise_shape"}},
		{"orthogonal", setKey("dense_1", "kernel_initializer", map[string]any{"class_name": "Orthogonal", "config": map[string]any{"gain": 1}}),
			[]string{`"dense_1"`, "kernel_initializer", "Orthogonal"}},
		{"stddev", setKey("dense_1", "kernel_initializer", map[string]any{"class_name": "RandomNormal", "config": map[string]any{"mean": 0, "stddev": 1}}),
			[]string{`"dense_1"`, "stddev"}},
		{"unknown activation", setKey("activation", "activation", "hard_silu"), []string{`"activation"`, "hard_silu"}},
		{"unknown class", func(d map[string]any) { entry(d, "flatten")["class_name"] = "LSTM" }, []string{`"flatten"`, `"LSTM"`, "not supported"}},
		{"unknown inbound", func(d map[string]any) {
			entry(d, "flatten")["inbound_nodes"] = []any{[]any{[]any{"nowhere", 0, 0, map[string]any{}}}}
		}, []string{`"flatten"`, `"nowhere"`}},
		{"call kwargs", func(d map[string]any) {
			entry(d, "dropout")["inbound_nodes"] = []any{[]any{[]any{"leaky_re_lu_4", 0, 0, map[string]any{"training": true}}}}
		}, []string{`"dropout"`, "training"}},
		{"cycle", func(d map[string]any) {
			entry(d, "conv2d")["inbound_nodes"] = []any{[]any{[]any{"activation", 0, 0, map[string]any{}}}}
		}, []string{"cycle"}},
		{"two outputs", func(d map[string]any) {
			d["config"].(map[string]any)["output_layers"] = []any{[]any{"dense_1", 0, 0}, []any{"activation", 0, 0}}
		}, []string{"2 outputs"}},
		{"variable size", setKey("input_1", "batch_input_shape", []any{nil, nil, 32, 3}), []string{`"input_1"`, "fixed"}},
		{"too many weights", setKey("dense", "units", 1<<20), []string{`"dense"`, "weights"}},
		{"wrong class", func(d map[string]any) { d["class_name"] = "Layer" }, []string{`"Layer"`, "Sequential"}},
		{"duplicate names", func(d map[string]any) {
			entry(d, "dense_1")["name"] = "dense"
			entry(d, "dense_1")["config"].(map[string]any)["name"] = "dense"
		}, []string{`"dense"`, "unique"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ModelFromJSON(mutateKeras(t, cnn, c.edit))
			wantErr(t, err, append(c.want, "model architecture")...)
		})
	}
}

func TestBrokenJSONIsAnError(t *testing.T) {
	for _, data := range []string{"", "{", "[1]", `{"class_name": "Sequential", "config": {"layers": []}}`,
		`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}}`} {
		if _, err := ModelFromJSON([]byte(data)); err == nil || !strings.Contains(err.Error(), "model architecture") {
			t.Errorf("ModelFromJSON(%q) = %v", data, err)
		}
	}
}

func TestReLUWithCeilingIsAnError(t *testing.T) {
	data := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
	  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}},
	  {"class_name": "ReLU", "config": {"name": "relu6", "max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}}]}}`
	_, err := ModelFromJSON([]byte(data))
	wantErr(t, err, `"relu6"`, "max_value")
}
