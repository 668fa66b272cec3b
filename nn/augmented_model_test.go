package nn

import (
	"context"
	"io"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestKerasAugmentedModelLoadsAndTrains loads a hand-written Keras 3
// to_json of an image classifier with the layers Keras users add next
// (RandomFlip, RandomTranslation, RandomContrast, Rescaling,
// LayerNormalization, SeparableConv2D, DepthwiseConv2D), checks Keras's
// parameter counts and Summary, writes it back as it was read, and trains
// it a few steps.
func TestKerasAugmentedModelLoadsAndTrains(t *testing.T) {
	ClearSession()
	m := loadKeras(t, "augmented_cnn_sequential_keras3.json")
	names, params := layerParams(m)
	// Keras: Conv2D 3·3·3·32+32; LayerNormalization 2·32; SeparableConv2D
	// 3·3·32 + 32·64 + 64; DepthwiseConv2D 3·3·64 + 64; Dense 64·10+10.
	want := map[string]int{"random_flip": 0, "random_translation": 0, "random_contrast": 0, "rescaling": 0,
		"conv2d": 896, "layer_normalization": 64, "separable_conv2d": 2400, "max_pooling2d": 0,
		"depthwise_conv2d": 640, "global_average_pooling2d": 0, "dense": 650}
	if len(names) != len(want) {
		t.Fatalf("layers %v, want %d", names, len(want))
	}
	for i, n := range names {
		if w, ok := want[n]; !ok || params[i] != w {
			t.Errorf("%s: %d params, want %d (known: %v)", n, params[i], w, ok)
		}
	}
	checkSummaryAndRoundTrip(t, m, "(None, 32, 32, 3)", "(None, 32, 32, 64)", "(None, 16, 16, 64)", "Total params: 4,650")
	if err := m.Compile(Adam(0.003), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	x, y := stripeImages(64)
	h, err := m.Fit(context.Background(), x, y, FitOptions{Epochs: 6, BatchSize: 16, Seed: 3, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	loss := h.Metrics["loss"]
	if !(loss[len(loss)-1] < 0.8*loss[0]) {
		t.Errorf("loss %v: did not fall by a fifth in 6 epochs", loss)
	}
}

// stripeImages returns n 32×32×3 images with pixel values 0–255 in four
// classes (of the model's 10): a bright horizontal stripe in the red, green
// or blue channel, or none. Flips, small translations and contrast changes
// keep the class, and global pooling can see it.
func stripeImages(n int) (x, y *tensor.Tensor) {
	x, y = tensor.New(n, 32, 32, 3), tensor.New(n, 10)
	rng := tensor.NewStream(11, 0)
	for i := range n {
		class := i % 4
		y.Data[i*10+class] = 1
		img := x.Data[i*32*32*3 : (i+1)*32*32*3]
		for k := range img {
			img[k] = float32(rng.Float64() * 60)
		}
		if class == 3 {
			continue
		}
		row := 4 + rng.Intn(24)
		for col := range 32 {
			img[(row*32+col)*3+class] += 180
		}
	}
	return x, y
}
