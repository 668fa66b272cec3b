package nn

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// tfSameBefore is TensorFlow's documented "same" padding before the first
// element, for a window of k taps d apart and stride s taking an extent in
// to out: floor(max((out−1)·s + (k−1)·d + 1 − in, 0) / 2).
func tfSameBefore(in, out, k, s, d int) int {
	return max((out-1)*s+(k-1)*d+1-in, 0) / 2
}

// refConvTranspose is Keras's Conv2DTranspose in float64, written as the
// scatter TensorFlow documents: every input pixel adds x·K[a, b, f, c] to
// output (i·s + a − pad, j·s + b − pad) for each tap, where the output
// size is deconv_output_length (in·s for "same", in·s + max(k − s, 0) for
// "valid") and pad is the "same" padding of the convolution that maps the
// output back onto the input. x is [n, h, w, c]; kernel [kh, kw, f, c].
func refConvTranspose(x, kernel, bias []float64, n, h, w, c, kh, kw, sh, sw, f int, p tensor.Padding) ([]float64, int, int) {
	oh, ow := h*sh+max(kh-sh, 0), w*sw+max(kw-sw, 0)
	pt, pl := 0, 0
	if p == tensor.Same {
		oh, ow = h*sh, w*sw
		pt, pl = tfSameBefore(oh, h, kh, sh, 1), tfSameBefore(ow, w, kw, sw, 1)
	}
	y := make([]float64, n*oh*ow*f)
	for s := range n {
		for i := range h {
			for j := range w {
				for ci := range c {
					v := x[((s*h+i)*w+j)*c+ci]
					for a := range kh {
						for b := range kw {
							r, q := i*sh+a-pt, j*sw+b-pl
							if r < 0 || r >= oh || q < 0 || q >= ow {
								continue
							}
							for fi := range f {
								y[((s*oh+r)*ow+q)*f+fi] += v * kernel[((a*kw+b)*f+fi)*c+ci]
							}
						}
					}
				}
			}
		}
	}
	for i := range y {
		y[i] += bias[i%f]
	}
	return y, oh, ow
}

// convRandomWeights gives every variable of m uniform values in [-1, 1) and
// returns them in float64.
func convRandomWeights(t *testing.T, m *Model, seed uint64) [][]float64 {
	t.Helper()
	var ws []*tensor.Tensor
	var out [][]float64
	for i, v := range m.Variables() {
		r := randomTensor(seed+uint64(i), 1, v.Shape...)
		ws = append(ws, r)
		out = append(out, convF64(r.Data))
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	return out
}

func convF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// convCheckNear fails unless |got − want| ≤ 1e-5·(1 + max|want|) everywhere:
// the layers sum at most a few dozen float32 products of values below 1.
func convCheckNear(t *testing.T, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-5*(1+scale)) {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestConv2DTransposeMatchesReference covers both paddings, strides 1-3
// (odd and even "same" totals), kernels smaller and larger than the
// stride and non-square windows.
func TestConv2DTransposeMatchesReference(t *testing.T) {
	cases := []struct {
		h, w, c, kh, kw, sh, sw, f int
		pad                        string
	}{
		{4, 5, 3, 3, 3, 2, 2, 4, "same"},
		{4, 4, 2, 4, 4, 2, 2, 3, "same"},
		{3, 5, 2, 3, 2, 1, 3, 2, "same"},
		{4, 3, 3, 3, 3, 2, 2, 2, "valid"},
		{3, 4, 2, 2, 1, 3, 2, 3, "valid"}, // kernel smaller than the stride: gaps
		{5, 4, 1, 5, 3, 1, 1, 2, "valid"},
	}
	for i, cc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d_k%dx%d_s%dx%d_f%d_%s", cc.h, cc.w, cc.c, cc.kh, cc.kw, cc.sh, cc.sw, cc.f, cc.pad), func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(Conv2DTranspose(cc.f, 0, WithKernelSize(cc.kh, cc.kw), WithStrides(cc.sh, cc.sw),
				WithPadding(cc.pad), WithInputShape(cc.h, cc.w, cc.c)))
			if err != nil {
				t.Fatal(err)
			}
			ws := convRandomWeights(t, m, uint64(10*i))
			if k := m.Variables()[0].Shape; !k.Equal(tensor.Shape{cc.kh, cc.kw, cc.f, cc.c}) {
				t.Fatalf("kernel %v, want Keras's (kh, kw, filters, in)", k)
			}
			x := randomTensor(uint64(10*i+7), 1, 3, cc.h, cc.w, cc.c)
			want, oh, ow := refConvTranspose(convF64(x.Data), ws[0], ws[1], 3, cc.h, cc.w, cc.c, cc.kh, cc.kw, cc.sh, cc.sw, cc.f, tensor.Padding(cc.pad))
			if s := m.OutputShape(); !s.Equal(tensor.Shape{oh, ow, cc.f}) {
				t.Fatalf("output %v, want (%d, %d, %d)", s, oh, ow, cc.f)
			}
			got, err := m.Predict(x, 2)
			if err != nil {
				t.Fatal(err)
			}
			convCheckNear(t, got.Data, want)
		})
	}
}

// TestGradientsOfConv2DTransposeModel checks the weight gradients against
// finite differences; the Conv2D before the layer checks its input
// gradient too.
func TestGradientsOfConv2DTransposeModel(t *testing.T) {
	for _, pad := range []string{"same", "valid"} {
		t.Run(pad, func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(Conv2D(2, 2, WithInputShape(4, 4, 1), WithActivation("tanh")),
				Conv2DTranspose(2, 3, WithStrides(2), WithPadding(pad), WithActivation("tanh"),
					WithBiasInitializer("glorot_uniform")),
				Flatten(), Dense(3, WithActivation("softmax")))
			if err != nil {
				t.Fatal(err)
			}
			checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 4, 4, 4, 1), oneHotRandom(6, 4, 3))
		})
	}
}

// TestConv2DTransposeKerasConfig round-trips tf.keras 2.x's config, counts
// Keras's parameters and refuses what Anvil does not implement.
func TestConv2DTransposeKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 32], "dtype": "float32", "name": "in"}},
	 {"class_name": "Conv2DTranspose", "config": {"name": "up", "trainable": true, "dtype": "float32",
	  "filters": 16, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "data_format": "channels_last",
	  "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true,
	  "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
	  "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
	  "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
	  "bias_constraint": null, "output_padding": null}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{16, 16, 16}) {
		t.Fatalf("output %v, want (16, 16, 16)", m.OutputShape())
	}
	// Keras: 3·3·16·32 + 16.
	if tr, _ := m.CountParams(); tr != 4624 {
		t.Errorf("%d parameters, want 4624", tr)
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `"filters":16,"kernel_size":[3,3],"strides":[2,2],"padding":"same","data_format":"channels_last",` +
		`"dilation_rate":[1,1],"groups":1,"activation":"relu","use_bias":true,"kernel_initializer":{"class_name":"GlorotUniform",` +
		`"config":{"seed":null}},"bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,` +
		`"bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,"bias_constraint":null,"output_padding":null}`
	if !strings.Contains(string(data), want) {
		t.Errorf("ToJSON wrote %s\nwant a config ending %s", data, want)
	}
	if _, err := ModelFromJSON(data); err != nil {
		t.Errorf("re-import: %v", err)
	}
	var sum bytes.Buffer
	m.Summary(&sum)
	if !strings.Contains(sum.String(), "Conv2DTranspose") || !strings.Contains(sum.String(), "4,624") {
		t.Errorf("Summary:\n%s", sum.String())
	}
	for _, bad := range []struct{ from, to, key string }{
		{`"output_padding": null`, `"output_padding": [1, 1]`, "output_padding"},
		{`"dilation_rate": [1, 1]`, `"dilation_rate": [2, 2]`, "dilation_rate"},
		{`"groups": 1`, `"groups": 2`, "groups"},
		{`"data_format": "channels_last"`, `"data_format": "channels_first"`, "data_format"},
	} {
		if _, err := ModelFromJSON([]byte(strings.Replace(src, bad.from, bad.to, 1))); err == nil || !strings.Contains(err.Error(), bad.key) {
			t.Errorf("%s: error %v, want one naming %s", bad.to, err, bad.key)
		}
	}
}

// TestConv2DTransposeRefusesDilation: the option exists for Keras's
// signature, but only 1 is implemented, and the error says what to do.
func TestConv2DTransposeRefusesDilation(t *testing.T) {
	ClearSession()
	_, err := NewSequential(Conv2DTranspose(4, 3, WithDilationRate(2), WithInputShape(5, 5, 2)))
	if err == nil || !strings.Contains(err.Error(), "dilation_rate") {
		t.Fatalf("error %v, want one naming dilation_rate", err)
	}
}

// TestConv2DTransposeRefusesHugeOutputs: strides from an untrusted file
// must not overflow the output size.
func TestConv2DTransposeRefusesHugeOutputs(t *testing.T) {
	ClearSession()
	_, err := NewSequential(Conv2DTranspose(4, 3, WithStrides(1<<40), WithPadding("same"), WithInputShape(8, 8, 1)))
	if err == nil || !strings.Contains(err.Error(), "strides") {
		t.Fatalf("error %v, want one naming the strides", err)
	}
}
