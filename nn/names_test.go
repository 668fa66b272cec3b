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
