package nn

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/datasets"
	"github.com/anvil-ml/anvil/tensor"
)

// TestAugmentationIsIdentityOutsideTraining: Predict runs the inference
// routine, where flips, shifts, zooms and contrast do nothing, and
// RandomCrop cuts the centred window and resizes it. An 8×8 image resized
// to 4×4 with half-pixel centres reads each output at the middle of a
// 2×2 block, so the expected value is the block's mean.
func TestAugmentationIsIdentityOutsideTraining(t *testing.T) {
	ClearSession()
	m, err := NewSequential(RandomFlip("horizontal_and_vertical", WithInputShape(8, 8, 2)),
		RandomTranslation(Factor{0.2}, Factor{-0.1, 0.3}), RandomZoom(Factor{0.2}), RandomContrast(Factor{0.5}),
		RandomCrop(4, 4))
	if err != nil {
		t.Fatal(err)
	}
	x := randomTensor(3, 1, 3, 8, 8, 2)
	got, err := m.Predict(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		for r := range 4 {
			for c := range 4 {
				for ch := range 2 {
					want := 0.0
					for _, d := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
						want += float64(x.Data[((n*8+2*r+d[0])*8+2*c+d[1])*2+ch]) / 4
					}
					if g := got.Data[((n*4+r)*4+c)*2+ch]; math.Abs(float64(g)-want) > 1e-6 {
						t.Fatalf("y[%d, %d, %d, %d] = %v, want %v", n, r, c, ch, g, want)
					}
				}
			}
		}
	}
}

// TestAugmentationAfterWeightsIsRefused: there is no gradient through a
// random zoom (or translation), so Compile names the layer and says what
// to do.
func TestAugmentationAfterWeightsIsRefused(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Conv2D(2, 3, WithInputShape(6, 6, 1), WithPadding("same")), RandomZoom(Factor{0.1}, WithName("zoom")),
		Flatten(), Dense(2))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Compile(SGD(), "mse")
	if err == nil || !strings.Contains(err.Error(), `"zoom"`) || !strings.Contains(err.Error(), "input") {
		t.Fatalf("Compile: %v, want an error naming layer \"zoom\" and the fix", err)
	}
}

// TestGradientsThroughFlipCropAndContrast checks the backward of the
// random layers that have one against finite differences of the loss at a
// fixed step (so fixed draws), behind a trainable Conv2D. The value range
// is wide, so no clip kink lies near the weights' perturbations.
func TestGradientsThroughFlipCropAndContrast(t *testing.T) {
	ClearSession()
	m, err := NewSequential(Conv2D(2, 2, WithInputShape(5, 5, 1), WithActivation("tanh")),
		RandomFlip("horizontal_and_vertical"), RandomCrop(3, 3), RandomContrast(Factor{0.4}, WithValueRange(-5, 5)),
		Flatten(), Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 6, 5, 5, 1), oneHotRandom(6, 6, 2))
}

// TestGradientsThroughRescalingAndNormalization checks both affine
// backwards against finite differences, between trainable layers.
func TestGradientsThroughRescalingAndNormalization(t *testing.T) {
	ClearSession()
	norm := Normalization(WithMeanVariance([]float32{0.1, -0.2, 0.3}, []float32{2, 0.5, 1.5}))
	m, err := NewSequential(Dense(3, WithInputShape(4), WithActivation("tanh")), Rescaling(0.7, WithOffset(0.2)), norm,
		Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	checkModelGradients(t, m, "categorical_crossentropy", randomTensor(5, 1, 6, 4), oneHotRandom(6, 6, 2))
}

// TestNormalizationAdaptSavesAndLoads: Adapt gives each channel's mean and
// biased variance; Predict normalises with them; SaveModel and LoadModel
// keep them as the non-trainable weights "mean" and "variance".
func TestNormalizationAdaptSavesAndLoads(t *testing.T) {
	ClearSession()
	data := randomTensor(9, 3, 50, 2, 3)
	for i := range data.Data {
		data.Data[i] += float32(i%3) * 4 // channel means 0, 4, 8
	}
	norm := Normalization(WithName("norm"))
	if err := norm.Adapt(data); err != nil {
		t.Fatal(err)
	}
	m, err := NewSequential(Rescaling(2, WithInputShape(2, 3)), norm)
	if err != nil {
		t.Fatal(err)
	}
	if tr, nt := m.CountParams(); tr != 0 || nt != 6 {
		t.Errorf("params %d trainable, %d not; want 0 and 6 (mean and variance of 3 channels)", tr, nt)
	}
	var sum, sq [3]float64
	for i, v := range data.Data {
		sum[i%3] += float64(v)
	}
	for i, v := range data.Data {
		d := float64(v) - sum[i%3]/100
		sq[i%3] += d * d
	}
	x := randomTensor(4, 5, 3, 2, 3)
	got, err := m.Predict(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got.Data {
		c := i % 3
		want := (2*float64(x.Data[i]) - sum[c]/100) / math.Sqrt(sq[c]/100)
		if math.Abs(float64(g)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("y[%d] = %v, want %v", i, g, want)
		}
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := SaveModel(m, dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loaded.Predict(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "prediction after load", got.Data, again.Data)
}

// cifarImages returns the first n images of CIFAR-10's test batch as
// floats in [0, 1), with their labels.
func cifarImages(t *testing.T, n int) (x, y *tensor.Tensor) {
	t.Helper()
	dir, err := datasets.Locate("cifar10", "")
	if err != nil {
		t.Fatalf("CIFAR-10 is needed: set %s to a folder holding cifar-10-batches-bin: %v", datasets.EnvDataDir, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "test_batch.bin"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := datasets.ParseCIFARBatch(data, "test_batch.bin")
	if err != nil {
		t.Fatal(err)
	}
	set = set.Subset(n)
	y = tensor.New(n, 1)
	for i, l := range set.Labels {
		y.Data[i] = float32(l)
	}
	return set.Images.Float(), y
}

// augmentedCNN is a tiny CNN behind every random layer.
func augmentedCNN(t *testing.T) *Model {
	t.Helper()
	ClearSession()
	m, err := NewSequential(RandomFlip("horizontal", WithInputShape(32, 32, 3)), RandomTranslation(Factor{0.1}, Factor{0.1}),
		RandomZoom(Factor{0.1}), RandomContrast(Factor{0.2}, WithValueRange(0, 1)), RandomCrop(28, 28),
		Conv2D(8, 3, WithStrides(2), WithActivation("relu")), MaxPooling2D(), Flatten(), Dense(10, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFitWithAugmentationTrainsAndRepeats: a tiny CNN learns a few CIFAR
// images through every random layer (the loss falls), and the same seed
// gives the same weights bit for bit.
func TestFitWithAugmentationTrainsAndRepeats(t *testing.T) {
	x, y := cifarImages(t, 64)
	train := func() (*History, [][]float32) {
		m := augmentedCNN(t)
		h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 20, BatchSize: 16, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := m.GetWeights()
		var out [][]float32
		for _, w := range ws {
			out = append(out, w.Data)
		}
		return h, out
	}
	h, a := train()
	loss := h.Metrics["loss"]
	if !(loss[len(loss)-1] < 0.88*loss[0]) {
		t.Errorf("loss by epoch %v: did not fall by an eighth", loss)
	}
	_, b := train()
	for i := range a {
		sameBits(t, "weights of a second run", a[i], b[i])
	}
}

// TestAugmentationKerasConfigs reads each layer from Keras 3's config and
// writes it back unchanged.
func TestAugmentationKerasConfigs(t *testing.T) {
	layers := []string{
		`{"class_name": "RandomFlip", "config": {"name": "a", "trainable": true, "dtype": "float32", "seed": null, "mode": "horizontal", "data_format": "channels_last"}}`,
		`{"class_name": "RandomTranslation", "config": {"name": "b", "trainable": true, "dtype": "float32", "height_factor": 0.1, "width_factor": [-0.2, 0.3], "fill_mode": "constant", "interpolation": "nearest", "seed": null, "fill_value": 0.5, "data_format": "channels_last"}}`,
		`{"class_name": "RandomZoom", "config": {"name": "c", "trainable": true, "dtype": "float32", "height_factor": [-0.2, 0.1], "width_factor": null, "fill_mode": "reflect", "interpolation": "bilinear", "seed": null, "fill_value": 0.0, "data_format": "channels_last"}}`,
		`{"class_name": "RandomContrast", "config": {"name": "d", "trainable": true, "dtype": "float32", "factor": 0.3, "value_range": [0, 1], "seed": null}}`,
		`{"class_name": "RandomCrop", "config": {"name": "e", "trainable": true, "dtype": "float32", "height": 6, "width": 5, "seed": null, "data_format": "channels_last"}}`,
		`{"class_name": "Rescaling", "config": {"name": "f", "trainable": true, "dtype": "float32", "scale": 0.5, "offset": -1.0}}`,
		`{"class_name": "Normalization", "config": {"name": "g", "trainable": true, "dtype": "float32", "axis": [-1], "invert": false, "mean": [1.0, 2.0, 3.0], "variance": [4.0, 5.0, 6.0]}}`,
	}
	src := `{"class_name": "Sequential", "config": {"name": "seq", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32", "name": "in"}},` +
		strings.Join(layers, ",") + `]}}`
	ClearSession()
	m, err := ModelFromJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.OutputShape().Equal(tensor.Shape{6, 5, 3}) {
		t.Fatalf("output %v, want (6, 5, 3)", m.OutputShape())
	}
	data, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"seed":null,"mode":"horizontal","data_format":"channels_last"`,
		`"height_factor":0.1,"width_factor":[-0.2,0.3],"fill_mode":"constant","interpolation":"nearest","seed":null,"fill_value":0.5`,
		`"height_factor":[-0.2,0.1],"width_factor":null,"fill_mode":"reflect","interpolation":"bilinear"`,
		`"factor":0.3,"value_range":[0,1],"seed":null`, `"height":6,"width":5,"seed":null`,
		`"scale":0.5,"offset":-1`, `"axis":[-1],"invert":false,"mean":[1,2,3],"variance":[4,5,6]`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("ToJSON lacks %s:\n%s", want, data)
		}
	}
	again, err := ModelFromJSON(data)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if back, _ := again.ToJSON(); string(back) != string(data) {
		t.Errorf("round trip changed the JSON:\n%s\n%s", data, back)
	}
	bad := strings.Replace(src, `"fill_mode": "constant"`, `"fill_mode": "smear"`, 1)
	if _, err := ModelFromJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), "fill_mode") {
		t.Errorf("fill_mode smear: error %v, want one naming fill_mode", err)
	}
}

// TestRandomFlipActsInTraining: a model that reads the left pixel of a
// 1×2 image, trained to output that pixel, has loss (b−a)² exactly on the
// images RandomFlip mirrored; about half of them are.
func TestRandomFlipActsInTraining(t *testing.T) {
	ClearSession()
	m, err := NewSequential(RandomFlip("horizontal", WithInputShape(1, 2, 1)), Flatten(), Dense(1, WithUseBias(false)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeights([]*tensor.Tensor{mustTensor(t, []float32{1, 0}, 2, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	const n = 200
	x := randomTensor(8, 1, n, 1, 2, 1)
	y := tensor.New(n, 1)
	all := 0.0
	for i := range n {
		y.Data[i] = x.Data[2*i]
		d := float64(x.Data[2*i+1] - x.Data[2*i])
		all += d * d / n
	}
	h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: n, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r := h.Metrics["loss"][0] / all; !(r > 0.35 && r < 0.65) {
		t.Errorf("training loss is %.3f of the all-flipped loss: want about half the images flipped", r)
	}
}

// TestInterruptedAugmentedFitResumesExactly: the augmentation of a step
// depends only on (seed, step, layer, sample), so a Fit stopped inside an
// epoch and resumed reproduces the unbroken run bit for bit.
func TestInterruptedAugmentedFitResumesExactly(t *testing.T) {
	x, y := cifarImages(t, 40)
	opts := FitOptions{Verbose: Silent, Epochs: 2, BatchSize: 8, Seed: 6}
	whole := augmentedCNN(t)
	if _, err := whole.Fit(context.Background(), x, y, opts); err != nil {
		t.Fatal(err)
	}
	m := augmentedCNN(t)
	stop := fitUntilStopped(t, m, x, y, opts, 7) // 5 steps per epoch: inside the second
	resumed := opts
	resumed.InitialEpoch, resumed.InitialStep, resumed.InitialSums = stop.Epoch, stop.Step, stop.Sums
	if _, err := m.Fit(context.Background(), x, y, resumed); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weightsOf(t, whole), weightsOf(t, m)) {
		t.Error("resuming an augmented run did not reproduce the unbroken run bit for bit")
	}
}

// augmentedDense is a small classifier behind named random layers, so
// every copy draws with the same salts.
func augmentedDense(t *testing.T) *Model {
	t.Helper()
	m, err := NewSequential(RandomFlip("horizontal_and_vertical", WithInputShape(4, 4, 2), WithName("flip")),
		RandomTranslation(Factor{0.3}, Factor{0.3}, WithName("shift")), Flatten(WithName("flat")),
		Dense(3, WithActivation("softmax"), WithName("out")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(Adam(0.01), "sparse_categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestParallelAugmentationMatchesOneProcess: 2 replicas × batch 8 take the
// steps one process × batch 16 takes, so each replica augments its rows
// as the one process augments those rows of the global batch (the draws
// are keyed by the global row). Tolerance as TestParallelMatchesOneProcess.
func TestParallelAugmentationMatchesOneProcess(t *testing.T) {
	ClearSession()
	x, y := randomTensor(12, 1, 50, 4, 4, 2), tensor.New(50, 1)
	for i := range 50 {
		y.Data[i] = float32(i % 3)
	}
	o := FitOptions{BatchSize: 16, Epochs: 2, Seed: 8, Verbose: Silent}
	ref := augmentedDense(t)
	init, _ := ref.GetWeights()
	if _, err := ref.Fit(context.Background(), x, y, o); err != nil {
		t.Fatal(err)
	}
	want, _ := ref.GetWeights()
	w := newFakeWorld(2)
	got := make([][]*tensor.Tensor, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for r := range 2 {
		m := augmentedDense(t)
		if err := m.SetWeights(init); err != nil {
			t.Fatal(err)
		}
		go func() {
			ro := o
			ro.Parallel = fakeComm{w: w, rank: r}
			if _, errs[r] = m.Fit(context.Background(), x, y, ro); errs[r] != nil {
				w.fail()
			} else {
				got[r], errs[r] = m.GetWeights()
			}
			done <- r
		}()
	}
	<-done
	<-done
	for r, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", r, err)
		}
	}
	for i := range want {
		if d := maxAbsDiff(want[i].Data, got[0][i].Data); d > 1e-5 {
			t.Errorf("weight %d: replicas differ from one process by %.3g", i, d)
		}
	}
}
