package nn

import "testing"

func TestSnakeCaseMatchesKeras(t *testing.T) {
	cases := map[string]string{
		"Dense": "dense", "Conv2D": "conv2d", "BatchNormalization": "batch_normalization",
		"LeakyReLU": "leaky_re_lu", "ReLU": "re_lu", "MaxPooling2D": "max_pooling2d",
		"GlobalAveragePooling2D": "global_average_pooling2d", "Activation": "activation",
	}
	for in, want := range cases {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAutomaticNamesFollowKeras: as in Keras, automatic input names count
// from input_1, a functional model is "model" unless named, and the name
// given to NewModel is kept.
func TestAutomaticNamesFollowKeras(t *testing.T) {
	ClearSession()
	a, b := Input(3), Input(3)
	if a.node.layer.name != "input_1" || b.node.layer.name != "input_2" {
		t.Errorf("inputs named %q and %q, want input_1 and input_2", a.node.layer.name, b.node.layer.name)
	}
	m, err := NewModel([]*Symbol{a, b}, Add().Call(a, b))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "model" {
		t.Errorf("an unnamed functional model is %q, want model", m.Name())
	}
	named, err := NewModel([]*Symbol{a, b}, Add().Call(a, b), "siamese")
	if err != nil {
		t.Fatal(err)
	}
	if named.Name() != "siamese" {
		t.Errorf("a model named siamese is %q", named.Name())
	}
}
