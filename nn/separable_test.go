package nn

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// refSeparable is Keras's SeparableConv2D in float64: refDepthwise without
// bias, then every pixel's in·dm channels times the [1, 1, in·dm, f]
// pointwise kernel, plus the bias.
func refSeparable(x, depthwise, pointwise, bias []float64, n, h, w, c, f int, s dwSpec) (y []float64, oh, ow int) {
	mid, oh, ow := refDepthwise(x, depthwise, nil, n, h, w, c, s)
	cd := c * s.dm
	y = make([]float64, n*oh*ow*f)
	for p := range n * oh * ow {
		for fi := range f {
			v := bias[fi]
			for ch := range cd {
				v += mid[p*cd+ch] * pointwise[ch*f+fi]
			}
			y[p*f+fi] = v
		}
	}
	return y, oh, ow
}

func TestSeparableConv2DMatchesReference(t *testing.T) {
	const n, h, w, c, f = 3, 7, 6, 3, 4
	for i, s := range dwSpecs {
		t.Run(s.String(), func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(SeparableConv2D(f, 0, append(s.options(), WithInputShape(h, w, c))...))
			if err != nil {
				t.Fatal(err)
			}
			ws := convRandomWeights(t, m, uint64(30*i))
			vars := m.Variables()
			if len(vars) != 3 || !vars[0].Shape.Equal(tensor.Shape{s.kh, s.kw, c, s.dm}) ||
				!vars[1].Shape.Equal(tensor.Shape{1, 1, c * s.dm, f}) || !strings.HasSuffix(vars[1].Name, "/pointwise_kernel") {
				t.Fatalf("variables %s %v, %s %v: want Keras's depthwise_kernel, pointwise_kernel, bias",
					vars[0].Name, vars[0].Shape, vars[1].Name, vars[1].Shape)
			}
			x := randomTensor(uint64(30*i+7), 1, n, h, w, c)
			want, oh, ow := refSeparable(convF64(x.Data), ws[0], ws[1], ws[2], n, h, w, c, f, s)
			if got := m.OutputShape(); !got.Equal(tensor.Shape{oh, ow, f}) {
				t.Fatalf("output %v, want (%d, %d, %d)", got, oh, ow, f)
			}
			got, err := m.Predict(x, 2)
			if err != nil {
				t.Fatal(err)
			}
			convCheckNear(t, got.Data, want)
		})
	}
}

// TestGradientsOfSeparableModel checks the three weight gradients against
// finite differences, the Conv2D before the layer its input gradient.
func TestGradientsOfSeparableModel(t *testing.T) {
	for _, s := range []dwSpec{dwSpecs[1], dwSpecs[3]} {
		t.Run(s.String(), func(t *testing.T) {
			ClearSession()
			opts := append(s.options(), WithActivation("tanh"), WithBiasInitializer("glorot_uniform"))
			m, err := NewSequential(Conv2D(2, 2, WithInputShape(6, 6, 1), WithActivation("tanh")),
				SeparableConv2D(3, 0, opts...), Flatten(), Dense(3, WithActivation("softmax")))
			if err != nil {
				t.Fatal(err)
			}
			checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 4, 6, 6, 1), oneHotRandom(6, 4, 3))
		})
	}
}

// TestSeparableConv2DKerasConfig round-trips tf.keras 2.x's config (whose
// Conv base also writes a kernel_initializer the layer does not use) and
// counts Keras's parameters.
func TestSeparableConv2DKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 10, 10, 32], "dtype": "float32", "name": "in"}},
	 {"class_name": "SeparableConv2D", "config": {"name": "sep", "trainable": true, "dtype": "float32",
	  "filters": 64, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "data_format": "channels_last",
	  "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true,
	  "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
	  "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
	  "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null,
	  "depth_multiplier": 1, "depthwise_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
	  "pointwise_initializer": {"class_name": "HeNormal", "config": {"seed": null}},
	  "depthwise_regularizer": null, "pointwise_regularizer": null, "depthwise_constraint": null,
	  "pointwise_constraint": null}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{5, 5, 64}) {
		t.Fatalf("output %v, want (5, 5, 64)", m.OutputShape())
	}
	if tr, _ := m.CountParams(); tr != 2400 {
		t.Errorf("%d parameters, want Keras's 32·9 + 32·64 + 64 = 2400", tr)
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `"filters":64,"kernel_size":[3,3],"strides":[2,2],"padding":"same","data_format":"channels_last",` +
		`"dilation_rate":[1,1],"groups":1,"activation":"relu","use_bias":true,"kernel_initializer":{"class_name":"GlorotUniform",` +
		`"config":{"seed":null}},"bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,` +
		`"bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,"bias_constraint":null,` +
		`"depth_multiplier":1,"depthwise_initializer":{"class_name":"GlorotUniform","config":{"seed":null}},` +
		`"pointwise_initializer":{"class_name":"HeNormal","config":{"seed":null}},"depthwise_regularizer":null,` +
		`"pointwise_regularizer":null,"depthwise_constraint":null,"pointwise_constraint":null}`
	if !strings.Contains(string(data), want) {
		t.Errorf("ToJSON wrote %s\nwant a config ending %s", data, want)
	}
	if _, err := ModelFromJSON(data); err != nil {
		t.Errorf("re-import: %v", err)
	}
	bad := strings.Replace(src, `"pointwise_constraint": null`, `"pointwise_constraint": {"class_name": "NonNeg", "config": {}}`, 1)
	if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "pointwise_constraint") {
		t.Errorf("constraint: error %v, want one naming pointwise_constraint", err)
	}
}

// TestNewConvsTrainAndReload trains a small encoder-decoder built from the
// three layers to reproduce its input, which needs every gradient path to
// work together, then saves and reloads it and checks the predictions are
// unchanged (the weights load by their Keras names and shapes).
func TestNewConvsTrainAndReload(t *testing.T) {
	ClearSession()
	SetRandomSeed(3)
	defer SetRandomSeed(1)
	m, err := NewSequential(
		SeparableConv2D(6, 3, WithPadding("same"), WithActivation("tanh"), WithInputShape(8, 8, 2)),
		DepthwiseConv2D(3, WithStrides(2), WithPadding("same"), WithDepthMultiplier(2), WithActivation("tanh")),
		Conv2DTranspose(2, 3, WithStrides(2), WithPadding("same")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "mean_squared_error"); err != nil {
		t.Fatal(err)
	}
	x := convSmoothImages(64, 8, 8, 2)
	h, err := m.Fit(context.Background(), x, x, FitOptions{Verbose: Silent, Epochs: 60, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	loss := h.Metrics["loss"]
	first, last := loss[0], loss[len(loss)-1]
	// Predicting zeros scores the images' mean square, about 0.25; an
	// identity-like map must do far better.
	t.Logf("loss %v → %v", first, last)
	if !(last < first/20) {
		t.Fatalf("loss %v → %v: the model did not learn", first, last)
	}
	before, err := m.Predict(x, 16)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	after, err := back.Predict(x, 16)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.Data {
		if before.Data[i] != after.Data[i] {
			t.Fatalf("prediction %d: %v before saving, %v after loading", i, before.Data[i], after.Data[i])
		}
	}
}

// convSmoothImages makes n h×w×c images of low-frequency waves with random
// phases: structure a small convolutional model can reproduce.
func convSmoothImages(n, h, w, c int) *tensor.Tensor {
	x := tensor.New(n, h, w, c)
	rng := tensor.NewStream(17, 0)
	for i := range n {
		for ch := range c {
			a, b := rng.Float64()*6, rng.Float64()*6
			for r := range h {
				for q := range w {
					x.Data[((i*h+r)*w+q)*c+ch] = float32(0.7 * math.Sin(a+0.5*float64(r)+0.3*float64(q)+b*float64(ch)))
				}
			}
		}
	}
	return x
}
