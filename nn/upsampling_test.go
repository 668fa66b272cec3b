package nn

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestUpSampling2DRepeatsPixels compares with each output pixel's source
// pixel, computed directly, for a 2×3 block.
func TestUpSampling2DRepeatsPixels(t *testing.T) {
	ClearSession()
	m, err := NewSequential(UpSampling2D(WithSize(2, 3), WithInputShape(2, 3, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{4, 9, 2}) {
		t.Fatalf("output %v, want (4, 9, 2)", m.OutputShape())
	}
	x := randomTensor(4, 1, 2, 2, 3, 2)
	got, err := m.Predict(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 2 {
		for r := range 4 {
			for col := range 9 {
				for c := range 2 {
					want := x.Data[((n*2+r/2)*3+col/3)*2+c]
					if g := got.Data[((n*4+r)*9+col)*2+c]; g != want {
						t.Fatalf("y[%d, %d, %d, %d] = %v, want %v", n, r, col, c, g, want)
					}
				}
			}
		}
	}
}

// TestGradientsOfUpSamplingModel checks the block sums backward against
// finite differences, through the Conv2D before it.
func TestGradientsOfUpSamplingModel(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Conv2D(2, 2, WithInputShape(3, 3, 1), WithActivation("tanh")), UpSampling2D(),
		Conv2D(2, 3, WithActivation("tanh")), Flatten(), Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 4, 3, 3, 1), oneHotRandom(6, 4, 2))
}

// TestUpSampling2DKerasConfig round-trips Keras's config and refuses
// bilinear interpolation.
func TestUpSampling2DKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3], "dtype": "float32", "name": "in"}},
	 {"class_name": "UpSampling2D", "config": {"name": "up", "trainable": true, "dtype": "float32",
	  "size": [2, 3], "data_format": "channels_last", "interpolation": "nearest"}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{8, 12, 3}) {
		t.Fatalf("output %v, want (8, 12, 3)", m.OutputShape())
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"size":[2,3],"data_format":"channels_last","interpolation":"nearest"`) {
		t.Errorf("ToJSON wrote %s", data)
	}
	bad := strings.Replace(src, `"nearest"`, `"bilinear"`, 1)
	if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "interpolation") {
		t.Errorf("bilinear: error %v, want one naming interpolation", err)
	}
}
