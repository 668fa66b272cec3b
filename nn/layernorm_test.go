package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestLayerNormalizationMatchesFloat64Reference compares each position's
// output with Keras's formula computed in float64, on (positions, features)
// samples, with gamma and beta away from their initial values.
func TestLayerNormalizationMatchesFloat64Reference(t *testing.T) {
	ClearSession()
	const pos, c, n = 3, 5, 2
	m, err := NewSequential(LayerNormalization(WithInputShape(pos, c)))
	if err != nil {
		t.Fatal(err)
	}
	w := m.Layers()[0].Weights()
	if len(w) != 2 || w[0].Name != m.Layers()[0].Name()+"/gamma" {
		t.Fatalf("weights %v, want Keras's gamma then beta", w)
	}
	for i := range c {
		w[0].data[i], w[1].data[i] = 0.5+float32(i)/4, float32(i)/10-0.2
	}
	x := randomTensor(6, 2, n, pos, c)
	got, err := m.Predict(x, n)
	if err != nil {
		t.Fatal(err)
	}
	for p := range n * pos {
		v := x.Data[p*c : (p+1)*c]
		mean, vr := 0.0, 0.0
		for _, e := range v {
			mean += float64(e) / c
		}
		for _, e := range v {
			vr += (float64(e) - mean) * (float64(e) - mean) / c
		}
		for i, e := range v {
			want := float64(w[0].data[i])*(float64(e)-mean)/math.Sqrt(vr+1e-3) + float64(w[1].data[i])
			if g := float64(got.Data[p*c+i]); math.Abs(g-want) > 1e-5 {
				t.Fatalf("position %d feature %d: %v, want %v", p, i, g, want)
			}
		}
	}
}

// TestGradientsOfLayerNormModel checks gamma, beta and the input gradient
// (through the Dense before it) against finite differences.
func TestGradientsOfLayerNormModel(t *testing.T) {
	ClearSession()
	in := Input(3, 4)
	x := Dense(5, WithActivation("tanh")).Call(in)
	x = LayerNormalization().Call(x)
	x = Flatten().Call(x)
	m, err := NewModel([]*Symbol{in}, Dense(3, WithActivation("softmax")).Call(x))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m.Layers()[2].Weights() {
		for i := range v.data {
			v.data[i] += 0.3 * float32(i%3-1) // gamma and beta away from 1 and 0
		}
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(1, 1, 5, 3, 4), oneHotRandom(2, 5, 3))
}

// TestLayerNormalizationKerasConfig reads tf.keras 2.x's config (axis as
// a list) and writes Keras's keys back; center=False is refused.
func TestLayerNormalizationKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 6], "dtype": "float32", "name": "in"}},
	 {"class_name": "LayerNormalization", "config": {"name": "ln", "trainable": true, "dtype": "float32",
	  "axis": [2], "epsilon": 0.001, "center": true, "scale": true,
	  "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": {"class_name": "Ones", "config": {}},
	  "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, p := layerParams(m); len(p) != 1 || p[0] != 12 || !m.OutputShape().Equal(tensor.Shape{4, 6}) {
		t.Fatalf("params %v, output %v; want [12] (Keras: gamma and beta), (4, 6)", p, m.OutputShape())
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"axis":-1,"epsilon":0.001,"center":true,"scale":true`) {
		t.Errorf("ToJSON wrote %s", data)
	}
	if _, err := ModelFromJSON(data); err != nil {
		t.Errorf("the written config does not load: %v", err)
	}
	bad := strings.Replace(src, `"center": true`, `"center": false`, 1)
	if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "center") {
		t.Errorf("center false: error %v, want one naming center", err)
	}
}
