package nn

import "testing"

// TestLayerArgumentsMustBePositive gives each layer constructor a zero or
// negative size and checks the error names it; the smallest valid size,
// 1, must build.
func TestLayerArgumentsMustBePositive(t *testing.T) {
	img := WithInputShape(4, 4, 2)
	seq := WithInputShape(6, 2)
	for _, c := range []struct {
		name  string
		layer func() Layer
		want  string // "" when the layer must build
	}{
		{"conv2d filters 0", func() Layer { return Conv2D(0, 3, img) }, "filters 0 must be positive"},
		{"conv2d filters -1", func() Layer { return Conv2D(-1, 3, img) }, "filters -1"},
		{"conv2d kernel 0", func() Layer { return Conv2D(2, 0, img) }, "kernel size 0 must be positive"},
		{"conv2d kernel 0 given by option", func() Layer { return Conv2D(2, 0, WithKernelSize(1, 3), img) }, ""},
		{"conv2d kernel height 0", func() Layer { return Conv2D(2, 3, WithKernelSize(0, 3), img) }, "kernel_size [0 3]"},
		{"conv2d kernel width 0", func() Layer { return Conv2D(2, 3, WithKernelSize(3, 0), img) }, "kernel_size [3 0]"},
		{"depthwise kernel 0", func() Layer { return DepthwiseConv2D(0, img) }, "kernel size 0 must be positive"},
		{"depthwise smallest", func() Layer { return DepthwiseConv2D(1, img) }, ""},
		{"conv2d smallest", func() Layer { return Conv2D(1, 1, img) }, ""},
		{"conv1d filters 0", func() Layer { return Conv1D(0, 3, seq) }, "filters 0 and kernel size 3 must be positive"},
		{"conv1d kernel 0", func() Layer { return Conv1D(2, 0, seq) }, "filters 2 and kernel size 0 must be positive"},
		{"conv1d smallest", func() Layer { return Conv1D(1, 1, seq) }, ""},
		{"conv2d_transpose filters 0", func() Layer { return Conv2DTranspose(0, 3, img) }, "filters 0 must be positive"},
		{"conv2d_transpose smallest", func() Layer { return Conv2DTranspose(1, 1, img) }, ""},
		{"separable filters 0", func() Layer { return SeparableConv2D(0, 3, img) }, "filters 0 must be positive"},
		{"separable smallest", func() Layer { return SeparableConv2D(1, 1, img) }, ""},
		{"embedding input_dim 0", func() Layer { return Embedding(0, 3, WithInputShape(5)) }, "input_dim 0 and output_dim 3 must be positive"},
		{"embedding output_dim 0", func() Layer { return Embedding(3, 0, WithInputShape(5)) }, "output_dim 0"},
		{"embedding smallest", func() Layer { return Embedding(1, 1, WithInputShape(5)) }, ""},
		{"dense units 0", func() Layer { return Dense(0, WithInputShape(3)) }, "units 0 must be positive"},
		{"dense smallest", func() Layer { return Dense(1, WithInputShape(3)) }, ""},
		{"dropout rate 1", func() Layer { return Dropout(1, WithInputShape(3)) }, "rate 1 must be in [0, 1)"},
		{"dropout rate below 0", func() Layer { return Dropout(-0.1, WithInputShape(3)) }, "rate -0.1 must be in [0, 1)"},
		{"dropout rate 0", func() Layer { return Dropout(0, WithInputShape(3)) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) { wantBuild(t, c.layer, c.want) })
	}
}

// wantBuild builds a Sequential model of the layer layer makes, in a
// fresh session, and checks that it builds (want "") or fails with an
// error containing want.
func wantBuild(t *testing.T, layer func() Layer, want string) {
	t.Helper()
	ClearSession()
	_, err := NewSequential(layer())
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	wantErr(t, err, want)
}

// TestLayerOptionErrorComesFirst checks that a bad option's error is the
// one reported even when the sizes are also bad: the option names what
// the user wrote wrong first.
func TestLayerOptionErrorComesFirst(t *testing.T) {
	for _, c := range []struct {
		name  string
		layer func() Layer
	}{
		{"conv2d", func() Layer { return Conv2D(0, 3, WithMomentum(0.5), WithInputShape(4, 4, 2)) }},
		{"conv1d", func() Layer { return Conv1D(0, 3, WithMomentum(0.5), WithInputShape(6, 2)) }},
		{"conv2d_transpose", func() Layer { return Conv2DTranspose(0, 3, WithMomentum(0.5), WithInputShape(4, 4, 2)) }},
		{"separable", func() Layer { return SeparableConv2D(0, 3, WithMomentum(0.5), WithInputShape(4, 4, 2)) }},
		{"embedding", func() Layer { return Embedding(0, 3, WithMomentum(0.5), WithInputShape(5)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ClearSession()
			_, err := NewSequential(c.layer())
			wantErr(t, err, "does not take momentum")
		})
	}
}

// TestConv2DTransposeRefusesHugeOutput sizes a transposed convolution so
// that its output, (in·stride + kernel)² per channel with Keras's "valid"
// rule bounding it, passes 2³¹ elements only because of the kernel term:
// 46340² = 2,147,395,600 is under 2³¹ = 2,147,483,648 and 46342² is over;
// and with 4 filters only because of the filters: 4·23172² = 2,147,766,336.
func TestConv2DTransposeRefusesHugeOutput(t *testing.T) {
	ClearSession()
	_, err := NewSequential(Conv2DTranspose(1, 2, WithStrides(46340), WithInputShape(1, 1, 1)))
	wantErr(t, err, "more than 2³¹ elements per sample", "strides [46340 46340]")
	ClearSession()
	_, err = NewSequential(Conv2DTranspose(4, 2, WithStrides(23170), WithInputShape(1, 1, 1)))
	wantErr(t, err, "more than 2³¹ elements per sample", "strides [23170 23170]")
}
