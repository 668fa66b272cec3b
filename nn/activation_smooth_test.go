package nn

import (
	"bytes"
	"encoding/json"
	"testing"
)

// smoothActNames are the activations added for issue 14, by Keras name.
var smoothActNames = []string{"gelu", "silu", "elu", "selu", "softplus"}

// TestSmoothActivationGradients: each new activation, in a Dense layer and
// as an Activation layer, gives the model gradients finite differences
// agree with.
func TestSmoothActivationGradients(t *testing.T) {
	for _, name := range smoothActNames {
		ClearSession()
		m, err := NewSequential(Dense(5, WithInputShape(4), WithActivation(name)), Dense(3), Activation(name), Dense(2))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) {
			checkModelGradients(t, m, "mse", randomTensor(5, 2, 6, 4), randomTensor(6, 1, 6, 2))
		})
	}
}

// TestSmoothActivationsRoundTripJSON: the names survive to_json and back,
// and "swish" (tf.keras 2.x's name) loads as Keras 3's "silu".
func TestSmoothActivationsRoundTripJSON(t *testing.T) {
	for _, name := range append(smoothActNames, "swish") {
		ClearSession()
		m, err := NewSequential(Dense(2, WithInputShape(3), WithActivation(name)), Activation(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		first, err := m.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ModelFromJSON(first)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		second, _ := back.ToJSON()
		if !bytes.Equal(first, second) {
			t.Errorf("%s: JSON changed on a round trip", name)
		}
		want := name
		if name == "swish" {
			want = "silu"
		}
		var doc struct {
			Config struct {
				Layers []struct {
					Config map[string]any `json:"config"`
				} `json:"layers"`
			} `json:"config"`
		}
		if err := json.Unmarshal(first, &doc); err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, l := range doc.Config.Layers {
			if a, ok := l.Config["activation"]; ok {
				seen++
				if a != want {
					t.Errorf("%s: saved as activation %v, want %s", name, a, want)
				}
			}
		}
		if seen != 2 {
			t.Errorf("%s: %d layers with an activation in the JSON, want 2", name, seen)
		}
	}
}
