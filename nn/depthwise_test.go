package nn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// dwSpec is a depthwise window: size, strides, dilation, multiplier,
// padding.
type dwSpec struct {
	kh, kw, sh, sw, dh, dw, dm int
	pad                        tensor.Padding
}

// extent is TensorFlow's documented output extent and padding before, for
// a window of k taps d apart: "valid" floor((in − (k−1)·d − 1)/s) + 1,
// "same" ceil(in/s) with tfSameBefore.
func (s dwSpec) extent(in, k, st, d int) (out, before int) {
	if s.pad == tensor.Valid {
		return (in-(k-1)*d-1)/st + 1, 0
	}
	out = (in + st - 1) / st
	return out, tfSameBefore(in, out, k, st, d)
}

// refDepthwise is Keras's DepthwiseConv2D in float64: output channel
// c·dm + m of each pixel sums x[c]·K[a, b, c, m] over the taps inside the
// image, plus the bias. x is [n, h, w, c].
func refDepthwise(x, kernel, bias []float64, n, h, w, c int, s dwSpec) (y []float64, oh, ow int) {
	oh, pt := s.extent(h, s.kh, s.sh, s.dh)
	ow, pl := s.extent(w, s.kw, s.sw, s.dw)
	cd := c * s.dm
	y = make([]float64, n*oh*ow*cd)
	for i := range n {
		for r := range oh {
			for q := range ow {
				for ch := range cd {
					ci, m := ch/s.dm, ch%s.dm
					v := 0.0
					if bias != nil {
						v = bias[ch]
					}
					for a := range s.kh {
						for b := range s.kw {
							ih, iw := r*s.sh+a*s.dh-pt, q*s.sw+b*s.dw-pl
							if ih >= 0 && ih < h && iw >= 0 && iw < w {
								v += x[((i*h+ih)*w+iw)*c+ci] * kernel[((a*s.kw+b)*c+ci)*s.dm+m]
							}
						}
					}
					y[((i*oh+r)*ow+q)*cd+ch] = v
				}
			}
		}
	}
	return y, oh, ow
}

// dwSpecs cover multipliers 1-3, strides 1-2 with odd "same" totals,
// dilation with both paddings and non-square windows.
var dwSpecs = []dwSpec{
	{3, 3, 1, 1, 1, 1, 1, tensor.Same},
	{3, 3, 2, 2, 1, 1, 2, tensor.Same},
	{2, 3, 2, 1, 1, 1, 3, tensor.Valid},
	{3, 3, 1, 1, 2, 2, 1, tensor.Same},
	{3, 2, 1, 1, 2, 3, 2, tensor.Valid},
}

func (s dwSpec) String() string {
	return fmt.Sprintf("k%dx%d_s%dx%d_d%dx%d_m%d_%s", s.kh, s.kw, s.sh, s.sw, s.dh, s.dw, s.dm, s.pad)
}

func (s dwSpec) options() []Option {
	return []Option{WithKernelSize(s.kh, s.kw), WithStrides(s.sh, s.sw), WithDilationRate(s.dh, s.dw),
		WithDepthMultiplier(s.dm), WithPadding(string(s.pad))}
}

func TestDepthwiseConv2DMatchesReference(t *testing.T) {
	const n, h, w, c = 3, 7, 8, 3
	for i, s := range dwSpecs {
		t.Run(s.String(), func(t *testing.T) {
			ClearSession()
			m, err := NewSequential(DepthwiseConv2D(0, append(s.options(), WithInputShape(h, w, c))...))
			if err != nil {
				t.Fatal(err)
			}
			ws := convRandomWeights(t, m, uint64(20*i))
			if k := m.Variables()[0]; k.Name != m.Layers()[0].Name()+"/depthwise_kernel" || !k.Shape.Equal(tensor.Shape{s.kh, s.kw, c, s.dm}) {
				t.Fatalf("kernel %s %v, want depthwise_kernel (kh, kw, in, depth_multiplier)", k.Name, k.Shape)
			}
			x := randomTensor(uint64(20*i+7), 1, n, h, w, c)
			want, oh, ow := refDepthwise(convF64(x.Data), ws[0], ws[1], n, h, w, c, s)
			if got := m.OutputShape(); !got.Equal(tensor.Shape{oh, ow, c * s.dm}) {
				t.Fatalf("output %v, want (%d, %d, %d)", got, oh, ow, c*s.dm)
			}
			got, err := m.Predict(x, 2)
			if err != nil {
				t.Fatal(err)
			}
			convCheckNear(t, got.Data, want)
		})
	}
}

// TestGradientsOfDepthwiseModel checks the weight gradients against finite
// differences, the Conv2D before the layer its input gradient.
func TestGradientsOfDepthwiseModel(t *testing.T) {
	for _, s := range []dwSpec{dwSpecs[1], dwSpecs[4]} {
		t.Run(s.String(), func(t *testing.T) {
			ClearSession()
			opts := append(s.options(), WithActivation("tanh"), WithBiasInitializer("glorot_uniform"))
			m, err := NewSequential(Conv2D(2, 2, WithInputShape(6, 7, 1), WithActivation("tanh")),
				DepthwiseConv2D(0, opts...), Flatten(), Dense(3, WithActivation("softmax")))
			if err != nil {
				t.Fatal(err)
			}
			checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 4, 6, 7, 1), oneHotRandom(6, 4, 3))
		})
	}
}

// TestDepthwiseConv2DKerasConfig round-trips tf.keras 2.x's config, counts
// Keras's parameters and refuses what Anvil does not implement.
func TestDepthwiseConv2DKerasConfig(t *testing.T) {
	ClearSession()
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 9, 9, 32], "dtype": "float32", "name": "in"}},
	 {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "trainable": true, "dtype": "float32",
	  "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
	  "dilation_rate": [2, 2], "groups": 1, "activation": "linear", "use_bias": true,
	  "bias_initializer": {"class_name": "Zeros", "config": {}}, "bias_regularizer": null,
	  "activity_regularizer": null, "bias_constraint": null, "depth_multiplier": 2,
	  "depthwise_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
	  "depthwise_regularizer": null, "depthwise_constraint": null}}]}}`
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{9, 9, 64}) {
		t.Fatalf("output %v, want (9, 9, 64)", m.OutputShape())
	}
	// Keras: 3·3·32·2 + 32·2.
	if tr, _ := m.CountParams(); tr != 640 {
		t.Errorf("%d parameters, want 640", tr)
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `"kernel_size":[3,3],"strides":[1,1],"padding":"same","data_format":"channels_last","dilation_rate":[2,2],` +
		`"groups":1,"activation":"linear","use_bias":true,"bias_initializer":{"class_name":"Zeros","config":{}},` +
		`"bias_regularizer":null,"activity_regularizer":null,"bias_constraint":null,"depth_multiplier":2,` +
		`"depthwise_initializer":{"class_name":"GlorotUniform","config":{"seed":null}},"depthwise_regularizer":null,` +
		`"depthwise_constraint":null}`
	if !strings.Contains(string(data), want) {
		t.Errorf("ToJSON wrote %s\nwant a config ending %s", data, want)
	}
	if _, err := ModelFromJSON(data); err != nil {
		t.Errorf("re-import: %v", err)
	}
	for _, bad := range []struct{ from, to, key string }{
		{`"strides": [1, 1]`, `"strides": [2, 2]`, "dilation"}, // TensorFlow refuses strides > 1 with dilation > 1
		{`"depth_multiplier": 2`, `"depth_multiplier": 0`, "depth_multiplier"},
		{`"depthwise_regularizer": null`, `"depthwise_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}`, "depthwise_regularizer"},
	} {
		if _, err := ModelFromJSON([]byte(strings.Replace(src, bad.from, bad.to, 1))); err == nil || !strings.Contains(err.Error(), bad.key) {
			t.Errorf("%s: error %v, want one naming %s", bad.to, err, bad.key)
		}
	}
}

// TestSummaryParamsOfNewConvs compares Summary's counts with Keras's for
// the three layers on 32 channels.
func TestSummaryParamsOfNewConvs(t *testing.T) {
	ClearSession()
	m, err := NewSequential(SeparableConv2D(64, 3, WithInputShape(16, 16, 32)), DepthwiseConv2D(3, WithDepthMultiplier(2)),
		Conv2DTranspose(8, 3, WithStrides(2), WithPadding("same")))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	m.Summary(&b)
	// Keras: 32·9 + 32·64 + 64; 9·64·2 + 128; 9·8·128 + 8.
	for _, want := range []string{"2400", "1280", "9224", "Total params: 12,904", "(None, 14, 14, 64)", "(None, 12, 12, 128)", "(None, 24, 24, 8)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Summary lacks %s:\n%s", want, b.String())
		}
	}
	if tr, _ := m.CountParams(); tr != 2400+1280+9224 {
		t.Errorf("%d parameters, want %d", tr, 2400+1280+9224)
	}
}
