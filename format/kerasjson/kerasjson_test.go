package kerasjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseLayouts(t *testing.T) {
	cases := []struct {
		doc, class string
		layers     int
	}{
		{`{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d"}}]}}`, Sequential, 1},
		// Keras 2.0-2.2: a Sequential config is the bare list of layers.
		{`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {}}, {"class_name": "ReLU", "config": {}}]}`, Sequential, 2},
		// The older functional class name.
		{`{"class_name": "Model", "config": {"name": "m", "layers": []}}`, Functional, 0},
	}
	for _, c := range cases {
		class, g, err := Parse([]byte(c.doc))
		if err != nil || class != c.class || len(g.Layers) != c.layers {
			t.Errorf("Parse(%s) = %q with %d layers, %v; want %q with %d", c.doc, class, len(g.Layers), err, c.class, c.layers)
		}
	}
	for _, bad := range []string{"", "{", `{"class_name": "Layer", "config": {}}`, `{"class_name": "Sequential", "config": 3}`, `{} {}`} {
		if _, _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// TestInboundNodes reads both Keras layouts of a layer's calls to the same
// references.
func TestInboundNodes(t *testing.T) {
	var keras2, keras3 any
	Decode([]byte(`[[["a", 0, 0, {}], ["b", 1, 0, {}]]]`), &keras2)
	Decode([]byte(`[{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["a", 0, 0]}},
		{"class_name": "__keras_tensor__", "config": {"keras_history": ["b", 1, 0]}}]], "kwargs": {}}]`), &keras3)
	want := [][]NodeRef{{{Layer: "a"}, {Layer: "b", Node: 1}}}
	for _, v := range []any{keras2, keras3} {
		got, err := ParseInboundNodes(v)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseInboundNodes(%s) = %v, %v; want %v", Compact(v), got, err, want)
		}
	}
	var kw any
	Decode([]byte(`[[["a", 0, 0, {"training": true}]]]`), &kw)
	if _, err := ParseInboundNodes(kw); err == nil || !strings.Contains(err.Error(), "training") {
		t.Errorf("a call keyword argument: err = %v, want one naming it", err)
	}
}

// TestConfigDone: unread keys are errors unless null or false, and the
// first error names the layer and the key.
func TestConfigDone(t *testing.T) {
	var vals map[string]any
	Decode([]byte(`{"name": "d", "units": 3, "bias_constraint": null, "sparse": false, "kernel_regularizer": {"l2": 1}}`), &vals)
	c := NewConfig("Dense", "d", vals)
	if n := c.Int("units", 0); n != 3 {
		t.Errorf("units = %d", n)
	}
	err := c.Done()
	if err == nil || !strings.Contains(err.Error(), `"d" (Dense)`) || !strings.Contains(err.Error(), "kernel_regularizer") {
		t.Errorf("Done() = %v, want an error naming the layer and kernel_regularizer", err)
	}
	c = NewConfig("Dense", "d", map[string]any{"units": json.Number("1.5")})
	c.Int("units", 0)
	if err := c.Done(); err == nil || !strings.Contains(err.Error(), "units") {
		t.Errorf("a fractional unit count: Done() = %v", err)
	}
}

func TestInitializers(t *testing.T) {
	known := func(name string) error {
		if name == "glorot_uniform" || name == "he_normal" || name == "zeros" {
			return nil
		}
		return fmt.Errorf("unknown initializer %q", name)
	}
	var vs []any
	Decode([]byte(`["zeros", {"class_name": "GlorotUniform", "config": {"seed": null}},
		{"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}}]`), &vs)
	for i, want := range []string{"zeros", "glorot_uniform", "he_normal"} {
		if got, err := ParseInitializer(vs[i], known); got != want || err != nil {
			t.Errorf("ParseInitializer(%s) = %q, %v; want %q", Compact(vs[i]), got, err, want)
		}
	}
	b, err := json.Marshal(InitializerJSON("he_normal"))
	if err != nil || string(b) != `{"class_name":"HeNormal","config":{"seed":null}}` {
		t.Errorf("InitializerJSON(he_normal) = %s, %v", b, err)
	}
}

// TestObjectOrder: keys are written in the order given.
func TestObjectOrder(t *testing.T) {
	b, err := json.Marshal(Object{{"z", 1}, {"a", BatchShape([]int{2, 3})}, {"m", Object{}}})
	if err != nil || string(b) != `{"z":1,"a":[null,2,3],"m":{}}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}
