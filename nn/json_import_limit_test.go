package nn

import (
	"fmt"
	"testing"
)

// TestImportCountsEachLayersWeights sets the import limit to a model's
// exact weight count, which must load, and to one less, which must be
// refused naming the layer that crosses it: the count made before
// anything is allocated must agree with what the layers then create, for
// every layer with weights. (The inputs are small: the limit bounds an
// input's values per sample too.)
func TestImportCountsEachLayersWeights(t *testing.T) {
	for _, c := range []struct {
		name  string
		layer func() Layer
	}{
		{"dense", func() Layer { return Dense(7, WithInputShape(5, 3)) }},
		{"conv2d", func() Layer { return Conv2D(6, 3, WithKernelSize(3, 2), WithInputShape(3, 2, 4)) }},
		{"conv1d", func() Layer { return Conv1D(6, 3, WithInputShape(9, 4)) }},
		{"conv2d_transpose", func() Layer { return Conv2DTranspose(5, 3, WithKernelSize(2, 3), WithInputShape(4, 4, 3)) }},
		{"depthwise", func() Layer {
			return DepthwiseConv2D(3, WithDepthMultiplier(2), WithKernelSize(3, 2), WithInputShape(3, 2, 5))
		}},
		{"separable", func() Layer {
			return SeparableConv2D(7, 3, WithDepthMultiplier(2), WithKernelSize(2, 3), WithInputShape(2, 3, 5))
		}},
		{"embedding", func() Layer { return Embedding(11, 4, WithInputShape(6)) }},
		{"batchnorm", func() Layer { return BatchNormalization(WithInputShape(1, 1, 6)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(c.layer())
			if err != nil {
				t.Fatal(err)
			}
			trainable, frozen := m.CountParams()
			js, err := m.ToJSON()
			if err != nil {
				t.Fatal(err)
			}
			saved := maxImportParams
			defer func() { maxImportParams = saved }()
			maxImportParams = trainable + frozen
			if _, err := ModelFromJSON(js); err != nil {
				t.Fatalf("limit %d (the model's own count): %v", maxImportParams, err)
			}
			maxImportParams--
			_, err = ModelFromJSON(js)
			wantErr(t, err, fmt.Sprintf("past %d weights", maxImportParams))
		})
	}
}
